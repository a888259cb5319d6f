"""Alert rules: watermelon verdicts, silent stakeholders, trust drops, negative sentiment."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.alerts import (
    CRITICAL,
    INFO,
    RULE_REVERSE_WATERMELON,
    RULE_WATERMELON,
    WARNING,
    AlertCandidate,
    ProjectSnapshot,
    RelationshipSnapshot,
    evaluate_rules,
    negative_sentiment,
    silent_stakeholders,
    snapshot_health_series,
    trust_drop,
    watermelon,
)
from analysis.health import GREEN, RED, band

# --- watermelon ---------------------------------------------------------------------------------


def test_green_reported_red_measured_is_a_watermelon() -> None:
    verdict = watermelon("green", [75.0, 60.0, 42.0])
    assert verdict.kind == RULE_WATERMELON
    assert (verdict.health, verdict.band) == (42.0, RED)
    assert "42.0" in verdict.reason


def test_green_reported_falling_two_waves_is_a_watermelon() -> None:
    verdict = watermelon("green", [85.0, 78.0, 72.0])
    assert verdict.kind == RULE_WATERMELON
    assert verdict.band == GREEN  # still green, but heading down
    assert "85.0 -> 78.0 -> 72.0" in verdict.reason


@pytest.mark.parametrize(
    "series",
    [
        [85.0, 78.0],  # only one fall so far
        [85.0, 78.0, 78.0],  # fell, then held
        [80.0, 79.5, 79.0],  # noise, each fall under a point
        [85.0, None, 72.0],  # a gap breaks the run
        [72.0, 85.0, 78.0],
    ],
)
def test_green_reported_not_falling(series) -> None:
    assert watermelon("green", series).kind is None


def test_reverse_watermelon() -> None:
    verdict = watermelon("RED ", [40.0, 82.0])
    assert verdict.kind == RULE_REVERSE_WATERMELON
    assert verdict.reported_status == "red"


@pytest.mark.parametrize(
    ("status", "series"),
    [
        ("red", [30.0]),
        ("red", [60.0]),
        ("amber", [30.0]),  # amber already signals trouble
        ("amber", [90.0, 80.0, 70.0]),
        (None, [20.0]),  # nothing reported, nothing to contradict
        ("green", []),
        ("green", [20.0, None]),  # latest wave unmeasured: no verdict on stale data
        ("green", [75.0]),
    ],
)
def test_no_contradiction(status, series) -> None:
    assert watermelon(status, series).kind is None


def test_unknown_status_rejected() -> None:
    with pytest.raises(ValueError):
        watermelon("purple", [50.0])


@given(
    st.none() | st.sampled_from(["green", "amber", "red"]),
    st.lists(st.none() | st.floats(min_value=0, max_value=100), max_size=6),
)
def test_watermelon_verdict_consistent(status, series) -> None:
    verdict = watermelon(status, series)
    latest = series[-1] if series else None
    assert verdict.health == latest
    assert verdict.band == band(latest)
    if verdict.kind == RULE_WATERMELON:
        assert status == "green"
    elif verdict.kind == RULE_REVERSE_WATERMELON:
        assert status == "red" and verdict.band == GREEN
    else:
        assert not (status == "green" and verdict.band == RED)
        assert not (status == "red" and verdict.band == GREEN)
        assert verdict.reason == ""


# --- relationship rules -------------------------------------------------------------------------


def rel(relationship_id: int = 1, influence: int = 3, **kwargs) -> RelationshipSnapshot:
    return RelationshipSnapshot(
        relationship_id, f"Stakeholder {relationship_id}", influence, **kwargs
    )


def test_candidate_key_is_stable_and_serialised() -> None:
    candidate = AlertCandidate("trust_drop", "relationship", 42, WARNING, "x")
    assert candidate.key == "trust_drop:relationship:42"
    assert dataclasses.asdict(candidate)["key"] == "trust_drop:relationship:42"
    assert candidate == AlertCandidate("trust_drop", "relationship", 42, WARNING, "x")


def test_silent_stakeholders() -> None:
    rels = [
        rel(1, 4, answered=[True, False, False]),
        rel(2, 5, answered=[False, True, False]),  # answered the one before last
        rel(3, 3, answered=[False, False]),  # not influential enough
        rel(4, 5, answered=[False, None]),  # not invited to the last pulse
        rel(5, 5, answered=[False]),  # only one pulse so far
        rel(6, 5, answered=[]),
    ]
    found = silent_stakeholders(rels)
    assert [c.key for c in found] == ["silent_stakeholder:relationship:1"]
    assert "Stakeholder 1" in found[0].message and "influence 4" in found[0].message


def test_trust_drop_severity() -> None:
    critical = trust_drop(rel(ratings={"trust": [4.0, 4.0, 2.0]}))
    assert critical is not None
    assert (critical.key, critical.severity) == ("trust_drop:relationship:1", CRITICAL)
    warning = trust_drop(rel(ratings={"trust": [4.0, 4.0, 3.0]}))
    assert warning is not None and warning.severity == WARNING
    assert trust_drop(rel(ratings={"trust": [4.0, 4.0, 3.5]})) is None
    assert trust_drop(rel(ratings={"satisfaction": [5.0, 1.0]})) is None
    assert trust_drop(rel()) is None


def test_negative_sentiment() -> None:
    found = negative_sentiment(rel(7, sentiment=[0.2, None, -0.5]))
    assert found is not None and found.key == "negative_sentiment:relationship:7"
    assert "+0.20 -> -0.50" in found.message
    assert negative_sentiment(rel(sentiment=[-0.2, -0.5])) is None
    assert negative_sentiment(rel()) is None


# --- whole project ------------------------------------------------------------------------------


def troubled_project(status: str | None = "green") -> ProjectSnapshot:
    falling = [4.0, 4.0, 1.0]
    champion = rel(
        1,
        5,
        ratings={d: falling for d in ("trust", "satisfaction", "partnership", "communication")},
        sentiment=[0.5, 0.5, -0.8],
        answered=[True, True, True],
    )
    quiet = rel(
        2,
        4,
        ratings={"trust": [4.0, None, None]},
        sentiment=[0.2, None, None],
        answered=[True, False, False],
    )
    return ProjectSnapshot(99, "Billing replatform", status, [champion, quiet])


def test_snapshot_health_by_hand() -> None:
    latest = snapshot_health_series(troubled_project())[-1]
    # Champion: ratings all 1 (0), sentiment -0.8 (0.1), engagement 1 -> 15*0.1 + 10 = 11.5
    champion = 11.5
    # Quiet: wave-0 answers carried: trust 0.75, sentiment 0.6, engagement 1/3, weights 25+15+10
    quiet = 100 * (0.25 * 0.75 + 0.15 * 0.6 + 0.10 / 3) / 0.5
    assert latest == pytest.approx((champion * 5 + quiet * 4) / 9)


def test_evaluate_rules_on_troubled_project() -> None:
    found = {c.key: c for c in evaluate_rules(troubled_project())}
    assert list(found) == [
        "watermelon:project:99",
        "silent_stakeholder:relationship:2",
        "trust_drop:relationship:1",
        "negative_sentiment:relationship:1",
    ]
    assert found["watermelon:project:99"].severity == CRITICAL
    assert found["watermelon:project:99"].message.startswith("Billing replatform: ")
    assert found["trust_drop:relationship:1"].severity == CRITICAL


def test_evaluate_rules_green_but_sliding_is_a_warning() -> None:
    # Health 100 -> 91.1 -> 82.1: still green, but fallen two waves in a row.
    sliding = rel(1, 3, ratings={"trust": [5.0, 4.5, 4.0]}, answered=[True, True, True])
    found = evaluate_rules(ProjectSnapshot(8, "CRM", "green", [sliding]))
    assert [(c.key, c.severity) for c in found] == [("watermelon:project:8", WARNING)]


def test_evaluate_rules_honest_red_report_has_no_watermelon() -> None:
    keys = [c.key for c in evaluate_rules(troubled_project("red"))]
    assert not any(k.startswith("watermelon") for k in keys)
    assert len(keys) == 3


def test_evaluate_rules_reverse_watermelon_and_quiet_project() -> None:
    happy = rel(
        3,
        2,
        ratings={"trust": [5.0, 5.0], "estimates": [2.0, 2.0]},  # estimates do not feed health
        sentiment=[0.6, 0.7],
        answered=[True, True],
    )
    reported_red = evaluate_rules(ProjectSnapshot(5, "Intranet", "red", [happy]))
    assert [(c.key, c.severity) for c in reported_red] == [("reverse_watermelon:project:5", INFO)]
    assert evaluate_rules(ProjectSnapshot(5, "Intranet", "green", [happy])) == []
    assert evaluate_rules(ProjectSnapshot(6, "Empty", "green")) == []


@st.composite
def snapshots(draw) -> ProjectSnapshot:
    waves = draw(st.integers(min_value=0, max_value=6))
    ids = draw(st.lists(st.integers(min_value=1, max_value=10**6), unique=True, max_size=5))
    maybe_rating = st.none() | st.integers(min_value=1, max_value=5).map(float)
    rels = []
    for rid in ids:
        dims = draw(st.sets(st.sampled_from(["trust", "satisfaction", "estimates"])))
        rels.append(
            rel(
                rid,
                draw(st.integers(min_value=1, max_value=5)),
                ratings={
                    d: draw(st.lists(maybe_rating, min_size=waves, max_size=waves)) for d in dims
                },
                sentiment=draw(
                    st.lists(
                        st.none() | st.floats(min_value=-1, max_value=1),
                        min_size=waves,
                        max_size=waves,
                    )
                ),
                answered=draw(st.lists(st.none() | st.booleans(), min_size=waves, max_size=waves)),
            )
        )
    status = draw(st.none() | st.sampled_from(["green", "amber", "red"]))
    return ProjectSnapshot(draw(st.integers(min_value=1, max_value=99)), "P", status, rels)


@given(snapshots())
def test_evaluate_rules_keys_unique_and_deterministic(snapshot) -> None:
    found = evaluate_rules(snapshot)
    keys = [c.key for c in found]
    assert len(keys) == len(set(keys))
    assert evaluate_rules(snapshot) == found
    ids = {r.relationship_id for r in snapshot.relationships}
    for c in found:
        assert c.severity in (INFO, WARNING, CRITICAL)
        if c.subject_kind == "project":
            assert c.subject_id == snapshot.project_id
        else:
            assert c.subject_kind == "relationship" and c.subject_id in ids

"""Relationship and project health: formula, bands, renormalisation and series."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from analysis.health import (
    AMBER,
    AMBER_MIN,
    FORMULA_TEXT,
    GREEN,
    GREEN_MIN,
    RED,
    WEIGHTS,
    HealthInputs,
    band,
    contributions,
    engagement,
    project_health,
    project_health_series,
    relationship_health,
    relationship_health_series,
)
from analysis.trends import dimension_means

rating = st.floats(min_value=1.0, max_value=5.0)
polarity = st.floats(min_value=-1.0, max_value=1.0)
fraction = st.floats(min_value=0.0, max_value=1.0)
health_inputs = st.builds(
    HealthInputs,
    trust=st.none() | rating,
    satisfaction=st.none() | rating,
    partnership=st.none() | rating,
    communication=st.none() | rating,
    sentiment=st.none() | polarity,
    engagement=st.none() | fraction,
)
# Worst and best value of each input on its own scale.
RANGES = {
    "trust": (1.0, 5.0),
    "satisfaction": (1.0, 5.0),
    "partnership": (1.0, 5.0),
    "communication": (1.0, 5.0),
    "sentiment": (-1.0, 1.0),
    "engagement": (0.0, 1.0),
}
INPUT_NAMES = list(RANGES)


# --- the formula by hand ------------------------------------------------------------------------


def test_weights_sum_to_one() -> None:
    assert sum(WEIGHTS.values()) == pytest.approx(1.0)
    assert set(WEIGHTS) == {f.name for f in dataclasses.fields(HealthInputs)}


def test_full_inputs_by_hand() -> None:
    inputs = HealthInputs(
        trust=4, satisfaction=3, partnership=5, communication=2, sentiment=0.5, engagement=2 / 3
    )
    # 25*0.75 + 20*0.5 + 15*1 + 15*0.25 + 15*0.75 + 10*(2/3)
    expected = 18.75 + 10 + 15 + 3.75 + 11.25 + 20 / 3
    assert relationship_health(inputs) == pytest.approx(expected)
    assert band(relationship_health(inputs)) == AMBER


def test_missing_inputs_are_renormalised_not_zero() -> None:
    # Only trust 4 (0.75) and sentiment -0.2 (0.4): (25*0.75 + 15*0.4) / 40
    inputs = HealthInputs(trust=4, sentiment=-0.2)
    assert relationship_health(inputs) == pytest.approx(61.875)
    parts = contributions(inputs)
    assert parts == pytest.approx({"trust": 46.875, "sentiment": 15.0})


def test_extremes() -> None:
    best = HealthInputs(5, 5, 5, 5, 1.0, 1.0)
    worst = HealthInputs(1, 1, 1, 1, -1.0, 0.0)
    assert relationship_health(best) == 100.0
    assert relationship_health(worst) == 0.0


def test_no_answers_gives_no_health() -> None:
    assert relationship_health(HealthInputs()) is None
    # Having been invited but never answering says nothing about the relationship itself.
    assert relationship_health(HealthInputs(engagement=0.0)) is None
    assert contributions(HealthInputs(engagement=1.0)) == {}


@pytest.mark.parametrize(
    "inputs",
    [
        HealthInputs(trust=0),
        HealthInputs(trust=5.5),
        HealthInputs(sentiment=1.2),
        HealthInputs(trust=3, engagement=-0.1),
        HealthInputs(trust=float("nan")),
    ],
)
def test_out_of_range_inputs_rejected(inputs: HealthInputs) -> None:
    with pytest.raises(ValueError):
        relationship_health(inputs)


def test_band_boundaries() -> None:
    assert (GREEN_MIN, AMBER_MIN) == (70.0, 50.0)
    assert band(100.0) == GREEN
    assert band(70.0) == GREEN
    assert band(69.99) == AMBER
    assert band(50.0) == AMBER
    assert band(49.99) == RED
    assert band(0.0) == RED
    assert band(None) is None


def test_formula_text_matches_constants() -> None:
    for name, weight in WEIGHTS.items():
        assert f"{name} {round(weight * 100)}%" in FORMULA_TEXT
    assert "70" in FORMULA_TEXT and "50" in FORMULA_TEXT


# --- properties of relationship health ----------------------------------------------------------


@given(health_inputs)
def test_health_bounded_and_none_only_without_answers(inputs: HealthInputs) -> None:
    health = relationship_health(inputs)
    answered = any(
        getattr(inputs, name) is not None for name in INPUT_NAMES if name != "engagement"
    )
    assert (health is not None) == answered
    if health is not None:
        assert 0.0 <= health <= 100.0
        assert sum(contributions(inputs).values()) == pytest.approx(health)


@given(health_inputs, st.sampled_from(INPUT_NAMES), fraction, fraction)
def test_health_monotone_in_every_input(inputs, name, a, b) -> None:
    low, high = RANGES[name]
    lo, hi = sorted((low + a * (high - low), low + b * (high - low)))
    worse = relationship_health(dataclasses.replace(inputs, **{name: lo}))
    better = relationship_health(dataclasses.replace(inputs, **{name: hi}))
    if name == "engagement" and worse is None:
        assert better is None
    else:
        assert worse is not None and better is not None
        assert worse <= better


@given(health_inputs, st.sampled_from(INPUT_NAMES))
def test_missing_input_sits_between_its_worst_and_best(inputs, name) -> None:
    without = relationship_health(dataclasses.replace(inputs, **{name: None}))
    assume(without is not None)
    low, high = RANGES[name]
    worst = relationship_health(dataclasses.replace(inputs, **{name: low}))
    best = relationship_health(dataclasses.replace(inputs, **{name: high}))
    assert worst is not None and best is not None
    assert worst - 1e-9 <= without <= best + 1e-9


@given(fraction, st.sets(st.sampled_from(INPUT_NAMES[:-1]), min_size=1))
def test_uniform_inputs_give_that_level(x, names) -> None:
    # Whichever inputs are present, if each sits at the same point of its scale, so does health.
    values = {n: RANGES[n][0] + x * (RANGES[n][1] - RANGES[n][0]) for n in names}
    assert relationship_health(HealthInputs(**values)) == pytest.approx(100 * x)


@given(
    st.lists(
        st.fixed_dictionaries(
            {}, optional={"trust": rating, "satisfaction": rating, "sentiment": polarity}
        ),
        max_size=6,
    ),
    st.randoms(),
)
def test_health_stable_under_reordering_of_answers_in_a_wave(answers, rnd) -> None:
    def health_of(wave):
        means = {dim: mean for dim, (mean, _) in dimension_means(wave).items()}
        return relationship_health(HealthInputs(**means))

    shuffled = list(answers)
    rnd.shuffle(shuffled)
    assert health_of(shuffled) == health_of(answers)


# --- engagement ---------------------------------------------------------------------------------


def test_engagement_by_hand() -> None:
    # Last three invitations (None = not invited) are False, True, True.
    assert engagement([True, False, None, True, True]) == pytest.approx(2 / 3)
    assert engagement([False, True], window=1) == 1.0
    assert engagement([None, None]) is None
    assert engagement([]) is None


@given(st.lists(st.none() | st.booleans(), max_size=10), st.integers(min_value=1, max_value=5))
def test_engagement_bounded(answered, window) -> None:
    value = engagement(answered, window)
    assert (value is None) == all(a is None for a in answered)
    if value is not None:
        assert 0.0 <= value <= 1.0


# --- relationship health over waves -------------------------------------------------------------


def test_health_series_carries_answers_forward_for_two_waves() -> None:
    series = relationship_health_series(
        {"trust": [4.0, None, None, None, 2.0]},
        [None] * 5,
        [True, False, False, False, True],
    )
    # trust 4 -> 0.75 (weight 25), engagement weight 10: 100 * (25*0.75 + 10*e) / 35
    assert series[0] == pytest.approx(100 * (18.75 + 10) / 35)  # 1 of 1 answered
    assert series[1] == pytest.approx(100 * (18.75 + 5) / 35)  # 1 of 2
    assert series[2] == pytest.approx(100 * (18.75 + 10 / 3) / 35)  # 1 of 3
    assert series[3] is None  # answers now three waves old
    assert series[4] == pytest.approx(100 * (6.25 + 10 / 3) / 35)  # trust 2, 1 of last 3


def test_health_series_not_invited_is_not_a_miss() -> None:
    series = relationship_health_series({"trust": [4.0, None]}, [None, None], [True, None])
    assert series[0] == series[1]


def test_health_series_rejects_misaligned_or_unknown_input() -> None:
    with pytest.raises(ValueError):
        relationship_health_series({"trust": [4.0]}, [None, None], [True, True])
    with pytest.raises(ValueError):
        relationship_health_series({"estimates": [4.0]}, [None], [True])


@given(
    st.integers(min_value=0, max_value=8).flatmap(
        lambda n: st.tuples(
            st.lists(st.none() | rating, min_size=n, max_size=n),
            st.lists(st.none() | polarity, min_size=n, max_size=n),
            st.lists(st.none() | st.booleans(), min_size=n, max_size=n),
        )
    )
)
def test_health_series_bounded_and_aligned(data) -> None:
    trust, sentiment, answered = data
    series = relationship_health_series({"trust": trust}, sentiment, answered)
    assert len(series) == len(answered)
    assert all(h is None or 0.0 <= h <= 100.0 for h in series)


# --- project health -----------------------------------------------------------------------------


def test_project_health_by_hand() -> None:
    # (80*5 + 40*1) / 6; the relationship without health does not count
    assert project_health([(80.0, 5), (40.0, 1), (None, 4)]) == pytest.approx(440 / 6)
    assert project_health([(None, 5)]) is None
    assert project_health([]) is None
    assert project_health([(60.0, 0)]) is None
    with pytest.raises(ValueError):
        project_health([(60.0, -1)])


def test_project_health_series_by_hand() -> None:
    series = project_health_series([([80.0, None, 20.0], 3), ([40.0, 50.0, None], 1)])
    assert series == pytest.approx([70.0, 50.0, 20.0])
    assert project_health_series([]) == []
    with pytest.raises(ValueError):
        project_health_series([([80.0], 3), ([40.0, 50.0], 1)])


relationship = st.tuples(
    st.none() | st.floats(min_value=0.0, max_value=100.0), st.integers(min_value=1, max_value=5)
)


@given(st.lists(relationship, max_size=8), st.randoms())
def test_project_health_weighted_mean_properties(rels, rnd) -> None:
    health = project_health(rels)
    present = [h for h, _ in rels if h is not None]
    assert (health is None) == (not present)
    if health is not None:
        assert min(present) - 1e-9 <= health <= max(present) + 1e-9
    shuffled = list(rels)
    rnd.shuffle(shuffled)
    assert project_health(shuffled) == health


@given(st.lists(relationship, min_size=1, max_size=8), st.integers(min_value=0, max_value=7))
def test_more_influence_pulls_towards_that_relationship(rels, pick) -> None:
    i = pick % len(rels)
    h, influence = rels[i]
    assume(h is not None)
    before = project_health(rels)
    after = project_health([*rels[:i], (h, influence + 3), *rels[i + 1 :]])
    assert before is not None and after is not None
    # Giving one relationship more weight moves the project towards it, never past it.
    assert abs(after - h) <= abs(before - h) + 1e-9

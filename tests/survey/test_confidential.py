"""Confidential waves outside the wave page: project and relationship pages, the API, charts and
alerts show no names or per-person values, and groups under three only as "not enough
responses"."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from analysis.privacy import NOT_ENOUGH
from survey.api.tokens import issue
from survey.charts import BAND_COLOURS
from survey.models import Alert, Attribution, Relationship, Wave, WaveStatus
from tests.builders import json_numbers, make_project, make_relationship, make_user
from tests.conftest import csrf_token
from tests.pm_builders import add_wave, all_ratings, report_status

CHART_BLOCK = re.compile(
    r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', re.DOTALL
)
COMMENT_BLOCK = re.compile(r'<blockquote class="comment">(.*?)</blockquote>', re.DOTALL)
FIRST_COMMENT = "Fine so far, thanks for the regular updates."
ALICE_SECRET = "Nobody tells us anything and the budget is a terrible mess."
BOB_SECRET = "Bad planning again, I am worried and unhappy."
BIG_COMMENT = "The steering meetings are useful and well run."
CONFIDENTIAL_TITLE = "Confidential pulse"


def _wave(session, *, projects, answers, months_ago, attribution, title, status=None):  # type: ignore[no-untyped-def]
    """A wave with the given attribution set before its answers are scored and alerts run."""
    extra = {"status": status} if status is not None else {}
    return add_wave(
        session,
        projects=projects,
        answers=answers,
        months_ago=months_ago,
        attribution=attribution,
        title=title,
        **extra,
    )


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """SMALL: two people answer a confidential wave. BIG: four do. TWIN: SMALL's answers in an
    attributed wave, to show what the confidential rule hides."""
    pm = make_user(session, email="pm@example.com")
    small = make_project(session, pm=pm, code="SMALL", name="Small confidential project")
    big = make_project(session, pm=pm, code="BIG", name="Big confidential project")
    twin = make_project(session, pm=pm, code="TWIN", name="Attributed twin project")
    alice = make_relationship(session, project=small, name="Alice Secret", influence=5)
    bob = make_relationship(session, project=small, name="Bob Hidden", influence=3)
    big_people = [
        make_relationship(session, project=big, name=f"Big Person {n}", influence=3)
        for n in range(4)
    ]
    twin_alice = make_relationship(session, project=twin, name="Alice Twin", influence=5)
    twin_bob = make_relationship(session, project=twin, name="Bob Twin", influence=3)
    for project in (small, big, twin):
        report_status(session, project=project, status="green")
    everyone = [alice, bob, *big_people, twin_alice, twin_bob]
    first = _wave(
        session,
        projects=[small, big, twin],
        answers=[(r, all_ratings(4, FIRST_COMMENT)) for r in everyone],
        months_ago=3,
        attribution=Attribution.attributed,
        title="Attributed pulse",
    )
    confidential = _wave(
        session,
        projects=[small, big],
        answers=[
            (alice, all_ratings(1, ALICE_SECRET)),
            (bob, all_ratings(2, BOB_SECRET)),
            *[
                (r, all_ratings(v, BIG_COMMENT))
                for r, v in zip(big_people, (5, 5, 4, 2), strict=True)
            ],
        ],
        months_ago=1,
        attribution=Attribution.confidential,
        title=CONFIDENTIAL_TITLE,
    )
    _wave(
        session,
        projects=[twin],
        answers=[
            (twin_alice, all_ratings(1, ALICE_SECRET)),
            (twin_bob, all_ratings(2, BOB_SECRET)),
        ],
        months_ago=1,
        attribution=Attribution.attributed,
        title="Twin pulse",
    )
    return {
        "pm": pm,
        "token": issue(session, user=pm),
        "small": small,
        "big": big,
        "twin": twin,
        "alice": alice,
        "bob": bob,
        "big_people": big_people,
        "twin_alice": twin_alice,
        "first": first,
        "confidential": confidential,
    }


def _login(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": "pm@example.com", "password": "demo", "csrf_token": csrf_token(page.text)},
    )


def _charts(page: str) -> dict[str, dict]:
    return {chart_id: json.loads(body) for chart_id, body in CHART_BLOCK.findall(page)}


def _api(client, world, path: str) -> dict:  # type: ignore[no-untyped-def]
    response = client.get(path, headers={"Authorization": f"Bearer {world['token']}"})
    assert response.status_code == 200, response.text
    return response.get_json()


def _trace(figure: dict, name: str) -> dict:
    return next(t for t in figure["data"] if t["name"] == name)


# --- Pages ---------------------------------------------------------------------------------------


def test_project_page_withholds_a_two_person_confidential_wave(client, world):
    _login(client)
    page = client.get("/projects/SMALL").text
    assert NOT_ENOUGH in page
    assert "Secret" in page  # names from the attributed wave are still listed
    for secret in (ALICE_SECRET, BOB_SECRET):
        assert secret not in page
    charts = _charts(page)
    trend = charts["project-trend"]
    labels = _trace(trend, "Trust")["x"]
    assert labels == ["Attributed pulse", CONFIDENTIAL_TITLE]
    for trace in trend["data"]:
        assert trace["y"][1] is None, trace["name"]
    assert _trace(trend, "Trust")["y"][0] == pytest.approx(4.0)
    assert _trace(charts["project-health"], "Measured health")["y"][1] is None


def test_stakeholder_map_and_relationships_table_ignore_confidential_answers(client, world):
    _login(client)
    small = _charts(client.get("/projects/SMALL").text)["stakeholder-map"]
    twin = _charts(client.get("/projects/TWIN").text)["stakeholder-map"]
    alice = next(t for t in small["data"] if t["name"].startswith("Alice Secret"))
    twin_alice = next(t for t in twin["data"] if t["name"].startswith("Alice Twin"))
    # Alice rated 1 in both second waves: only the attributed one may colour her red.
    assert alice["marker"]["color"] == BAND_COLOURS["green"]
    assert twin_alice["marker"]["color"] == BAND_COLOURS["red"]


def test_relationship_page_shows_no_confidential_wave(client, session, world):
    _login(client)
    page = client.get(f"/relationships/{world['alice'].id}").text
    assert CONFIDENTIAL_TITLE not in page
    assert ALICE_SECRET not in page
    assert FIRST_COMMENT in page
    trend = _charts(page)["relationship-trend"]
    assert _trace(trend, "Trust")["x"] == ["Attributed pulse"]
    assert _trace(trend, "Trust")["y"] == [pytest.approx(4.0)]
    twin = client.get(f"/relationships/{world['twin_alice'].id}").text
    assert ALICE_SECRET in twin  # the same answer in an attributed wave is shown with its wave


def test_four_respondents_show_the_aggregate_without_names(client, world):
    _login(client)
    page = client.get("/projects/BIG").text
    assert NOT_ENOUGH not in page
    trend = _charts(page)["project-trend"]
    assert _trace(trend, "Trust")["y"] == [pytest.approx(4.0), pytest.approx(4.0)]
    assert _charts(page)["project-health"]["data"][0]["y"][1] is not None
    comments = [c for c in COMMENT_BLOCK.findall(page) if BIG_COMMENT in c]
    assert len(comments) == 4
    for comment in comments:
        assert "confidential wave" in comment
        assert "Big Person" not in comment
        assert CONFIDENTIAL_TITLE in comment
    named = [c for c in COMMENT_BLOCK.findall(page) if FIRST_COMMENT in c]
    assert named and all("Big Person" in c for c in named)


# --- API -----------------------------------------------------------------------------------------


def test_api_relationships_and_trend_leave_confidential_points_out(client, world):
    first, confidential = world["first"].id, world["confidential"].id
    rows = _api(client, world, "/api/v1/projects/SMALL/relationships")["relationships"]
    assert {r["latest"]["wave_id"] for r in rows} == {first}
    assert {r["latest"]["trust"] for r in rows} == {4.0}
    big_rows = _api(client, world, "/api/v1/projects/BIG/relationships")["relationships"]
    assert {r["latest"]["wave_id"] for r in big_rows} == {first}
    for rel in (world["alice"], world["big_people"][3]):
        points = _api(client, world, f"/api/v1/relationships/{rel.id}/trend")["points"]
        assert [p["wave_id"] for p in points] == [first]
    twin = _api(client, world, f"/api/v1/relationships/{world['twin_alice'].id}/trend")
    assert [p["trust"] for p in twin["points"]] == [4.0, 1.0]
    assert confidential not in {p["wave_id"] for p in twin["points"]}


def test_api_project_trend_withholds_the_small_group_only(client, world):
    small = _api(client, world, "/api/v1/projects/SMALL/trend")["points"]
    assert [p["withheld"] for p in small] == [None, NOT_ENOUGH]
    assert all(small[1][n] is None for n in ("satisfaction", "trust", "sentiment"))
    big = _api(client, world, "/api/v1/projects/BIG/trend")["points"]
    assert [p["withheld"] for p in big] == [None, None]
    assert big[1]["trust"] == 4.0 and big[1]["answers"] == 4
    twin = _api(client, world, "/api/v1/projects/TWIN/trend")["points"]
    assert twin[1]["trust"] == 1.5


def test_api_health_withholds_the_small_wave_and_keeps_people_on_attributed_waves(client, world):
    health = _api(client, world, "/api/v1/projects/SMALL/health")
    assert health["health"] is None
    assert health["watermelon"] is False
    second = health["waves"][1]
    assert second["health"] is None and second["withheld"] == NOT_ENOUGH
    for rel in health["relationships"]:
        # The confidential column carries the attributed answers forward, never its own.
        assert rel["series"][1] == rel["series"][0]
        assert rel["band"] == "green"
    big = _api(client, world, "/api/v1/projects/BIG/health")
    assert big["waves"][1]["withheld"] is None and big["waves"][1]["health"] is not None
    twin = _api(client, world, "/api/v1/projects/TWIN/health")
    assert twin["watermelon"] is True
    projects = {p["code"]: p for p in _api(client, world, "/api/v1/projects")["projects"]}
    assert projects["SMALL"]["health"] is None
    assert projects["BIG"]["health"] is not None


def test_api_documents_carry_no_confidential_comment_or_value(client, world):
    alice = world["alice"].id
    for path in (
        "/api/v1/projects/SMALL/relationships",
        "/api/v1/projects/SMALL/health",
        "/api/v1/projects/SMALL/trend",
        f"/api/v1/relationships/{alice}/trend",
        "/api/v1/alerts",
    ):
        document = _api(client, world, path)
        body = json.dumps(document)
        assert ALICE_SECRET not in body and BOB_SECRET not in body, path
        # SMALL's confidential mean trust, looked for among the numbers only: a timestamp's
        # fraction of a second may well contain the digits "1.5".
        assert 1.5 not in json_numbers(document), path


# --- Alerts and filters --------------------------------------------------------------------------


def test_per_relationship_alerts_never_come_from_a_confidential_wave(session, world):
    session.expire_all()
    alerts = session.exec(select(Alert)).all()
    by_project: dict[int, set[str]] = {}
    for alert in alerts:
        by_project.setdefault(alert.project_id, set()).add(alert.rule)
    assert "trust_drop" in by_project.get(world["twin"].id, set())  # the rule does fire
    relationship_alerts = [
        a
        for a in alerts
        if a.project_id in (world["small"].id, world["big"].id) and a.subject_kind != "project"
    ]
    assert relationship_alerts == []


def test_deactivating_respondents_does_not_change_a_confidential_aggregate(client, session, world):
    before = _api(client, world, "/api/v1/projects/BIG/health")["waves"][1]
    before_trend = _api(client, world, "/api/v1/projects/BIG/trend")["points"][1]
    for rel in world["big_people"][:2]:
        found = session.get(Relationship, rel.id)
        found.active = False
        session.add(found)
    session.commit()
    after = _api(client, world, "/api/v1/projects/BIG/health")["waves"][1]
    after_trend = _api(client, world, "/api/v1/projects/BIG/trend")["points"][1]
    # Otherwise the difference between the two looks would be the deactivated people's answers.
    assert after == before
    assert after_trend == before_trend


def test_an_open_confidential_wave_shows_nothing_until_it_closes(client, session, world):
    big_people = world["big_people"]
    wave = _wave(
        session,
        projects=[world["big"]],
        answers=[(r, all_ratings(3)) for r in big_people],
        months_ago=0,
        attribution=Attribution.confidential,
        title="Open confidential pulse",
        status=WaveStatus.open,
    )
    points = _api(client, world, "/api/v1/projects/BIG/trend")["points"]
    assert points[-1]["wave_id"] == wave.id and points[-1]["withheld"] == NOT_ENOUGH
    found = session.get(Wave, wave.id)
    found.status = WaveStatus.closed
    session.add(found)
    session.commit()
    points = _api(client, world, "/api/v1/projects/BIG/trend")["points"]
    assert points[-1]["withheld"] is None and points[-1]["trust"] == 3.0

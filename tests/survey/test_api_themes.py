"""GET /api/v1/projects/<code>/themes: the project page's themes per wave, with the same
access rules and the same confidential minimums."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from analysis.privacy import NOT_ENOUGH
from survey.api.tokens import issue
from survey.models import Attribution, Role, TokenScope
from tests.builders import json_numbers, make_project, make_relationship, make_user
from tests.pm_builders import add_wave, all_ratings

# What the analyzer reads in each comment (checked in test_theme_trends).
DATES = "The dates keep moving."  # estimates, negative
PARTNERS = "Great partnership, clear updates."  # communication + partnership, positive
SUPPORT = "Excellent support from the team, quick answers."  # communication + support, positive
WRONG = "The estimates were wrong again and the schedule slipped."  # estimates, negative
SLOW = "Support was slow and the schedule slipped again."  # estimates + support, negative
EARLY = "The deadline slipped but they told us early."  # communication + estimates, positive
THEMES = ["estimates", "communication", "partnership", "support"]
ALL_NONE = {"mentions": None, "by_sentiment": dict.fromkeys(("negative", "neutral", "positive"))}


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """STARS: an attributed wave shared with another PM's project, a confidential wave with four
    respondents, one with three of whom two commented, and one with two (withheld)."""
    pm = make_user(session, email="pm-stars@example.com")
    other_pm = make_user(session, email="other.pm@example.com")
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    stars = make_project(session, pm=pm, code="STARS", name="Stars Programme")
    other = make_project(session, pm=other_pm, code="MOON", name="Moon Programme")
    a, b, c, d = (make_relationship(session, project=stars, name=f"Person {n}") for n in range(4))
    outsider = make_relationship(session, project=other, name="Moon Person")
    waves = [
        add_wave(
            session,
            projects=[stars, other],
            answers=[
                (a, all_ratings(3, DATES)),
                (b, all_ratings(4, PARTNERS)),
                (c, all_ratings(4, SUPPORT)),
                (d, all_ratings(4)),
                (outsider, all_ratings(1, WRONG)),  # MOON's comment: not counted for STARS
            ],
            months_ago=4,
            title="Shared pulse",
        ),
        add_wave(
            session,
            projects=[stars],
            answers=[
                (a, all_ratings(2, WRONG)),
                (b, all_ratings(2, SLOW)),
                (c, all_ratings(3, EARLY)),
                (d, all_ratings(4, PARTNERS)),
            ],
            months_ago=3,
            title="Confidential pulse",
            attribution=Attribution.confidential,
        ),
        add_wave(
            session,
            projects=[stars],
            answers=[(a, all_ratings(2, WRONG)), (b, all_ratings(2, WRONG)), (c, all_ratings(3))],
            months_ago=2,
            title="Quiet confidential pulse",
            attribution=Attribution.confidential,
        ),
        add_wave(
            session,
            projects=[stars],
            answers=[(a, all_ratings(2, WRONG)), (b, all_ratings(2, WRONG))],
            months_ago=1,
            title="Small confidential pulse",
            attribution=Attribution.confidential,
        ),
    ]
    return {
        "waves": waves,
        "pm": issue(session, user=pm),
        "pm_read": issue(session, user=pm, scope=TokenScope.read),
        "other_pm": issue(session, user=other_pm),
        "admin": issue(session, user=admin),
    }


def _get(client, token: str | None, code: str = "STARS"):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"/api/v1/projects/{code}/themes", headers=headers)


def _grid(client, token: str, code: str = "STARS") -> dict:  # type: ignore[no-untyped-def]
    response = _get(client, token, code)
    assert response.status_code == 200, response.text
    return response.get_json()


def test_the_grid_counts_comments_per_theme_and_wave(client, world):
    body = _grid(client, world["pm"])
    assert body["project"] == "STARS"
    assert body["themes"] == THEMES
    shared = body["waves"][0]
    assert shared["wave_id"] == world["waves"][0].id
    assert shared["title"] == "Shared pulse"
    assert shared["closes_at"] == world["waves"][0].closes_at.isoformat()
    assert (shared["confidential"], shared["withheld"], shared["comments"]) == (False, None, 3)
    assert shared["counts"] == {
        "estimates": {"mentions": 1, "by_sentiment": {"negative": 1, "neutral": 0, "positive": 0}},
        "communication": {
            "mentions": 2,
            "by_sentiment": {"negative": 0, "neutral": 0, "positive": 2},
        },
        "partnership": {
            "mentions": 1,
            "by_sentiment": {"negative": 0, "neutral": 0, "positive": 1},
        },
        "support": {"mentions": 1, "by_sentiment": {"negative": 0, "neutral": 0, "positive": 1}},
    }


def test_the_grid_matches_its_documented_schema(client, world):
    document = client.get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/projects/{code}/themes"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": document["components"]})
    grid = _grid(client, world["pm"])
    validator.validate(grid)
    validator.validate(_grid(client, world["other_pm"], "MOON"))
    assert [wave["wave_id"] for wave in grid["waves"]] == [wave.id for wave in world["waves"]]


def test_a_confidential_wave_shows_only_themes_three_people_mentioned(client, world):
    confidential = _grid(client, world["pm"])["waves"][1]
    assert (confidential["confidential"], confidential["withheld"]) == (True, None)
    assert confidential["comments"] == 4
    # Three mentioned estimates (two negative, one positive): no sentiment group reaches three.
    assert confidential["counts"]["estimates"] == {**ALL_NONE, "mentions": 3}
    for theme in ("communication", "partnership", "support"):
        assert confidential["counts"][theme] == ALL_NONE, theme


def test_a_confidential_wave_with_two_comments_gives_no_comment_count(client, world):
    quiet = _grid(client, world["pm"])["waves"][2]
    assert (quiet["confidential"], quiet["withheld"]) == (True, None)  # three answered
    assert quiet["comments"] is None  # but only two commented
    assert all(count == ALL_NONE for count in quiet["counts"].values())


def test_a_small_confidential_wave_is_withheld(client, world):
    small = _grid(client, world["pm"])["waves"][3]
    assert small["title"] == "Small confidential pulse"
    assert (small["confidential"], small["withheld"], small["comments"]) == (
        True,
        NOT_ENOUGH,
        None,
    )
    assert set(small["counts"]) == set(THEMES)
    assert all(count == ALL_NONE for count in small["counts"].values())
    assert json_numbers({k: v for k, v in small.items() if k != "wave_id"}) == []


def test_another_pms_token_is_404_like_the_other_project_endpoints(client, world):
    for path in ("themes", "trend", "health"):
        response = client.get(
            f"/api/v1/projects/STARS/{path}",
            headers={"Authorization": f"Bearer {world['other_pm']}"},
        )
        assert response.status_code == 404, path
        assert response.get_json()["error"]["code"] == "not_found"
        assert "estimates" not in response.text
    assert _get(client, world["pm"], code="NOPE").status_code == 404
    # MOON's own grid counts its own comment on the shared wave, and nothing of STARS.
    moon = _grid(client, world["other_pm"], "MOON")
    assert moon["themes"] == ["estimates"]
    assert moon["waves"][0]["comments"] == 1


def test_read_tokens_and_admins_get_the_same_grid(client, world):
    mine = _grid(client, world["pm"])
    assert _grid(client, world["pm_read"]) == mine
    assert _grid(client, world["admin"]) == mine


def test_no_token_is_401(client, world):
    response = _get(client, None)
    assert response.status_code == 401
    assert "estimates" not in json.dumps(response.get_json())

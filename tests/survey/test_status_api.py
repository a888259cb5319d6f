"""POST /api/v1/projects/<code>/status and the PM view's read API (health, alerts)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from survey.api.tokens import issue
from survey.models import Role, StatusReport
from tests.builders import grant_project, make_project, make_relationship, make_user
from tests.pm_builders import add_wave, all_ratings, report_status


@pytest.fixture
def tokens(session):  # type: ignore[no-untyped-def]
    """FIN-ERP (pm@example.com, sinking, reported green) and HR-SELF (another PM)."""
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other.pm@example.com")
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    fin = make_project(session, pm=pm, code="FIN-ERP", name="Finance ERP replacement")
    hr = make_project(session, pm=other, code="HR-SELF", name="HR self-service portal")
    grant_project(session, viewer=viewer, project=fin)
    maria = make_relationship(session, project=fin, name="Maria Chen", influence=5)
    raj = make_relationship(session, project=hr, name="Raj Patel", influence=4)
    report_status(session, project=fin, status="green")
    add_wave(
        session,
        projects=[fin, hr],
        answers=[(maria, all_ratings(4)), (raj, all_ratings(4))],
        months_ago=2,
    )
    add_wave(
        session,
        projects=[fin, hr],
        answers=[(maria, all_ratings(1)), (raj, all_ratings(4))],
        months_ago=1,
    )
    return {
        "pm": issue(session, user=pm),
        "other": issue(session, user=other),
        "viewer": issue(session, user=viewer),
        "admin": issue(session, user=admin),
        "fin": fin,
    }


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_recording_a_status_returns_201_and_keeps_history(client, session, tokens):
    body = {"status": "amber", "note": "Integration slipping", "reported_on": "2024-03-01"}
    response = client.post(
        "/api/v1/projects/FIN-ERP/status", json=body, headers=_auth(tokens["pm"])
    )
    assert response.status_code == 201
    assert response.json["status"] == "amber" and response.json["reported_on"] == "2024-03-01"

    # Without a date it is today's report; nothing is overwritten.
    response = client.post(
        "/api/v1/projects/FIN-ERP/status", json={"status": "RED"}, headers=_auth(tokens["pm"])
    )
    assert response.status_code == 201 and response.json["status"] == "red"
    reports = session.exec(
        select(StatusReport).where(StatusReport.project_id == tokens["fin"].id)
    ).all()
    assert sorted((str(r.reported_on), r.status) for r in reports) == [
        ("2024-03-01", "amber"),
        (str(date.today() - timedelta(days=1)), "green"),
        (str(date.today()), "red"),
    ]
    history = client.get("/api/v1/projects/FIN-ERP/status", headers=_auth(tokens["pm"])).json
    assert [r["status"] for r in history["reports"]] == ["amber", "green", "red"]
    # The latest report drives the verdict: red on paper and red measured is no watermelon.
    listed = client.get("/api/v1/projects", headers=_auth(tokens["pm"])).json["projects"]
    assert listed[0]["reported_status"] == "red" and listed[0]["watermelon"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "purple"}, "status"),
        ({}, "status"),
        ({"status": 3}, "status"),
        ({"status": "green", "reported_on": "01/03/2024"}, "reported_on"),
        ({"status": "green", "reported_on": "2999-01-01"}, "reported_on"),
        ({"status": "green", "note": "x" * 2001}, "note"),
        ({"status": "green", "note": ["not", "text"]}, "note"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(client, session, tokens, body, field):
    response = client.post(
        "/api/v1/projects/FIN-ERP/status", json=body, headers=_auth(tokens["pm"])
    )
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == "invalid" and error["message"]
    assert field in error["fields"]
    assert session.exec(select(StatusReport)).all().__len__() == 1  # only the fixture's


def test_a_body_that_is_not_a_json_object_is_a_400(client, tokens):
    for data, kind in (("not json", "application/json"), ("[1, 2]", "application/json")):
        response = client.post(
            "/api/v1/projects/FIN-ERP/status",
            data=data,
            content_type=kind,
            headers=_auth(tokens["pm"]),
        )
        assert response.status_code == 400
        assert response.json["error"]["fields"] == {"body": "must be a JSON object"}


def test_access_rules_for_recording_a_status(client, session, tokens):
    body = {"status": "green"}
    url = "/api/v1/projects/FIN-ERP/status"
    assert client.post(url, json=body).status_code == 401
    # Another PM does not learn that the project exists.
    response = client.post(url, json=body, headers=_auth(tokens["other"]))
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert client.post(url, json=body, headers=_auth(tokens["viewer"])).status_code == 403
    assert client.post(url, json=body, headers=_auth(tokens["admin"])).status_code == 201
    assert len(session.exec(select(StatusReport)).all()) == 2


def test_projects_list_health_and_the_watermelon_flag(client, tokens):
    listed = client.get("/api/v1/projects", headers=_auth(tokens["admin"])).json["projects"]
    by_code = {p["code"]: p for p in listed}
    assert by_code["FIN-ERP"]["watermelon"] is True
    assert by_code["FIN-ERP"]["health"] < 50
    assert by_code["HR-SELF"]["watermelon"] is False and by_code["HR-SELF"]["health"] > 70
    mine = client.get("/api/v1/projects", headers=_auth(tokens["pm"])).json["projects"]
    assert [p["code"] for p in mine] == ["FIN-ERP"]


def test_health_endpoint_follows_the_access_rules(client, tokens):
    health = client.get("/api/v1/projects/FIN-ERP/health", headers=_auth(tokens["pm"])).json
    assert health["watermelon"] is True and health["band"] == "red"
    assert len(health["waves"]) == 2 and health["waves"][-1]["answered"] == 1
    assert health["relationships"][0]["stakeholder"]["name"] == "Maria Chen"
    assert health["verdict"]["kind"] == "watermelon"
    assert (
        client.get("/api/v1/projects/HR-SELF/health", headers=_auth(tokens["pm"])).status_code
        == 404
    )
    assert client.get("/api/v1/projects/HR-SELF/health").status_code == 401


def test_alerts_endpoint_lists_only_visible_projects(client, tokens):
    mine = client.get("/api/v1/alerts", headers=_auth(tokens["pm"])).json["alerts"]
    assert {a["project"] for a in mine} == {"FIN-ERP"}
    assert {a["rule"] for a in mine} >= {"watermelon", "trust_drop"}
    theirs = client.get("/api/v1/alerts", headers=_auth(tokens["other"])).json["alerts"]
    assert all(a["project"] == "HR-SELF" for a in theirs)
    filtered = client.get(
        "/api/v1/alerts?rule=watermelon&status=open", headers=_auth(tokens["admin"])
    ).json["alerts"]
    assert [a["rule"] for a in filtered] == ["watermelon"]


def test_the_openapi_document_describes_the_new_routes(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/projects/{code}/status"]
    assert "/projects/{code}/health" in paths and "/alerts" in paths

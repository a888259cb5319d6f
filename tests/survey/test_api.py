"""The JSON API under /api/v1 and /healthz."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from survey import queue
from survey.api.tokens import issue
from survey.models import ApiToken, CommentScore, Rag, Role, StatusReport, User, utcnow
from tests.builders import (
    GOOD_ANSWERS,
    answer_pulse,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from workers.pipeline import drain_outbox

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def portfolio(app, session):  # type: ignore[no-untyped-def]
    """Two PMs with a project each; Maria has answered two waves on FIN-ERP."""
    pm = make_user(session, email="pm@example.com")
    other_pm = make_user(session, email="other.pm@example.com")
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    own = make_project(session, pm=pm, code="FIN-ERP", name="Finance ERP replacement")
    other = make_project(session, pm=other_pm, code="HR-SELF", name="HR self-service portal")
    session.add(StatusReport(project_id=own.id, reported_on=utcnow().date(), status=Rag.green))
    session.commit()
    maria = make_relationship(session, project=own, name="Maria Chen", influence=5)
    quiet = make_relationship(session, project=own, name="Tom Reilly", influence=2)
    raj = make_relationship(session, project=other, name="Raj Patel")
    march, april = make_wave(session, project=own, days_left=3), make_wave(session, project=own)
    march.title, april.title = "March pulse", "April pulse"
    session.add_all([march, april])
    session.commit()
    answer_pulse(app, make_invitation(session, wave=march, relationship=maria)[1], GOOD_ANSWERS)
    april_answers = {**GOOD_ANSWERS, "trust": "1", "comment": "Awful. Nobody tells us anything."}
    answer_pulse(app, make_invitation(session, wave=april, relationship=maria)[1], april_answers)
    drain_outbox()
    return {
        "pm": issue(session, user=pm),
        "other_pm": issue(session, user=other_pm),
        "admin": issue(session, user=admin),
        "maria": maria,
        "quiet": quiet,
        "raj": raj,
        "waves": (march, april),
    }


def _get(client, path: str, token: str | None = None, scheme: str = "Bearer"):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"{scheme} {token}"} if token is not None else {}
    return client.get(path, headers=headers)


def _assert_error(response, status: int, code: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == status
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert isinstance(body["error"]["fields"], dict)


PROTECTED = ("/api/v1/projects", "/api/v1/projects/FIN-ERP/relationships")


@pytest.mark.parametrize("path", PROTECTED)
def test_no_token_is_401_with_the_error_shape(client, portfolio, path):
    response = _get(client, path)
    _assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("scheme", "token"),
    [("Bearer", "not-a-real-token"), ("Bearer", ""), ("Basic", "cG06ZGVtbw==")],
)
def test_bad_token_is_401(client, portfolio, scheme, token):
    _assert_error(_get(client, "/api/v1/projects", token, scheme), 401, "unauthorized")


def test_trend_without_token_is_401(client, portfolio):
    response = _get(client, f"/api/v1/relationships/{portfolio['maria'].id}/trend")
    _assert_error(response, 401, "unauthorized")


def test_revoked_and_expired_tokens_are_401(client, session, portfolio):
    pm = session.exec(select(User).where(User.email == "pm@example.com")).one()
    revoked = session.exec(select(ApiToken).where(ApiToken.user_id == pm.id)).one()
    revoked.revoked = True
    late = make_user(session, email="late@example.com")
    expired_raw = issue(session, user=late)
    expired = session.exec(select(ApiToken).where(ApiToken.user_id == late.id)).one()
    expired.expires_at = utcnow() - timedelta(minutes=1)
    session.add_all([revoked, expired])
    session.commit()
    _assert_error(_get(client, "/api/v1/projects", portfolio["pm"]), 401, "unauthorized")
    _assert_error(_get(client, "/api/v1/projects", expired_raw), 401, "unauthorized")


def test_token_of_a_deactivated_user_is_401(client, session, portfolio):
    user = session.exec(select(User).where(User.email == "other.pm@example.com")).one()
    user.active = False
    session.add(user)
    session.commit()
    _assert_error(_get(client, "/api/v1/projects", portfolio["other_pm"]), 401, "unauthorized")


def test_projects_lists_only_the_pms_own(client, portfolio):
    body = _get(client, "/api/v1/projects", portfolio["pm"]).get_json()
    [project] = body["projects"]  # the other PM's HR-SELF is not there
    expected = {
        "code": "FIN-ERP",
        "name": "Finance ERP replacement",
        "reported_status": "green",
        "watermelon": False,
    }
    assert expected.items() <= project.items()
    assert {"phase", "health"} <= set(project)


def test_admin_token_lists_every_project(client, portfolio):
    body = _get(client, "/api/v1/projects", portfolio["admin"]).get_json()
    assert [p["code"] for p in body["projects"]] == ["FIN-ERP", "HR-SELF"]
    assert body["projects"][1]["reported_status"] is None


def test_relationships_carry_the_latest_trend_values(client, session, portfolio):
    response = _get(client, "/api/v1/projects/FIN-ERP/relationships", portfolio["pm"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["project"] == "FIN-ERP"
    by_name = {r["stakeholder"]["name"]: r for r in body["relationships"]}
    assert set(by_name) == {"Maria Chen", "Tom Reilly"}
    maria = by_name["Maria Chen"]
    assert maria["id"] == portfolio["maria"].id
    assert maria["stakeholder"]["influence"] == 5
    april = portfolio["waves"][1]
    latest_score = session.exec(select(CommentScore).order_by(CommentScore.id.desc())).first()
    assert maria["latest"]["wave_id"] == april.id
    assert maria["latest"]["trust"] == 1
    assert maria["latest"]["satisfaction"] == 4
    assert maria["latest"]["answers"] == 1
    assert maria["latest"]["sentiment"] == pytest.approx(latest_score.polarity)
    assert by_name["Tom Reilly"]["latest"] is None


def test_another_pms_project_relationships_are_404(client, portfolio):
    response = _get(client, "/api/v1/projects/HR-SELF/relationships", portfolio["pm"])
    _assert_error(response, 404, "not_found")
    assert "Raj" not in response.text
    _assert_error(
        _get(client, "/api/v1/projects/NOPE/relationships", portfolio["pm"]), 404, "not_found"
    )


def test_trend_has_one_point_per_wave_with_sentiment(client, session, portfolio):
    maria = portfolio["maria"]
    response = _get(client, f"/api/v1/relationships/{maria.id}/trend", portfolio["pm"])
    assert response.status_code == 200
    body = response.get_json()
    assert body["relationship_id"] == maria.id
    points = body["points"]
    march, april = portfolio["waves"]
    assert [(p["wave_id"], p["wave"]) for p in points] == [
        (march.id, "March pulse"),
        (april.id, "April pulse"),
    ]
    assert [p["trust"] for p in points] == [2, 1]
    scores = session.exec(select(CommentScore).order_by(CommentScore.id)).all()
    assert [p["sentiment"] for p in points] == pytest.approx([s.polarity for s in scores])
    assert points[0]["sentiment"] > points[1]["sentiment"]
    assert all(p["closes_at"] for p in points)


def test_another_pms_relationship_trend_is_404(client, portfolio):
    raj = portfolio["raj"]
    _assert_error(
        _get(client, f"/api/v1/relationships/{raj.id}/trend", portfolio["pm"]), 404, "not_found"
    )
    admin = _get(client, f"/api/v1/relationships/{raj.id}/trend", portfolio["admin"])
    assert admin.status_code == 200 and admin.get_json()["points"] == []
    _assert_error(
        _get(client, "/api/v1/relationships/999999/trend", portfolio["pm"]), 404, "not_found"
    )


def test_unknown_api_path_is_json_404(client):
    _assert_error(client.get("/api/v1/nothing-here"), 404, "not_found")


def _openapi_path(rule: str) -> str:
    """A Flask rule as an OpenAPI path relative to the /api/v1 server."""
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.removeprefix("/api/v1"))


def test_openapi_documents_every_api_route(app, client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.")
    assert document["servers"] == [{"url": "/api/v1"}]
    routes = {
        _openapi_path(rule.rule): rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1/") and rule.endpoint != "api.openapi_document"
    }
    assert len(routes) >= 3
    assert set(document["paths"]) == set(routes)
    for path, rule in routes.items():
        methods = {m.lower() for m in rule.methods - {"HEAD", "OPTIONS"}}
        operations = document["paths"][path]
        assert methods <= set(operations), path
        for method in methods:
            operation = operations[method]
            params = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert params == set(rule.arguments), path
            codes = set(operation["responses"])
            assert "401" in codes and any(code.startswith("2") for code in codes), path


def test_healthz_reports_db_and_redis_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"db": "ok", "redis": "ok"}


def test_healthz_is_503_naming_redis_when_redis_is_unreachable(app):
    settings = app.extensions["rapport.settings"]
    app.extensions["rapport.settings"] = settings.with_overrides(redis_url=DEAD_REDIS)
    queue.redis_for.cache_clear()
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"db": "ok", "redis": "down"}


def test_healthz_is_503_naming_the_database_when_it_is_unreachable(app, tmp_path):
    settings = app.extensions["rapport.settings"]
    missing = f"sqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'rapport.db'}"
    app.extensions["rapport.settings"] = settings.with_overrides(database_url=missing)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"db": "down", "redis": "ok"}


def test_openapi_document_is_a_valid_openapi_3_1_document(client):
    from openapi_spec_validator import validate

    document = client.get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises with the offending path when the document is invalid

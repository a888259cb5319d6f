"""A NUL character anywhere in a request is refused with a clear 400 and nothing is stored."""

from __future__ import annotations

from urllib.parse import quote

from sqlmodel import select

from survey.api.tokens import issue
from survey.models import Response, StatusReport
from tests.builders import GOOD_ANSWERS, make_invited, make_project, make_user
from tests.conftest import csrf_token


def _bearer(session, user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {issue(session, user=user)}"}


def test_nul_in_an_api_path_is_a_400_naming_the_path(app, session):
    user = make_user(session, email="pm@example.com")
    reply = app.test_client().get(
        f"/api/v1/projects/{quote(chr(0))}/health", headers=_bearer(session, user)
    )
    assert reply.status_code == 400
    assert reply.json["error"]["fields"] == {"path": "contains a NUL character"}
    assert "NUL character" in reply.json["error"]["message"]


def test_nul_in_a_query_names_the_parameter(app, session):
    user = make_user(session, email="pm@example.com")
    reply = app.test_client().get("/api/v1/alerts?status=open%00", headers=_bearer(session, user))
    assert reply.status_code == 400
    assert reply.json["error"]["fields"] == {"status": "contains a NUL character"}


def test_nul_anywhere_in_a_json_body_saves_nothing(app, session):
    user = make_user(session, email="pm@example.com")
    project = make_project(session, pm=user, code="NUL")
    client = app.test_client()
    body = {"status": "green", "note": ["fine", {"deep": "a\x00b"}]}
    reply = client.post(
        f"/api/v1/projects/{project.code}/status", json=body, headers=_bearer(session, user)
    )
    assert reply.status_code == 400
    assert reply.json["error"]["fields"] == {"note": "contains a NUL character"}
    assert session.exec(select(StatusReport)).all() == []


def test_nul_in_a_pulse_comment_is_refused_and_the_form_answer_is_not_stored(app, session):
    _invitation, raw, _project = make_invited(session)
    client = app.test_client()
    token = csrf_token(client.get(f"/s/{raw}").text)
    data = {**GOOD_ANSWERS, "comment": "late again\x00", "csrf_token": token}
    reply = client.post(f"/s/{raw}", data=data)
    assert reply.status_code == 400
    assert "NUL character" in reply.text and "Nothing was saved" in reply.text
    assert session.exec(select(Response)).all() == []
    # Without the NUL the same answer goes through.
    data["comment"] = "late again"
    assert client.post(f"/s/{raw}", data=data).status_code == 303


def test_ordinary_text_with_backslash_zero_is_not_mistaken_for_nul(app, session):
    user = make_user(session, email="pm@example.com")
    project = make_project(session, pm=user, code="ESC")
    reply = app.test_client().post(
        f"/api/v1/projects/{project.code}/status",
        json={"status": "green", "note": "path C:\\0 and \\u0000 as typed"},
        headers=_bearer(session, user),
    )
    assert reply.status_code == 201, reply.json


HUGE_ID = "9" * 30  # beyond any integer column
FIRST_TOO_LARGE = 2**31  # PostgreSQL INTEGER ids stop one short of this


def test_ids_too_large_for_the_database_are_404_in_the_api(app, session):
    user = make_user(session, email="pm@example.com")
    client = app.test_client()
    for path in ("waves", "relationships", "stakeholders", "actions", "webhooks"):
        for number in (HUGE_ID, FIRST_TOO_LARGE):
            reply = client.get(f"/api/v1/{path}/{number}", headers=_bearer(session, user))
            assert reply.status_code == 404, (path, number)
            assert reply.json["error"]["code"] == "not_found"
    # The largest id that fits still reaches the view, which answers for itself.
    fits = client.get(f"/api/v1/waves/{FIRST_TOO_LARGE - 1}", headers=_bearer(session, user))
    assert fits.status_code == 404 and fits.json["error"]["message"] == "No such wave."
    # Every method gets the same 404, not a 405 from a rule that failed to match.
    reply = client.patch(
        f"/api/v1/actions/{FIRST_TOO_LARGE}", json={}, headers=_bearer(session, user)
    )
    assert reply.status_code == 404


def test_ids_too_large_for_the_database_are_404_in_pages(session, client, auth):
    make_user(session, email="pm@example.com")
    auth.login()
    for path in (f"/waves/{HUGE_ID}", f"/setup/stakeholders/{HUGE_ID}"):
        assert client.get(path).status_code == 404, path


def test_alert_filters_outside_their_values_are_a_400_naming_the_field(app, session):
    user = make_user(session, email="pm@example.com")
    client = app.test_client()
    reply = client.get(
        "/api/v1/alerts?status=DeliveryStatus&severity=critical", headers=_bearer(session, user)
    )
    assert reply.status_code == 400
    assert set(reply.json["error"]["fields"]) == {"status"}
    assert "unresolved" in reply.json["error"]["fields"]["status"]
    ok = client.get(
        "/api/v1/alerts?status=unresolved&rule=watermelon", headers=_bearer(session, user)
    )
    assert ok.status_code == 200 and ok.json == {"alerts": []}

"""API token scopes and expiry: the CLI, the bearer check and the "My API tokens" page."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from survey.cli import main
from survey.models import ApiToken, AuditEntry, Project, Role, utcnow
from survey.passwords import token_hash
from tests.builders import make_project, make_user
from tests.conftest import csrf_token


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _token(session, raw: str) -> ApiToken:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(raw))).one()


def test_cli_token_defaults_to_read_for_a_year(runner, session, client):
    pm = make_user(session, email="pm@example.com")
    make_project(session, pm=pm, code="FIN-ERP")
    result = runner.invoke(main, ["token", "create", "--email", "pm@example.com"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    token = _token(session, raw)
    assert token.scope == "read"
    assert abs(token.expires_at - (utcnow() + timedelta(days=365))) < timedelta(minutes=5)
    assert client.get("/api/v1/projects", headers=_bearer(raw)).status_code == 200
    write = client.patch("/api/v1/projects/FIN-ERP", headers=_bearer(raw), json={"phase": "UAT"})
    assert write.status_code == 403
    assert write.get_json()["error"]["code"] == "insufficient_scope"
    session.expire_all()
    assert session.exec(select(Project)).one().phase == "delivery"


def test_cli_write_token_with_expiry_can_write(runner, session, client):
    pm = make_user(session, email="pm@example.com")
    make_project(session, pm=pm, code="FIN-ERP")
    args = ["token", "create", "--email", "pm@example.com", "--label", "sync"]
    result = runner.invoke(main, [*args, "--scope", "write", "--expires-in-days", "7"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    token = _token(session, raw)
    assert (token.scope, token.label) == ("write", "sync")
    assert token.expires_at < utcnow() + timedelta(days=8)
    reply = client.patch("/api/v1/projects/FIN-ERP", headers=_bearer(raw), json={"phase": "UAT"})
    assert reply.status_code == 200, reply.text


def test_cli_rejects_bad_scope_and_expiry_without_creating_a_token(runner, session):
    make_user(session, email="pm@example.com")
    for extra in (["--scope", "admin"], ["--expires-in-days", "0"], ["--expires-in-days", "x"]):
        result = runner.invoke(main, ["token", "create", "--email", "pm@example.com", *extra])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
    assert session.exec(select(ApiToken)).all() == []


def test_a_read_token_cannot_post_anywhere(runner, session, client):
    pm = make_user(session, email="pm@example.com")
    make_project(session, pm=pm, code="FIN-ERP")
    raw = runner.invoke(main, ["token", "create", "--email", "pm@example.com"]).output.strip()
    for path, body in (
        ("/api/v1/projects", {"code": "NEW-1", "name": "New"}),
        ("/api/v1/projects/FIN-ERP/status", {"status": "red"}),
    ):
        reply = client.post(path, headers=_bearer(raw), json=body)
        assert reply.status_code == 403, path
        assert set(reply.get_json()["error"]) == {"code", "message", "fields"}
    session.expire_all()
    assert [p.code for p in session.exec(select(Project))] == ["FIN-ERP"]


def test_expired_token_is_401_saying_so(runner, session, client):
    make_user(session, email="pm@example.com")
    raw = runner.invoke(main, ["token", "create", "--email", "pm@example.com"]).output.strip()
    token = _token(session, raw)
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.add(token)
    session.commit()
    reply = client.get("/api/v1/projects", headers=_bearer(raw))
    assert reply.status_code == 401
    assert reply.get_json()["error"]["code"] == "unauthorized"
    assert "expired" in reply.get_json()["error"]["message"]


def _tokens_page(client, auth, email: str):  # type: ignore[no-untyped-def]
    auth.login(email)
    return client.get("/account/tokens")


def test_tokens_page_creates_shows_once_lists_and_revokes(client, auth, session):
    make_user(session, email="pm@example.com")
    page = _tokens_page(client, auth, "pm@example.com")
    assert page.status_code == 200 and "No tokens yet" in page.text
    reply = client.post(
        "/account/tokens",
        data={
            "label": "portfolio sync",
            "scope": "write",
            "expires_in_days": "30",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    raw = re.search(r'id="new-token" readonly value="([^"]+)"', reply.text).group(1)
    token = _token(session, raw)
    assert (token.label, token.scope) == ("portfolio sync", "write")
    assert client.get("/api/v1/projects", headers=_bearer(raw)).status_code == 200
    listing = client.get("/account/tokens")
    assert "portfolio sync" in listing.text and raw not in listing.text
    revoke = client.post(
        "/account/tokens/revoke",
        data={"token_id": str(token.id), "csrf_token": csrf_token(listing.text)},
    )
    assert revoke.status_code == 302
    assert _token(session, raw).revoked is True
    assert client.get("/api/v1/projects", headers=_bearer(raw)).status_code == 401
    actions = {a.action for a in session.exec(select(AuditEntry))}
    assert {"api_token.create", "api_token.revoke"} <= actions


def test_token_form_errors_are_shown_and_nothing_is_created(client, auth, session):
    make_user(session, email="pm@example.com")
    page = _tokens_page(client, auth, "pm@example.com")
    for data, message in (
        ({"label": "", "scope": "read"}, "Label must not be empty"),
        ({"label": "x", "scope": "root"}, "Scope must be one of"),
        ({"label": "x", "scope": "read", "expires_in_days": "9999"}, "Expires in (days)"),
        ({"label": "x", "scope": "read", "expires_in_days": "soon"}, "must be a whole number"),
    ):
        reply = client.post("/account/tokens", data={**data, "csrf_token": csrf_token(page.text)})
        assert reply.status_code == 400, data
        assert message in reply.text, (data, reply.text)
        assert 'id="new-token"' not in reply.text
    assert session.exec(select(ApiToken)).all() == []


def test_token_form_needs_csrf(client, auth, session):
    make_user(session, email="pm@example.com")
    _tokens_page(client, auth, "pm@example.com")
    reply = client.post("/account/tokens", data={"label": "x", "scope": "read"})
    assert reply.status_code == 400
    assert session.exec(select(ApiToken)).all() == []


def test_viewer_may_only_create_read_tokens(client, auth, session):
    make_user(session, email="viewer@example.com", role=Role.viewer)
    page = _tokens_page(client, auth, "viewer@example.com")
    assert 'value="write"' not in page.text
    reply = client.post(
        "/account/tokens",
        data={"label": "x", "scope": "write", "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 400 and "viewer can only read" in reply.text
    assert session.exec(select(ApiToken)).all() == []


def test_nobody_can_revoke_someone_elses_token(client, auth, session, runner):
    make_user(session, email="pm@example.com")
    make_user(session, email="other@example.com")
    raw = runner.invoke(main, ["token", "create", "--email", "other@example.com"]).output.strip()
    theirs = _token(session, raw)
    page = _tokens_page(client, auth, "pm@example.com")
    assert "other@example.com" not in page.text
    reply = client.post(
        "/account/tokens/revoke",
        data={"token_id": str(theirs.id), "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302
    assert _token(session, raw).revoked is False
    assert client.get("/api/v1/projects", headers=_bearer(raw)).status_code == 200

"""The audit log records who did what to which record, and refuses personal data."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey import audit
from survey.cli import main
from survey.models import ApiToken, AuditEntry, User
from tests.builders import make_user
from tests.conftest import csrf_token


def _entries(session, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_login_logout_and_failed_login_are_audited_with_ids_only(client, auth, session):
    user = make_user(session, email="pm@example.com", password="demo")
    auth.login("pm@example.com", "wrong-password")
    auth.login("pm@example.com", "demo")
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/portfolio").text)})
    (failed,) = _entries(session, "auth.login_failed")
    assert failed.actor_id is None and failed.target_id == user.id
    (login,) = _entries(session, "auth.login")
    assert login.actor_id == user.id and login.target_kind == "user"
    assert login.at.tzinfo is not None
    (logout,) = _entries(session, "auth.logout")
    assert logout.actor_id == user.id
    dump = repr([e.model_dump() for e in session.exec(select(AuditEntry))])
    assert "pm@example.com" not in dump and "wrong-password" not in dump


def test_failed_login_for_unknown_address_is_audited_without_the_address(auth, session):
    auth.login("nobody@example.com", "x")
    (entry,) = _entries(session, "auth.login_failed")
    assert entry.target_id is None
    assert "nobody" not in repr(entry.model_dump())


def test_user_and_token_creation_from_the_cli_are_audited(runner, session, rapport_env):
    made = runner.invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "Admin@Example.com",
            "--role",
            "admin",
            "--password",
            "pw123",
        ],
    )
    assert made.exit_code == 0, made.output
    user = session.exec(select(User).where(User.email == "admin@example.com")).one()
    (created,) = _entries(session, "user.create")
    assert created.target_id == user.id and created.actor_id is None
    assert created.detail == {"role": "admin", "via": "cli"}
    token = runner.invoke(main, ["token", "create", "--email", "admin@example.com"])
    assert token.exit_code == 0, token.output
    api_token = session.exec(select(ApiToken)).one()
    (issued,) = _entries(session, "api_token.create")
    assert issued.target_kind == "api_token" and issued.target_id == api_token.id
    assert issued.detail["user_id"] == user.id
    assert token.output.strip() not in repr(issued.model_dump())


@pytest.mark.parametrize(
    "detail",
    [
        {"comment": "The sponsor hides the real budget from the steering group, again."},
        {"email": "maria@example.com"},
        {"answers": {"trust": 2}},
    ],
)
def test_audit_detail_refuses_free_text_emails_and_nested_data(session, detail):
    with pytest.raises(ValueError, match="audit detail"):
        audit.record(
            session, actor_id=1, action="x", target_kind="response", target_id=1, detail=detail
        )


def test_audit_record_joins_the_callers_transaction(session):
    audit.record(session, actor_id=None, action="wave.open", target_kind="wave", target_id=3)
    session.rollback()
    assert session.exec(select(AuditEntry)).all() == []
    audit.record(
        session,
        actor_id=None,
        action="wave.open",
        target_kind="wave",
        target_id=3,
        detail={"projects": 2, "code": "ERP-1"},
    )
    session.commit()
    assert session.exec(select(AuditEntry)).one().detail == {"projects": 2, "code": "ERP-1"}

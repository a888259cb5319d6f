"""POST /api/v1/waves/<id>/send and /close: what an integration needs to run a pulse, and who
may: a wave shared between projects mails every project's people, so only someone who may
change each of them (an admin, or the PM of them all) sends or closes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from survey.api.tokens import issue
from survey.models import Role, TokenScope, User, Wave, WaveStatus, utcnow
from tests.builders import make_user
from tests.wave_builders import invitations_of, project_with

DAY = timedelta(days=1)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _draft(client, headers: dict, *codes: str) -> int:  # type: ignore[no-untyped-def]
    body = {"projects": list(codes), "closes_at": (utcnow() + 10 * DAY).isoformat()}
    created = client.post("/api/v1/waves", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json["wave"]["id"])


@pytest.fixture
def teams(session):  # type: ignore[no-untyped-def]
    fin, hr = project_with(session, 2, name="Finance ERP"), project_with(session, 1, name="HR")
    pm, other_pm = session.get(User, fin.pm_id), session.get(User, hr.pm_id)
    return {
        "fin": fin.code,
        "hr": hr.code,
        "pm": _bearer(issue(session, user=pm)),
        "pm_read": _bearer(issue(session, user=pm, scope=TokenScope.read)),
        "other_pm": _bearer(issue(session, user=other_pm)),
        "admin": _bearer(issue(session, user=make_user(session, role=Role.admin))),
    }


def test_a_pm_sends_and_closes_their_own_draft(client, session, teams):
    wave_id = _draft(client, teams["pm"], teams["fin"])
    sent = client.post(f"/api/v1/waves/{wave_id}/send", headers=teams["pm"])
    assert sent.status_code == 200, sent.text
    assert sent.json["wave"]["status"] == "open"
    session.expire_all()
    assert len(invitations_of(session, session.get(Wave, wave_id))) == 2
    again = client.post(f"/api/v1/waves/{wave_id}/send", headers=teams["pm"])
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    closed = client.post(f"/api/v1/waves/{wave_id}/close", headers=teams["pm"])
    assert closed.status_code == 200 and closed.json["wave"]["status"] == "closed"
    # Closing again changes nothing and says the same.
    assert client.post(f"/api/v1/waves/{wave_id}/close", headers=teams["pm"]).json == closed.json


def test_a_read_token_another_pm_and_no_token_change_nothing(client, session, teams):
    wave_id = _draft(client, teams["pm"], teams["fin"])
    for action in ("send", "close"):
        path = f"/api/v1/waves/{wave_id}/{action}"
        assert client.post(path, headers=teams["pm_read"]).status_code == 403
        assert client.post(path, headers=teams["other_pm"]).status_code == 404
        assert client.post(path).status_code == 401
    assert client.post("/api/v1/waves/999999/send", headers=teams["admin"]).status_code == 404
    session.expire_all()
    assert session.get(Wave, wave_id).status == WaveStatus.draft


def test_a_shared_wave_is_sent_and_closed_only_by_someone_who_may_change_every_project(
    client, session, teams
):
    wave_id = _draft(client, teams["admin"], teams["fin"], teams["hr"])
    for who in ("pm", "other_pm"):
        refused = client.post(f"/api/v1/waves/{wave_id}/send", headers=teams[who])
        assert refused.status_code == 403, who
        assert "every project" in refused.json["error"]["message"]
    session.expire_all()
    assert session.get(Wave, wave_id).status == WaveStatus.draft
    assert client.post(f"/api/v1/waves/{wave_id}/send", headers=teams["admin"]).status_code == 200
    assert client.post(f"/api/v1/waves/{wave_id}/close", headers=teams["pm"]).status_code == 403
    session.expire_all()
    assert session.get(Wave, wave_id).status == WaveStatus.open

"""/admin/queues lists digests and review packs a worker stopped sending midway; an admin sends
one again (once, however often the job runs) or dismisses it. Nothing else sends them again."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from rq import Queue
from sqlmodel import select

from survey import mail_problems
from survey.models import AuditEntry, DigestLog, ReportStatus, Role, Stakeholder, utcnow
from tests import smtp_server as loopback_smtp
from tests.builders import make_user
from tests.conftest import csrf_token
from tests.killed_worker import killed_while_sending
from tests.killed_worker import smtp as workers_on_loopback_smtp
from tests.report_builders import utc
from tests.survey.review_fixture import fixture_project
from workers import digests as digest_jobs

smtp_server = loopback_smtp.smtp_server
smtp = workers_on_loopback_smtp

NOW = utc(2026, 3, 5, 20)  # a Thursday, hours after the last answer
STALE = mail_problems.SENDING_STALE_AFTER
SEND_AGAIN = ">Send again</button>"
INTERRUPTED = "interrupted: may not have arrived"


def _interrupted_digest(session, monkeypatch, *, age=STALE + timedelta(minutes=5)):  # type: ignore[no-untyped-def]
    """Run the digest job and kill it while it sends Bob's digest, `age` ago."""
    _pm, project, _alice, bob = fixture_project(session)
    address = session.get(Stakeholder, bob.stakeholder_id).email
    with killed_while_sending(monkeypatch, to=address):
        digest_jobs.send_project_digests(project.id, now=NOW)
    session.expire_all()
    entry = session.exec(select(DigestLog).where(DigestLog.status == ReportStatus.sending)).one()
    assert entry.recipient == f"stakeholder:{bob.stakeholder_id}"
    entry.claimed_at = utcnow() - age
    session.add(entry)
    session.commit()
    return project, address, entry


def _login(auth, session, role: Role = Role.admin) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role=role)
    assert auth.login(user.email, "demo").status_code == 302


def _card(client) -> str:  # type: ignore[no-untyped-def]
    page = client.get("/admin/queues").text
    return page[page.index('id="interrupted-reports"') :]


def _post(client, entry, action: str, **data):  # type: ignore[no-untyped-def]
    return client.post(f"/admin/queues/reports/{entry.id}/{action}", data=data)


def _token(client) -> str:  # type: ignore[no-untyped-def]
    return csrf_token(client.get("/admin/queues").text)


def _status(session, entry) -> ReportStatus:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(DigestLog, entry.id).status


def _audited(session, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def test_a_stale_sending_digest_is_listed_with_who_what_and_when(
    client, auth, session, smtp, monkeypatch
):
    project, _address, entry = _interrupted_digest(session, monkeypatch)
    _login(auth, session)
    card = _card(client)
    assert INTERRUPTED in card and card.count(SEND_AGAIN) == 1
    assert entry.recipient.replace("stakeholder:", "Stakeholder ") in card
    assert f">{project.code}</a>" in card and "summary digest" in card
    assert "2026-W10" in card
    assert entry.claimed_at.strftime("%Y-%m-%d %H:%M") in card
    # Ids only, like the rest of the admin pages.
    assert "Bob Quill" not in card


def test_a_digest_still_being_sent_is_not_listed(client, auth, session, smtp, monkeypatch):
    _interrupted_digest(session, monkeypatch, age=STALE / 2)
    _login(auth, session)
    card = _card(client)
    assert INTERRUPTED not in card and SEND_AGAIN not in card
    assert "No digest or review pack is waiting for a decision" in card


@pytest.mark.parametrize("role", [Role.pm, Role.viewer])
def test_non_admins_can_neither_see_nor_decide(client, auth, session, smtp, monkeypatch, role):
    _project, _address, entry = _interrupted_digest(session, monkeypatch)
    _login(auth, session, role)
    assert client.get("/admin/queues").status_code == 403
    token = csrf_token(client.get("/login").text)
    for action in ("send-again", "dismiss"):
        assert _post(client, entry, action, csrf_token=token).status_code == 403
    assert _status(session, entry) == ReportStatus.sending


def test_deciding_needs_a_csrf_token(client, auth, session, smtp, monkeypatch):
    _project, _address, entry = _interrupted_digest(session, monkeypatch)
    _login(auth, session)
    for action in ("send-again", "dismiss"):
        assert _post(client, entry, action).status_code == 400
    assert _status(session, entry) == ReportStatus.sending
    assert _audited(session, "report.send_again") == _audited(session, "report.dismiss") == []


def test_an_unknown_log_row_is_a_404(client, auth, session, rapport_env):
    _login(auth, session)
    response = client.post(
        "/admin/queues/reports/999/send-again", data={"csrf_token": _token(client)}
    )
    assert response.status_code == 404


def test_the_digest_job_never_sends_a_stuck_one_again_on_its_own(session, smtp, monkeypatch):
    project, address, entry = _interrupted_digest(session, monkeypatch)
    outcome = digest_jobs.send_project_digests(project.id, now=NOW + timedelta(minutes=30))
    assert outcome == {"already done": 3}
    assert smtp.handler.to(address) == []
    assert _status(session, entry) == ReportStatus.sending


def test_send_again_delivers_exactly_one_digest_however_often_the_job_runs(
    client, auth, session, smtp, monkeypatch, redis_url
):
    project, address, entry = _interrupted_digest(session, monkeypatch)
    others = len(smtp.handler.messages)
    assert others == 2 and smtp.handler.to(address) == []  # the PM's and Alice's went out
    _login(auth, session)
    response = _post(client, entry, "send-again", csrf_token=_token(client))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/queues#interrupted-reports")
    assert _status(session, entry) == ReportStatus.resend
    reports = Queue("reports", connection=redis.Redis.from_url(redis_url))
    assert reports.job_ids == [f"digests-{project.id}"]
    card = _card(client)
    assert "sent again by the next run" in card and SEND_AGAIN not in card

    later = NOW + timedelta(minutes=30)
    first = digest_jobs.send_project_digests(project.id, now=later)
    second = digest_jobs.send_project_digests(project.id, now=later + timedelta(minutes=15))
    assert first == {"sent": 1, "already done": 3}
    assert second == {"already done": 3}
    [message] = smtp.handler.to(address)
    assert "summary" in str(message["Subject"])
    assert len(smtp.handler.messages) == others + 1
    session.expire_all()
    done = session.get(DigestLog, entry.id)
    assert done.status == ReportStatus.sent and done.period == "2026-W10"
    assert "an admin had it sent again" in done.note
    assert len(session.exec(select(DigestLog)).all()) == 3
    [audit] = _audited(session, "report.send_again")
    assert (audit.target_kind, audit.target_id) == ("digest_log", entry.id)
    assert audit.detail == {"project_id": project.id, "kind": "digest", "period": "2026-W10"}
    assert INTERRUPTED not in _card(client)


def test_send_again_twice_marks_it_once(client, auth, session, smtp, monkeypatch):
    _project, _address, entry = _interrupted_digest(session, monkeypatch)
    _login(auth, session)
    token = _token(client)
    _post(client, entry, "send-again", csrf_token=token)
    _post(client, entry, "send-again", csrf_token=token)
    assert "no longer waiting for a decision" in client.get("/admin/queues").text
    assert len(_audited(session, "report.send_again")) == 1


def test_dismiss_takes_it_off_the_list_and_it_is_never_sent(
    client, auth, session, smtp, monkeypatch
):
    project, address, entry = _interrupted_digest(session, monkeypatch)
    _login(auth, session)
    response = _post(client, entry, "dismiss", csrf_token=_token(client))
    assert response.status_code == 302
    assert _status(session, entry) == ReportStatus.dismissed
    page = client.get("/admin/queues").text
    assert "Dismissed: it will not be sent again." in page
    card = page[page.index('id="interrupted-reports"') :]
    assert INTERRUPTED not in card
    assert "No digest or review pack is waiting for a decision" in card
    [audit] = _audited(session, "report.dismiss")
    assert audit.target_id == entry.id
    # Neither sent again nor dismissed twice.
    assert _post(client, entry, "send-again", csrf_token=_token(client)).status_code == 302
    assert _status(session, entry) == ReportStatus.dismissed
    digest_jobs.send_project_digests(project.id, now=NOW + timedelta(minutes=30))
    assert smtp.handler.to(address) == []

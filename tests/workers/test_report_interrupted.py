"""Review packs and digests whose worker died mid-send: never sent again on their own; after an
admin's "send again", sent once more however often the job runs."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue
from sqlmodel import select

from survey import mail_problems, plans
from survey.models import DigestLog, ReportStatus, Role, Stakeholder, utcnow
from tests import smtp_server as loopback_smtp
from tests.builders import make_user
from tests.killed_worker import killed_while_sending
from tests.killed_worker import smtp as workers_on_loopback_smtp
from tests.report_builders import utc
from tests.survey.review_fixture import fixture_project
from workers import context
from workers import digests as digest_jobs
from workers import reviews as review_jobs

smtp_server = loopback_smtp.smtp_server
smtp = workers_on_loopback_smtp

NOW = utc(2026, 3, 5, 20)
AFTER_Q1 = utc(2026, 4, 2)
STALE = mail_problems.SENDING_STALE_AFTER


def _stuck(session) -> DigestLog:  # type: ignore[no-untyped-def]
    """The row left in "sending", its claim made stale."""
    session.expire_all()
    entry = session.exec(select(DigestLog).where(DigestLog.status == ReportStatus.sending)).one()
    entry.claimed_at = utcnow() - STALE - timedelta(minutes=1)
    session.add(entry)
    session.commit()
    return entry


def _send_again(session, entry: DigestLog) -> None:  # type: ignore[no-untyped-def]
    admin = make_user(session, role=Role.admin)
    assert plans.send_again(session, entry=entry, actor_id=admin.id, now=utcnow())  # type: ignore[arg-type]
    session.commit()


def _reload(session, entry: DigestLog) -> DigestLog:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(DigestLog, entry.id)


def test_a_stuck_review_pack_is_not_due_again_until_an_admin_asks(session, smtp, monkeypatch):
    pm, project, _a, _b = fixture_project(session)
    settings = context.settings()
    with killed_while_sending(monkeypatch):
        review_jobs.send_review_pack(project.id, "2026Q1")
    entry = _stuck(session)
    assert review_jobs.due_reviews(settings, AFTER_Q1) == []
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "already done"
    assert smtp.handler.messages == []
    assert [r.entry.id for r in plans.unfinished_reports(session, now=utcnow())] == [entry.id]

    _send_again(session, entry)
    assert review_jobs.due_reviews(settings, AFTER_Q1) == [(project.id, "2026Q1")]
    assert review_jobs.enqueue_reviews(settings, AFTER_Q1) == 1
    reports = Queue("reports", connection=redis.Redis.from_url(settings.redis_url))
    assert reports.job_ids == [f"review-{project.id}-2026Q1"]
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "sent"
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "already done"
    [message] = smtp.handler.to(pm.email)
    assert "review pack 2026Q1" in str(message["Subject"])
    assert len(smtp.handler.messages) == 1
    assert _reload(session, entry).status == ReportStatus.sent
    assert review_jobs.due_reviews(settings, AFTER_Q1) == []
    assert plans.unfinished_reports(session, now=utcnow()) == []


def test_a_pack_sent_again_after_the_project_changed_hands_goes_to_the_new_pm(
    session, smtp, monkeypatch
):
    _pm, project, _a, _b = fixture_project(session)
    with killed_while_sending(monkeypatch):
        review_jobs.send_review_pack(project.id, "2026Q1")
    entry = _stuck(session)
    _send_again(session, entry)
    successor = make_user(session)
    project.pm_id = successor.id
    session.add(project)
    session.commit()
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "sent"
    assert [m["To"].addresses[0].addr_spec for m in smtp.handler.messages] == [successor.email]
    old = _reload(session, entry)
    assert old.status == ReportStatus.skipped and old.note == review_jobs.NOT_THE_PM
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "already done"
    assert len(smtp.handler.messages) == 1


def test_a_digest_sent_again_after_the_person_left_the_plan_is_skipped(session, smtp, monkeypatch):
    pm, project, _a, _b = fixture_project(session)
    with killed_while_sending(monkeypatch, to=pm.email):
        digest_jobs.send_project_digests(project.id, now=NOW)
    entry = _stuck(session)
    _send_again(session, entry)
    project.pm_id = make_user(session).id
    session.add(project)
    session.commit()
    outcome = digest_jobs.send_project_digests(project.id, now=NOW + timedelta(minutes=30))
    assert outcome["skipped"] == 1
    assert smtp.handler.to(pm.email) == []
    left = _reload(session, entry)
    assert left.status == ReportStatus.skipped and "no longer gets this digest" in left.note


def test_a_sent_again_digest_is_claimed_by_one_run_only(session, smtp, monkeypatch):
    _pm, project, _a, bob = fixture_project(session)
    address = session.get(Stakeholder, bob.stakeholder_id).email
    with killed_while_sending(monkeypatch, to=address):
        digest_jobs.send_project_digests(project.id, now=NOW)
    entry = _stuck(session)
    _send_again(session, entry)
    assert plans.claim_again(session, entry_id=entry.id) is not None  # type: ignore[arg-type]
    assert plans.claim_again(session, entry_id=entry.id) is None  # type: ignore[arg-type]
    # The run that lost finds nothing to send again; the winner's claim is fresh, not stuck.
    digest_jobs.send_project_digests(project.id, now=NOW + timedelta(minutes=30))
    assert smtp.handler.to(address) == []
    assert plans.unfinished_reports(session, now=utcnow()) == []

"""Digest and review-pack jobs: sent once per period even when run twice, skipped (and logged)
when nothing is new; shared actions reach the next invitation."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue
from sqlmodel import select

from survey.models import ActionStatus, DigestLog, FollowUpAction, ReportStatus, WaveStatus
from tests.builders import make_invitation
from tests.report_builders import closed_wave, utc
from tests.survey.review_fixture import fixture_project
from workers import digests as digest_jobs
from workers import invitations, mail, scheduler
from workers import reviews as review_jobs

NOW = utc(2026, 3, 5, 20)  # a Thursday, hours after the last answer


def _count_deliveries(monkeypatch):  # type: ignore[no-untyped-def]
    sent = []
    real = mail.deliver

    def counting(settings, message):  # type: ignore[no-untyped-def]
        sent.append(message)
        real(settings, message)

    monkeypatch.setattr(mail, "deliver", counting)
    return sent


def test_digest_job_run_twice_sends_once(session, rapport_env, monkeypatch):
    _pm, project, _a, _b = fixture_project(session)
    sent = _count_deliveries(monkeypatch)
    first = digest_jobs.send_project_digests(project.id, now=NOW)
    assert first == {"sent": 3}  # the PM, Alice (business lead) and Bob (area manager)
    second = digest_jobs.send_project_digests(project.id, now=NOW + timedelta(minutes=15))
    assert second == {"already done": 3}
    assert len(sent) == 3
    subjects = sorted(str(m["Subject"]) for m in sent)
    assert any("detailed report" in s for s in subjects) and any("summary" in s for s in subjects)
    logs = session.exec(select(DigestLog)).all()
    assert len(logs) == 3 and {log.status for log in logs} == {ReportStatus.sent}
    mailbox = list((digest_jobs.context.settings().mailbox_dir).glob("digest-*.eml"))
    assert len(mailbox) == 3


def test_next_day_sends_only_the_daily_digest_and_skips_when_nothing_is_new(
    session, rapport_env, monkeypatch
):
    _pm, project, _a, _b = fixture_project(session)
    sent = _count_deliveries(monkeypatch)
    digest_jobs.send_project_digests(project.id, now=NOW)
    sent.clear()
    # Same ISO week, next day: only Alice's daily digest is due, and nothing happened.
    outcome = digest_jobs.send_project_digests(project.id, now=NOW + timedelta(days=1))
    assert outcome == {"skipped": 1, "already done": 2}
    assert sent == []
    skipped = session.exec(select(DigestLog).where(DigestLog.status == ReportStatus.skipped)).one()
    assert skipped.note.startswith("nothing new since") and skipped.period == "2026-03-06"


def test_statistical_digest_carries_its_charts_inline(session, rapport_env, monkeypatch):
    from survey import plans
    from survey.models import Audience, Frequency

    _pm, project, alice, _b = fixture_project(session)
    line = next(
        item for item in plans.plan_for(session, project=project) if item.name == "Alice Zephyr"
    )
    plans.set_entry(session, project=project, recipient=line.recipient,
                    audience=Audience.statistical, frequency=Frequency.weekly)  # fmt: skip
    session.commit()
    sent = _count_deliveries(monkeypatch)
    digest_jobs.send_project_digests(project.id, now=NOW)
    [message] = [m for m in sent if "statistics" in str(m["Subject"])]
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    html = message.get_body(("html",)).get_content()
    for part in images:
        assert f'src="cid:{part["Content-ID"].strip("<>")}"' in html


def test_review_pack_job_mails_the_pm_once_with_pdf_and_csv(session, rapport_env, monkeypatch):
    pm, project, _a, _b = fixture_project(session)
    settings = digest_jobs.context.settings()
    assert review_jobs.due_reviews(settings, utc(2026, 4, 2)) == [(project.id, "2026Q1")]
    sent = _count_deliveries(monkeypatch)
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "sent"
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "already done"
    [message] = sent
    assert message["To"].addresses[0].addr_spec == pm.email
    names = {part.get_filename() for part in message.iter_attachments()}
    assert names == {f"{project.code}-review-2026Q1.pdf", f"{project.code}-review-2026Q1.csv"}
    assert review_jobs.due_reviews(settings, utc(2026, 4, 2)) == []


def test_scheduler_queues_report_jobs_on_the_reports_queue(session, rapport_env):
    _pm, project, _a, _b = fixture_project(session)
    names = {p.name for p in scheduler.PERIODIC}
    assert {"send-digests", "send-review-packs", "collect-lessons"} <= names
    settings = digest_jobs.context.settings()
    assert digest_jobs.enqueue_digests(settings) == 1
    assert review_jobs.enqueue_reviews(settings, utc(2026, 4, 2)) == 1
    reports = Queue("reports", connection=redis.Redis.from_url(rapport_env["RAPPORT_REDIS_URL"]))
    assert sorted(reports.job_ids) == sorted(
        [f"digests-{project.id}", f"review-{project.id}-2026Q1"]
    )


def test_shared_done_actions_appear_in_the_next_invitation(session, rapport_env):
    _pm, project, alice, _b = fixture_project(session)
    closed = utc(2026, 3, 5)  # after the last wave opened (28 February)
    session.add_all(
        [
            FollowUpAction(
                project_id=project.id,
                what="Weekly build demos for finance",
                status=ActionStatus.done,
                share_with_stakeholders=True,
                closed_at=closed,
            ),  # fmt: skip
            FollowUpAction(
                project_id=project.id,
                what="Internal clean-up, not shared",
                status=ActionStatus.done,
                closed_at=closed,
            ),  # fmt: skip
            FollowUpAction(
                project_id=project.id,
                what="Old news from last year",
                status=ActionStatus.done,
                share_with_stakeholders=True,
                closed_at=utc(2025, 12, 1),
            ),  # fmt: skip
        ]
    )
    session.commit()
    wave = closed_wave(session, project=project, closes=utc(2026, 4, 10), invite=[],
                       status=WaveStatus.open)  # fmt: skip
    invitation, _raw = make_invitation(session, wave=wave, relationship=alice)
    message = invitations.compose(digest_jobs.context.settings(), session, invitation)
    for part in ("plain", "html"):
        body = message.get_body((part,)).get_content()
        assert "You said, we did" in body and "Weekly build demos for finance" in body
        assert "not shared" not in body and "Old news" not in body

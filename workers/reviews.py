"""The quarterly review job: after a quarter ends, build each project's pack and mail it
(PDF and CSV attached) to the project's PM, once. A pack whose worker died mid-send is not
sent again unless an admin asks for it (survey.plans.send_again); then once more."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlmodel import Session, col, select

from survey import db, plans, review_render, reviews, webhook_events
from survey.config import Settings
from survey.models import DigestLog, Project, ReportStatus, User, Wave, WaveProject, utcnow
from survey.quarters import Quarter
from workers import context, mail, rendering
from workers.invitations import MAIL_POLICY, header_safe

log = logging.getLogger(__name__)

KIND = "review"
EVERY = timedelta(hours=1).total_seconds()
NOT_THE_PM = "not sent again: the project has another project manager now"


def compose(settings: Settings, pack: reviews.ReviewPack, pm: User) -> EmailMessage:
    """The covering email with the pack as PDF and its numbers as CSV."""
    code, quarter = pack.project.code, str(pack.quarter)
    url = f"{settings.base_url}/projects/{code}/reviews/{quarter}"
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = header_safe(f"{pack.project.name}: relationship review pack {quarter}")
    message["From"] = mail.sender(settings)
    message["To"] = Address(display_name=header_safe(pm.name), addr_spec=pm.email)
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = f"<review-{pack.project.id}-{quarter}@rapport.invalid>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendering.render("email/review_pack.txt", pack=pack, url=url), cte="8bit")
    message.add_attachment(
        review_render.pdf(pack),
        maintype="application",
        subtype="pdf",
        filename=f"{code}-review-{quarter}.pdf",
    )
    message.add_attachment(
        review_render.to_csv(pack).encode(),
        maintype="text",
        subtype="csv",
        filename=f"{code}-review-{quarter}.csv",
    )
    return message


def _claim(session: Session, project_id: int, recipient: str, period: str) -> DigestLog | None:
    """This quarter's log row for the PM, or the one an admin asked to send again; None when
    another run has it."""
    again = session.exec(
        select(DigestLog.id, DigestLog.recipient)
        .where(DigestLog.project_id == project_id, DigestLog.kind == KIND)
        .where(DigestLog.period == period, DigestLog.status == ReportStatus.resend)
    ).all()
    for entry_id, who in again:
        entry = plans.claim_again(session, entry_id=entry_id)  # type: ignore[arg-type]
        if entry is None:
            return None
        if who == recipient:
            return entry
        # The project changed hands meanwhile: the new PM gets the pack in the usual way.
        entry.status, entry.note = ReportStatus.skipped, NOT_THE_PM
        session.add(entry)
        session.commit()
    return plans.claim(
        session,
        DigestLog(
            project_id=project_id, recipient=recipient, kind=KIND, audience="review", period=period
        ),
    )


def send_review_pack(project_id: int, quarter_text: str) -> str:
    """Job: build and mail one project's pack for one quarter; a second run does nothing."""
    settings = context.settings()
    quarter = Quarter.parse(quarter_text)
    with db.session_scope(settings.database_url) as session:
        project = session.get(Project, project_id)
        pm = session.get(User, project.pm_id) if project and project.pm_id else None
        if project is None or pm is None:
            return "no project manager"
        entry = _claim(session, project_id, f"user:{pm.id}", str(quarter))
        if entry is None:
            return "already done"
        pack = reviews.build(session, project=project, quarter=quarter)
        webhook_events.review_ready(session, pack)
        try:
            mail.deliver(settings, compose(settings, pack, pm))
        except mail.MailError as exc:
            entry.status, entry.note = ReportStatus.failed, str(exc)[:500]
        else:
            entry.status, entry.sent_at = ReportStatus.sent, utcnow()
        session.add(entry)
        return str(entry.status)


def due_reviews(settings: Settings, now: datetime) -> list[tuple[int, str]]:
    """(project id, quarter) pairs whose last finished quarter had a pulse and no pack yet,
    and packs an admin asked to send again."""
    quarter = Quarter.last_finished(now)
    with db.session_scope(settings.database_url) as session:
        pulsed = set(
            session.exec(
                select(WaveProject.project_id)
                .join(Wave, col(Wave.id) == col(WaveProject.wave_id))
                .where(Wave.closes_at >= quarter.start, Wave.closes_at < quarter.end)
            ).all()
        )
        done = set(
            session.exec(
                select(DigestLog.project_id).where(
                    DigestLog.kind == KIND, DigestLog.period == str(quarter)
                )
            ).all()
        )
        again = set(
            session.exec(
                select(DigestLog.project_id, DigestLog.period).where(
                    DigestLog.kind == KIND, DigestLog.status == ReportStatus.resend
                )
            ).all()
        )
    return sorted({(pid, str(quarter)) for pid in pulsed - done} | again)


def enqueue_reviews(settings: Settings, now: datetime | None = None) -> int:
    """Periodic: queue the packs of the quarter that just ended on the reports queue."""
    due = due_reviews(settings, now or utcnow())
    for project_id, quarter in due:
        plans.queue_review(settings.redis_url, project_id=project_id, quarter=quarter)
    return len(due)


def _report_jobs() -> tuple[tuple[str, float, Callable[[Settings], object]], ...]:
    from workers import digests, lessons

    return (
        ("send-digests", digests.EVERY, digests.enqueue_digests),
        ("send-review-packs", EVERY, enqueue_reviews),
        ("collect-lessons", 60.0, lessons.collect_lessons),
    )


# The scheduler's entries for digests, review packs and lessons: (name, seconds, function).
REPORT_JOBS = _report_jobs()

"""Digest jobs: each person on a project's communication plan gets their digest, at most once
per period, skipped (and logged as such) when nothing happened since their last one.

A job that dies mid-send leaves its log row in "sending" for good: it is never sent again on
its own, because it may have arrived. The admin queues page lists it once the claim is stale;
an admin may send it again (the next run sends it, once) or give up on it."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlmodel import Session, col, select

from survey import db, digests, plans
from survey.config import Settings
from survey.models import Audience, DigestLog, Frequency, Project, ReportStatus, utcnow
from workers import context, mail, rendering
from workers.invitations import MAIL_POLICY, UnsendableMessage, header_safe

log = logging.getLogger(__name__)

KIND = "digest"
SUBJECTS = {
    "summary": "{name}: your {frequency} summary",
    "detailed": "{name}: {frequency} detailed report",
    "statistical": "{name}: {frequency} statistics",
}


def period_key(frequency: Frequency, now: datetime) -> str:
    """The period a digest belongs to: the UTC day, or the ISO week."""
    if frequency == Frequency.daily:
        return now.date().isoformat()
    year, week, _ = now.isocalendar()
    return f"{year}-W{week:02d}"


def _claim(
    session: Session, project_id: int, line: plans.PlanLine, period: str
) -> DigestLog | None:
    """Claim this period's digest for one person; None when another run already has it."""
    return plans.claim(
        session,
        DigestLog(
            project_id=project_id,
            recipient=line.recipient,
            kind=KIND,
            audience=str(line.audience),
            period=period,
        ),
    )


def last_sent(session: Session, *, project_id: int, recipient: str) -> datetime | None:
    """When this person last got a digest of this project."""
    return session.exec(
        select(DigestLog.sent_at)
        .where(DigestLog.project_id == project_id, DigestLog.recipient == recipient)
        .where(DigestLog.kind == KIND, DigestLog.status == ReportStatus.sent)
        .order_by(col(DigestLog.sent_at).desc())
    ).first()


def compose(
    settings: Settings, line: plans.PlanLine, digest: digests.Digest, period: str
) -> EmailMessage:
    """The multipart digest; statistical charts travel as inline PNG parts (cid:)."""
    images = {name: f"cid:{name}-{digest.project.id}@rapport.invalid" for name in digest.charts}
    ctx = digests.template_context(
        digest,
        recipient_name=line.name,
        dashboard_url=f"{settings.base_url}/projects/{digest.project.code}",
        images=images,
    )
    text_name, html_name = digests.template_names(digest.audience)
    message = EmailMessage(policy=MAIL_POLICY)
    subject = SUBJECTS[str(digest.audience)].format(
        name=digest.project.name, frequency=line.frequency
    )
    message["Subject"] = header_safe(subject)
    message["From"] = mail.sender(settings)
    try:
        message["To"] = Address(display_name=header_safe(line.name), addr_spec=line.email)
    except (ValueError, IndexError) as exc:
        raise UnsendableMessage(f"not a valid email address: {line.email!r}") from exc
    message["Date"] = format_datetime(utcnow())
    ident = re.sub(r"[^A-Za-z0-9.-]", "-", f"{digest.project.id}-{line.recipient}-{period}")
    message["Message-ID"] = f"<digest-{ident}@rapport.invalid>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendering.render(text_name, **ctx), cte="8bit")
    message.add_alternative(rendering.render(html_name, **ctx), subtype="html")
    html_part = message.get_body(("html",))
    assert isinstance(html_part, EmailMessage)
    for name, png in digest.charts.items():
        html_part.add_related(png, "image", "png", cid=f"<{images[name][4:]}>")
    return message


def send_project_digests(project_id: int, now: datetime | None = None) -> dict[str, int]:
    """Job: this period's digests for everyone on the project's plan, and those an admin asked
    to send again; safe to run twice."""
    settings = context.settings()
    now = now or utcnow()
    outcomes: Counter[str] = Counter()
    with db.session_scope(settings.database_url) as session:
        project = session.get(Project, project_id)
        if project is None:
            return dict(outcomes)
        lines = [line for line in plans.plan_for(session, project=project) if line.receives]
        # The ones sent again go first: this period's digest then covers only what is newer.
        for entry_id in _sending_again(session, project_id):
            outcomes[_send_again(settings, session, project, lines, entry_id, now)] += 1
        for line in lines:
            outcomes[_send_one(settings, session, project, line, now)] += 1
    return dict(outcomes)


def _sending_again(session: Session, project_id: int) -> list[int]:
    return [
        entry_id
        for entry_id in session.exec(
            select(DigestLog.id)
            .where(DigestLog.project_id == project_id, DigestLog.kind == KIND)
            .where(DigestLog.status == ReportStatus.resend)
            .order_by(col(DigestLog.id))
        ).all()
        if entry_id is not None
    ]


def _send_again(
    settings: Settings,
    session: Session,
    project: Project,
    lines: list[plans.PlanLine],
    entry_id: int,
    now: datetime,
) -> str:
    """Send an interrupted digest once more, as the audience it was claimed for."""
    entry = plans.claim_again(session, entry_id=entry_id)
    if entry is None:
        return "already done"
    line = next((item for item in lines if item.recipient == entry.recipient), None)
    if line is None:
        entry.status = ReportStatus.skipped
        entry.note = "not sent again: the person no longer gets this digest"
        session.add(entry)
        session.commit()
        return str(entry.status)
    line = dataclasses.replace(line, audience=Audience(entry.audience))
    return _send(settings, session, project, line, entry, now)


def _send_one(
    settings: Settings, session: Session, project: Project, line: plans.PlanLine, now: datetime
) -> str:
    period = period_key(line.frequency, now)
    entry = _claim(session, project.id, line, period)  # type: ignore[arg-type]
    if entry is None:
        return "already done"
    return _send(settings, session, project, line, entry, now)


def _send(
    settings: Settings,
    session: Session,
    project: Project,
    line: plans.PlanLine,
    entry: DigestLog,
    now: datetime,
) -> str:
    """Build and mail the digest of a claimed log row, and record how it went."""
    since = last_sent(session, project_id=project.id, recipient=line.recipient)  # type: ignore[arg-type]
    since = since or now - digests.PERIODS[line.frequency]
    digest = digests.build(session, project=project, audience=line.audience, since=since, now=now)
    if digest.nothing_new:
        entry.status = ReportStatus.skipped
        entry.note = f"nothing new since {since:%Y-%m-%d %H:%M} UTC: no digest sent"
        log.info("digest %s %s: %s", project.code, line.recipient, entry.note)
    else:
        try:
            mail.deliver(settings, compose(settings, line, digest, entry.period))
        except (mail.MailError, UnsendableMessage) as exc:
            entry.status = ReportStatus.failed
            entry.note = str(exc)[:500]
        else:
            entry.status = ReportStatus.sent
            entry.sent_at = utcnow()
    session.add(entry)
    session.commit()
    return str(entry.status)


def enqueue_digests(settings: Settings, now: datetime | None = None) -> int:
    """Periodic: one digest job per project on the reports queue (the log stops repeats)."""
    with db.session_scope(settings.database_url) as session:
        ids = [pid for pid in session.exec(select(Project.id)).all() if pid is not None]
    for project_id in ids:
        plans.queue_digests(settings.redis_url, project_id=project_id)
    return len(ids)


# How often the scheduler looks; a digest is still sent at most once per day or week.
EVERY = timedelta(minutes=15).total_seconds()

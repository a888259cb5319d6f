"""Which emails a wave owes now: invitations (under the survey-fatigue rule) and reminders.

Planning only writes `mail_delivery` rows (at most one per invitation and kind, enforced by a
unique key) and the fatigue decision on each invitation; the mail job sends the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, func, select

from survey import queue, waves
from survey.config import Settings
from survey.models import (
    DeliveryStatus,
    Invitation,
    MailDelivery,
    MailSuppression,
    Relationship,
    Stakeholder,
    Wave,
    WaveStatus,
)

INVITATION = "invitation"
LIVE = (DeliveryStatus.pending, DeliveryStatus.sending, DeliveryStatus.sent)


def reminder_kind(n: int) -> str:
    """The delivery kind of the n-th reminder (1-based)."""
    return f"reminder-{n}"


@dataclass(frozen=True)
class Decision:
    """What happens to one invitation now: send, defer (until) or skip (reason)."""

    invitation: Invitation
    stakeholder: Stakeholder
    action: str  # "send" | "defer" | "skip"
    reason: str = ""
    until: datetime | None = None


def fatigue_decision(
    *, last_invited: datetime | None, now: datetime, closes_at: datetime, window: timedelta
) -> tuple[str, datetime | None]:
    """("send", None), ("defer", when) or ("skip", None) for someone last invited then."""
    if last_invited is None or last_invited + window <= now:
        return "send", None
    until = last_invited + window
    # Deferring only helps if they still get a fair day to answer before the wave closes.
    if until + timedelta(days=1) <= closes_at:
        return "defer", until
    return "skip", None


def suppressed_emails(session: Session, emails: Iterable[str]) -> set[str]:
    """The lower-cased addresses among `emails` that bounced and are suppressed."""
    wanted = {e.lower() for e in emails}
    if not wanted:
        return set()
    return set(
        session.exec(select(MailSuppression.email).where(col(MailSuppression.email).in_(wanted)))
    )


def unwanted_reason(session: Session, *, delivery: MailDelivery, now: datetime) -> str | None:
    """Why this email must no longer go (wave closed, opted out, bounced, answered), or None."""
    # Fresh from the database: a PM may have closed the wave or the person opted out since.
    invitation, wave, stakeholder = session.exec(
        select(Invitation, Wave, Stakeholder)
        .join(Wave, col(Wave.id) == col(Invitation.wave_id))
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Invitation.id == delivery.invitation_id)
        .execution_options(populate_existing=True)
    ).one()
    if not wave.is_open(now):
        return "wave closed"
    if stakeholder.unsubscribed_at is not None:
        return "unsubscribed"
    if suppressed_emails(session, [stakeholder.email]):
        return "address bounced"
    if delivery.kind != INVITATION and invitation.responded_at is not None:
        return "already answered"
    return None


def _last_invited(
    session: Session, *, stakeholder_ids: set[int], exclude_wave: int
) -> dict[int, datetime]:
    """When each stakeholder was last sent (or is being sent) a pulse invitation elsewhere."""
    if not stakeholder_ids:
        return {}
    sent = session.exec(
        select(Relationship.stakeholder_id, func.max(Invitation.sent_at))
        .join(Invitation, col(Invitation.relationship_id) == col(Relationship.id))
        .where(col(Relationship.stakeholder_id).in_(stakeholder_ids))
        .where(col(Invitation.sent_at).is_not(None), Invitation.wave_id != exclude_wave)
        .group_by(col(Relationship.stakeholder_id))
    ).all()
    in_flight = session.exec(
        select(Relationship.stakeholder_id, func.max(MailDelivery.created_at))
        .join(Invitation, col(Invitation.relationship_id) == col(Relationship.id))
        .join(MailDelivery, col(MailDelivery.invitation_id) == col(Invitation.id))
        .where(col(Relationship.stakeholder_id).in_(stakeholder_ids))
        .where(MailDelivery.kind == INVITATION, MailDelivery.wave_id != exclude_wave)
        .where(col(MailDelivery.status).in_([DeliveryStatus.pending, DeliveryStatus.sending]))
        .group_by(col(Relationship.stakeholder_id))
    ).all()
    last: dict[int, datetime] = {}
    for stakeholder_id, when in [*sent, *in_flight]:
        if when is not None and (stakeholder_id not in last or when > last[stakeholder_id]):
            last[stakeholder_id] = when
    return last


def plan_invitations(
    session: Session, *, wave: Wave, now: datetime, fatigue_days: int
) -> list[Decision]:
    """Decide, for each invitation not yet emailed, whether it goes now, later or never."""
    rows = session.exec(
        select(Invitation, Stakeholder)
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(
            MailDelivery,
            (col(MailDelivery.invitation_id) == col(Invitation.id))
            & (col(MailDelivery.kind) == INVITATION),
            isouter=True,
        )
        .where(Invitation.wave_id == wave.id, col(MailDelivery.id).is_(None))
        .where(col(Invitation.sent_at).is_(None))
        .order_by(col(Invitation.id))
    ).all()
    ids = {s.id for _i, s in rows if s.id is not None}
    last = _last_invited(session, stakeholder_ids=ids, exclude_wave=wave.id)  # type: ignore[arg-type]
    # Invitations of this wave already emailed count too (one person on two of its projects).
    for stakeholder_id, when in session.exec(
        select(Relationship.stakeholder_id, func.max(MailDelivery.created_at))
        .join(Invitation, col(Invitation.relationship_id) == col(Relationship.id))
        .join(MailDelivery, col(MailDelivery.invitation_id) == col(Invitation.id))
        .where(MailDelivery.wave_id == wave.id, MailDelivery.kind == INVITATION)
        .where(col(MailDelivery.status).in_(LIVE))
        .group_by(col(Relationship.stakeholder_id))
    ).all():
        last[stakeholder_id] = max(when, last.get(stakeholder_id, when))
    bounced = suppressed_emails(session, (s.email for _i, s in rows))
    window = timedelta(days=fatigue_days)
    decisions = []
    for invitation, stakeholder in rows:
        if stakeholder.unsubscribed_at is not None:
            decisions.append(Decision(invitation, stakeholder, "skip", "unsubscribed"))
            continue
        if stakeholder.email.lower() in bounced:
            decisions.append(Decision(invitation, stakeholder, "skip", "bounced"))
            continue
        action, until = fatigue_decision(
            last_invited=last.get(stakeholder.id),  # type: ignore[arg-type]
            now=now,
            closes_at=wave.closes_at,
            window=window,
        )
        if action == "send":
            last[stakeholder.id] = now  # type: ignore[index]
        reason = "" if action == "send" else f"invited in the last {fatigue_days} days"
        decisions.append(Decision(invitation, stakeholder, action, reason, until))
    return decisions


def insert_delivery(session: Session, *, invitation: Invitation, kind: str, now: datetime) -> None:
    """Add a pending delivery unless one of this kind exists (racing planners are harmless)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(MailDelivery)
        .values(
            invitation_id=invitation.id,
            wave_id=invitation.wave_id,
            kind=kind,
            status=DeliveryStatus.pending,
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["invitation_id", "kind"])
    )


def apply_decisions(session: Session, decisions: Iterable[Decision], *, now: datetime) -> int:
    """Record each decision and queue the invitations to send now; returns how many."""
    queued = 0
    for decision in decisions:
        invitation = decision.invitation
        invitation.skip_reason = decision.reason if decision.action == "skip" else None
        invitation.send_after = decision.until
        session.add(invitation)
        if decision.action == "send":
            insert_delivery(session, invitation=invitation, kind=INVITATION, now=now)
            queued += 1
    session.flush()
    return queued


def plan_reminders(session: Session, *, wave: Wave, now: datetime) -> int:
    """Queue the latest due reminder for each emailed non-respondent; returns how many."""
    offsets = waves.reminder_days(wave)
    if not offsets:
        return 0
    rows = session.exec(
        select(Invitation, Stakeholder)
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Invitation.wave_id == wave.id, col(Invitation.sent_at).is_not(None))
        .where(col(Invitation.responded_at).is_(None), col(Stakeholder.unsubscribed_at).is_(None))
    ).all()
    bounced = suppressed_emails(session, (s.email for _i, s in rows))
    existing: dict[int, list[MailDelivery]] = {}
    for delivery in session.exec(
        select(MailDelivery).where(MailDelivery.wave_id == wave.id, MailDelivery.kind != INVITATION)
    ):
        existing.setdefault(delivery.invitation_id, []).append(delivery)
    queued = 0
    for invitation, stakeholder in rows:
        if stakeholder.email.lower() in bounced:
            continue
        sent_at = invitation.sent_at
        assert sent_at is not None
        due = [n for n, days in enumerate(offsets, 1) if sent_at + timedelta(days=days) <= now]
        if not due:
            continue
        latest = due[-1]
        mine = existing.get(invitation.id, [])  # type: ignore[arg-type]
        if any(int(d.kind.split("-")[1]) >= latest for d in mine):
            continue
        # A reminder overtaken by a later one (the scheduler was down) is not sent late.
        for older in mine:
            if older.status == DeliveryStatus.pending:
                older.status = DeliveryStatus.cancelled
                older.last_error = "overtaken by a later reminder"
                session.add(older)
        insert_delivery(session, invitation=invitation, kind=reminder_kind(latest), now=now)
        queued += 1
    session.flush()
    return queued


def plan(session: Session, *, wave: Wave, now: datetime, fatigue_days: int) -> int:
    """Queue everything an open wave owes now; returns the deliveries queued."""
    if wave.status != WaveStatus.open or not wave.is_open(now):
        return 0
    decisions = plan_invitations(session, wave=wave, now=now, fatigue_days=fatigue_days)
    return apply_decisions(session, decisions, now=now) + plan_reminders(
        session, wave=wave, now=now
    )


def pending_ids(session: Session, *, wave_id: int, now: datetime) -> list[int]:
    """Deliveries of the wave due to be sent now, oldest first."""
    return [
        i
        for i in session.exec(
            select(MailDelivery.id)
            .where(MailDelivery.wave_id == wave_id, MailDelivery.status == DeliveryStatus.pending)
            .where(col(MailDelivery.next_attempt_at) <= now)
            .order_by(col(MailDelivery.id))
        ).all()
        if i is not None
    ]


def confirm(session: Session, *, wave: Wave, now: datetime, settings: Settings) -> None:
    """Confirm a draft and start it: it opens and mails now if its time has come, else the
    scheduler opens it then. Raises waves.WaveError when the wave is not a draft."""
    waves.schedule(session, wave=wave)
    start(session, wave=wave, now=now, settings=settings)


def start(session: Session, *, wave: Wave, now: datetime, settings: Settings) -> None:
    """Open a scheduled wave whose time has come, commit, and hand its mail to the mail queue."""
    if wave.status == WaveStatus.scheduled and wave.opens_at <= now:
        waves.open_now(session, wave=wave, now=now)
        plan(session, wave=wave, now=now, fatigue_days=settings.fatigue_days)
    session.commit()
    if wave.status == WaveStatus.open:
        hand_to_mail_queue(settings.redis_url, wave_id=wave.id)  # type: ignore[arg-type]


def hand_to_mail_queue(redis_url: str, *, wave_id: int) -> bool:
    """Ask the mail queue to send what the wave owes; False when Redis is unreachable."""
    # If Redis is down the scheduler enqueues it on its next tick.
    return queue.enqueue(
        redis_url,
        "mail",
        "workers.deliveries.send_wave_mail",
        wave_id,
        job_id=f"send-wave-{wave_id}",
    )

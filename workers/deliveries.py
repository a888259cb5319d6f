"""Send a wave's due emails, each once (twice at most after a worker died mid-send).

Each delivery is claimed (pending → sending) in its own committed UPDATE before the message
leaves, and marked sent after. A job that runs twice, or two jobs racing, cannot both claim
a row. A job that dies mid-send leaves the row in `sending`; `recover_interrupted` (a
scheduler entry) finds it once the claim is stale, sends it again once and, should that
stop midway too, marks it failed where the PM sees it.

Why send again rather than leave it: the message may or may not have left before the worker
died, and nothing tells which. A duplicate pulse costs the stakeholder a glance: it carries
the same Message-ID (so mail clients and servers can recognise the copy), the same link, and
an answer is recorded once per invitation whichever copy it comes from. A missing pulse
costs a voice in the trend, silently: nobody notices a stakeholder who was never asked.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from survey import db, distribution, mail_problems
from survey.config import Settings
from survey.models import (
    DeliveryStatus,
    Invitation,
    MailDelivery,
    MailSuppression,
    Relationship,
    Stakeholder,
    Wave,
    utcnow,
)
from workers import context, invitations, mail

log = logging.getLogger(__name__)

# Minutes to wait after the 1st, 2nd, ... temporary failure; then the delivery fails.
BACKOFF_MINUTES = (1, 5, 15, 60, 180)
MAX_ATTEMPTS = len(BACKOFF_MINUTES) + 1
INTERRUPTED = "the worker stopped while sending; sending it again (it may arrive twice)"
GAVE_UP = (
    "the worker stopped while sending, twice; not tried again (it may or may not have arrived)"
)


def backoff(attempts: int) -> timedelta:
    """How long to wait before the next try after `attempts` failed ones."""
    return timedelta(minutes=BACKOFF_MINUTES[min(attempts, len(BACKOFF_MINUTES)) - 1])


def _claim(session: Session, delivery_id: int) -> MailDelivery | None:
    result = session.execute(
        update(MailDelivery)
        .where(col(MailDelivery.id) == delivery_id)
        .where(col(MailDelivery.status) == DeliveryStatus.pending)
        # The wall clock, not the batch's `now`: a claim is judged stale by its real age, and
        # the last rows of a long batch must not look stuck while they are being sent.
        .values(
            status=DeliveryStatus.sending, claimed_at=utcnow(), attempts=MailDelivery.attempts + 1
        )
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None  # another job has it, or it was cancelled meanwhile
    return session.get(MailDelivery, delivery_id, populate_existing=True)


def _suppress(session: Session, delivery: MailDelivery, reason: str) -> None:
    invitation = session.get(Invitation, delivery.invitation_id)
    relationship = session.get(Relationship, invitation.relationship_id)  # type: ignore[union-attr]
    stakeholder = session.get(Stakeholder, relationship.stakeholder_id)  # type: ignore[union-attr]
    assert stakeholder is not None
    email = stakeholder.email.lower()
    exists = session.exec(select(MailSuppression).where(MailSuppression.email == email)).first()
    if exists is None:
        session.add(
            MailSuppression(email=email, stakeholder_id=stakeholder.id, reason=reason[:500])
        )


def _finish(
    session: Session, delivery: MailDelivery, outcome: str, error: str, now: datetime
) -> None:
    delivery.last_error = error[:500] or None
    if outcome == "sent":
        delivery.status = DeliveryStatus.sent
        delivery.sent_at = now
        if delivery.kind == distribution.INVITATION:
            invitation = session.get(Invitation, delivery.invitation_id)
            invitation.sent_at = now  # type: ignore[union-attr]
            session.add(invitation)
    elif outcome == "bounced":
        delivery.status = DeliveryStatus.bounced
        _suppress(session, delivery, error)
    elif outcome == "retry" and delivery.attempts < MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    elif outcome == "cancelled":
        delivery.status = DeliveryStatus.cancelled
    else:
        delivery.status = DeliveryStatus.failed
    session.add(delivery)
    session.commit()


def send_one(
    settings: Settings,
    session: Session,
    transport: mail.Transport,
    delivery_id: int,
    now: datetime,
) -> tuple[str, bool]:
    """Claim, build and send one delivery; returns (outcome, whether the server is reachable)."""
    delivery = _claim(session, delivery_id)
    if delivery is None:
        return "skipped", True
    # After the claim: a close or an opt-out made while this job waited still counts.
    reason = distribution.unwanted_reason(session, delivery=delivery, now=now)
    if reason is not None:
        _finish(session, delivery, "cancelled", reason, now)
        return "cancelled", True
    invitation = session.get(Invitation, delivery.invitation_id)
    try:
        message = invitations.compose(settings, session, invitation, delivery.kind)  # type: ignore[arg-type]
    except invitations.UnsendableMessage as exc:
        _finish(session, delivery, "failed", str(exc), now)
        return "failed", True
    try:
        transport.send(message)
    except mail.MailError as exc:
        outcome = "bounced" if exc.permanent else "retry"
        _finish(session, delivery, outcome, str(exc), now)
        # The error text can quote the address; logs outlive erasure, so log the id only.
        log.warning("delivery %s %s (permanent=%s)", delivery_id, outcome, exc.permanent)
        return outcome, not exc.unreachable
    _finish(session, delivery, "sent", "", now)
    return "sent", True


def send_due(
    settings: Settings,
    *,
    wave_id: int,
    now: datetime | None = None,
    progress: Callable[[int], object] | None = None,
    plan_first: bool = True,
) -> Counter[str]:
    """Plan what the wave owes, then send every due delivery over one connection."""
    now = now or utcnow()
    outcomes: Counter[str] = Counter()
    with db.session_scope(settings.database_url) as session:
        wave = session.get(Wave, wave_id)
        if wave is None:
            return outcomes
        if plan_first:
            distribution.plan(session, wave=wave, now=now, fatigue_days=settings.fatigue_days)
            session.commit()
        due = distribution.pending_ids(session, wave_id=wave_id, now=now)
        with mail.open_transport(settings) as transport:
            for delivery_id in due:
                outcome, reachable = send_one(settings, session, transport, delivery_id, now)
                outcomes[outcome] += 1
                if progress is not None:
                    progress(1)
                if not reachable:
                    break  # the rest stay pending for the next run
    log.info("wave %s mail: %s", wave_id, dict(outcomes))
    return outcomes


def send_wave_mail(wave_id: int) -> int:
    """Job (mail queue): send what wave `wave_id` owes now; safe to run twice. Returns sent."""
    return send_due(context.settings(), wave_id=wave_id)["sent"]


def due_waves(session: Session, *, now: datetime) -> list[int]:
    """Waves with deliveries waiting whose time has come."""
    return [
        wave_id
        for wave_id, _n in session.exec(
            select(MailDelivery.wave_id, func.count())
            .where(MailDelivery.status == DeliveryStatus.pending)
            .where(col(MailDelivery.next_attempt_at) <= now)
            .group_by(col(MailDelivery.wave_id))
        ).all()
    ]


def recover_interrupted(session: Session, *, now: datetime) -> tuple[int, int]:
    """Re-queue deliveries stuck in `sending` once, fail those stuck a second time; returns
    (re-queued, failed). The caller commits."""
    stuck = mail_problems.stuck_condition(now)
    failed = session.execute(
        update(MailDelivery)
        .where(stuck, col(MailDelivery.interrupted_at).is_not(None))
        .values(status=DeliveryStatus.failed, last_error=GAVE_UP)
    )
    requeued = session.execute(
        update(MailDelivery)
        .where(stuck, col(MailDelivery.interrupted_at).is_(None))
        .values(
            status=DeliveryStatus.pending,
            interrupted_at=now,
            next_attempt_at=now,
            last_error=INTERRUPTED,
        )
    )
    return int(requeued.rowcount or 0), int(failed.rowcount or 0)  # type: ignore[attr-defined]


def recover_interrupted_mail(settings: Settings, now: datetime | None = None) -> int:
    """Scheduler entry: recover deliveries whose worker died mid-send; the next wave sweep
    hands the re-queued ones to the mail queue. Returns how many were re-queued."""
    with db.session_scope(settings.database_url) as session:
        requeued, failed = recover_interrupted(session, now=now or utcnow())
    if requeued or failed:
        # Ids and counts only: the rows name people.
        log.warning("mail interrupted mid-send: %s queued again, %s failed", requeued, failed)
    return requeued

"""Pulse emails a PM or admin should hear about: stuck in "sending" because a worker stopped
mid-send, given up on, or sent a second time after such a stop; and sending a failed one
again. No Flask here."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, update
from sqlmodel import Session, col, func, select

from survey import audit, distribution
from survey.models import (
    DeliveryStatus,
    Invitation,
    MailDelivery,
    Project,
    Relationship,
    Stakeholder,
    Wave,
)

# Sending one message takes seconds (SMTP timeouts are 20 s), so a claim this old belongs to
# a worker that stopped: the scheduler then sends the email again, once.
SENDING_STALE_AFTER = timedelta(minutes=15)
STUCK, FAILED, RESENT = "stuck", "failed", "resent"
EXPLANATIONS = {
    STUCK: "a worker stopped while sending it; it is sent again automatically",
    FAILED: "not sent",
    RESENT: "a worker stopped while sending it, so it was sent again: it may have arrived twice",
}


def stale_before(now: datetime) -> datetime:
    """Claims older than this are stuck."""
    return now - SENDING_STALE_AFTER


def stuck_condition(now: datetime) -> ColumnElement[bool]:
    """Deliveries claimed for sending so long ago that their worker must have stopped."""
    claimed_at = col(MailDelivery.claimed_at)
    return and_(
        col(MailDelivery.status) == DeliveryStatus.sending,
        or_(claimed_at.is_(None), claimed_at < stale_before(now)),
    )


@dataclass(frozen=True)
class MailProblem:
    """One email of a wave that did not simply go out once."""

    delivery: MailDelivery
    stakeholder: Stakeholder
    project: Project
    state: str  # STUCK, FAILED or RESENT

    @property
    def what(self) -> str:
        """ "invitation" or "reminder 2"."""
        return self.delivery.kind.replace("-", " ")

    @property
    def explanation(self) -> str:
        """What happened, in the PM's words, with the last error when there is one."""
        text = EXPLANATIONS[self.state]
        if self.state == FAILED and self.delivery.last_error:
            text = f"{text}: {self.delivery.last_error}"
        return text


def _state(delivery: MailDelivery, now: datetime) -> str | None:
    if delivery.status == DeliveryStatus.failed:
        return FAILED
    if delivery.status == DeliveryStatus.sending:
        claimed = delivery.claimed_at
        return STUCK if claimed is None or claimed < stale_before(now) else None
    if delivery.status == DeliveryStatus.sent and delivery.interrupted_at is not None:
        return RESENT
    return None


def for_wave(session: Session, *, wave_id: int, now: datetime) -> list[MailProblem]:
    """The wave's stuck, failed and re-sent emails, by project and name."""
    rows = session.exec(
        select(MailDelivery, Stakeholder, Project)
        .join(Invitation, col(Invitation.id) == col(MailDelivery.invitation_id))
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(Project, col(Project.id) == col(Relationship.project_id))
        .where(MailDelivery.wave_id == wave_id)
        .where(
            or_(
                col(MailDelivery.status) == DeliveryStatus.failed,
                stuck_condition(now),
                and_(
                    col(MailDelivery.status) == DeliveryStatus.sent,
                    col(MailDelivery.interrupted_at).is_not(None),
                ),
            )
        )
        .order_by(col(Project.code), col(Stakeholder.name), col(MailDelivery.id))
    ).all()
    found = []
    for delivery, stakeholder, project in rows:
        state = _state(delivery, now)
        if state is not None:
            found.append(MailProblem(delivery, stakeholder, project, state))
    return found


@dataclass(frozen=True)
class WaveMailTrouble:
    """How many of one wave's emails are stuck or failed (the admin's overview)."""

    wave_id: int
    title: str
    stuck: int
    failed: int


def by_wave(session: Session, *, now: datetime, since: datetime) -> list[WaveMailTrouble]:
    """Waves with emails stuck now, or failed since `since`, newest wave first."""
    stuck: dict[int, int] = dict(
        session.exec(
            select(MailDelivery.wave_id, func.count())
            .where(stuck_condition(now))
            .group_by(col(MailDelivery.wave_id))
        ).all()
    )
    failed: dict[int, int] = dict(
        session.exec(
            select(MailDelivery.wave_id, func.count())
            .where(MailDelivery.status == DeliveryStatus.failed)
            .where(col(MailDelivery.claimed_at) >= since)
            .group_by(col(MailDelivery.wave_id))
        ).all()
    )
    ids = set(stuck) | set(failed)
    if not ids:
        return []
    titles = dict(session.exec(select(Wave.id, Wave.title).where(col(Wave.id).in_(ids))).all())
    return [
        WaveMailTrouble(
            wave_id, titles.get(wave_id, ""), stuck.get(wave_id, 0), failed.get(wave_id, 0)
        )
        for wave_id in sorted(ids, reverse=True)
    ]


# Why an email is not sent again, in the PM's words: by its status when it has not failed,
# else by distribution.unwanted_reason, which the mail job checks again right before sending.
NOT_SENT_AGAIN = {
    DeliveryStatus.pending: "it is already on its way",
    DeliveryStatus.sending: "it is already on its way",
    DeliveryStatus.sent: "it was sent",
    DeliveryStatus.bounced: "the address bounced",
    DeliveryStatus.cancelled: "it is no longer needed",
    "wave closed": "the wave is closed",
    "unsubscribed": "the stakeholder unsubscribed",
    "address bounced": "the address bounced",
    "already answered": "it is no longer needed",
}


def send_again(
    session: Session, *, delivery: MailDelivery, actor_id: int, now: datetime
) -> str | None:
    """Make a failed email due again, with fresh retries; None if so, else why not.

    The mail job then sends it like any other: same Message-ID, same checks right before
    sending. The caller commits, then hands the wave to the mail queue.
    """
    if delivery.status != DeliveryStatus.failed:
        return NOT_SENT_AGAIN[delivery.status]
    reason = distribution.unwanted_reason(session, delivery=delivery, now=now)
    if reason is not None:
        return NOT_SENT_AGAIN[reason]
    # Only from "failed": of two clicks racing, one makes it due and the other finds it so.
    result = session.execute(
        update(MailDelivery)
        .where(col(MailDelivery.id) == delivery.id)
        .where(col(MailDelivery.status) == DeliveryStatus.failed)
        .values(status=DeliveryStatus.pending, attempts=0, next_attempt_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return NOT_SENT_AGAIN[DeliveryStatus.pending]
    audit.record(
        session,
        actor_id=actor_id,
        action="mail.send_again",
        target_kind="mail_delivery",
        target_id=delivery.id,
        detail={"wave_id": delivery.wave_id, "kind": delivery.kind},
    )
    return None


def send_failed_again(
    session: Session, *, problems: Iterable[MailProblem], actor_id: int, now: datetime
) -> Counter[str | None]:
    """send_again each failed one of `problems`; how many by outcome (None: made due)."""
    return Counter(
        send_again(session, delivery=p.delivery, actor_id=actor_id, now=now)
        for p in problems
        if p.state == FAILED
    )

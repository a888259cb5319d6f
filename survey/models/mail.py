"""Email deliveries (at most one per invitation and kind) and suppressed addresses."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class DeliveryStatus(StrEnum):
    pending = "pending"  # due, waiting for a mail job (or for its retry time)
    # Claimed by a job. If that job died mid-send the scheduler sends it again once, after
    # a while (workers.deliveries.recover_interrupted), and marks it failed the second time.
    sending = "sending"
    sent = "sent"
    bounced = "bounced"  # permanent failure: the address is suppressed
    failed = "failed"  # gave up after retries, or the message could not be built
    cancelled = "cancelled"  # no longer wanted: answered, opted out or wave closed


class MailDelivery(SQLModel, table=True):
    """One email about one invitation: the invitation itself or reminder N."""

    __tablename__ = "mail_delivery"
    __table_args__ = (UniqueConstraint("invitation_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", index=True)
    # Denormalised so a wave's mail job finds its work without a join.
    wave_id: int = Field(foreign_key="wave.id", index=True)
    kind: str = Field(max_length=20)  # "invitation" or "reminder-N"
    status: DeliveryStatus = Field(default=DeliveryStatus.pending, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    claimed_at: datetime | None = None
    sent_at: datetime | None = None
    # When the scheduler found this delivery stuck in "sending" and queued it again.
    interrupted_at: datetime | None = None


class MailSuppression(SQLModel, table=True):
    """An address that bounced: nothing is sent to it until a PM clears it."""

    __tablename__ = "mail_suppression"
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id", index=True)
    reason: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)

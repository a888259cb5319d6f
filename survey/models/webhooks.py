"""Outgoing webhooks: endpoints, the events they receive, one delivery per pair, attempts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class WebhookEndpoint(SQLModel, table=True):
    """A receiver URL; project None means a global endpoint that only admins manage."""

    __tablename__ = "webhook_endpoint"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    url: str = Field(max_length=500)
    # The signing secret; shown to its creator once, never again by any page or API.
    secret: str = Field(max_length=100)
    # Subscribed event kinds, comma-separated, e.g. "alert.raised,wave.closed".
    events: str = Field(max_length=200)
    description: str = Field(default="", max_length=120)
    active: bool = True
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

    @property
    def event_kinds(self) -> tuple[str, ...]:
        return tuple(k for k in self.events.split(",") if k)


class WebhookEvent(SQLModel, table=True):
    """One fact to announce; its payload holds ids and scores, never names or comments."""

    __tablename__ = "webhook_event"
    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=40, unique=True)
    kind: str = Field(max_length=40, index=True)
    project_id: int | None = Field(default=None, foreign_key="project.id", index=True)
    # What makes two emits the same fact, e.g. "alert.raised:17": the second is dropped.
    dedupe_key: str = Field(max_length=160, unique=True)
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class WebhookDeliveryStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    failed = "failed"


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint: delivered at most once, retried with backoff until then."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (UniqueConstraint("endpoint_id", "event_id"),)
    id: int | None = Field(default=None, primary_key=True)
    # Sent as X-Rapport-Delivery: the same on every retry, so receivers can drop repeats.
    uid: str = Field(max_length=40, unique=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    event_id: int = Field(foreign_key="webhook_event.id", index=True)
    status: WebhookDeliveryStatus = Field(default=WebhookDeliveryStatus.pending, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, index=True)
    claimed_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str = Field(default="", max_length=300)
    delivered_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class WebhookAttempt(SQLModel, table=True):
    """One POST and its outcome: the endpoint's delivery log."""

    __tablename__ = "webhook_attempt"
    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", index=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", index=True)
    attempted_at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    duration_ms: int = 0
    error: str = Field(default="", max_length=300)
    outcome: WebhookDeliveryStatus
    next_retry_at: datetime | None = None

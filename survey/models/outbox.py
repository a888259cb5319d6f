"""Events written in the same transaction as the data they describe."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class OutboxEvent(SQLModel, table=True):
    """A fact to hand to the workers; dispatch may repeat, processing happens once."""

    __tablename__ = "outbox_event"
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=60)
    # Ids only: names, emails and comment text never leave the database.
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    dispatched_at: datetime | None = None
    claimed_at: datetime | None = None
    processed_at: datetime | None = Field(default=None, index=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=2000)

"""Project events posted by other tools (phase gate, UAT start, ...) and the PM's pulse rules."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class ProjectEventKind(StrEnum):
    phase_gate = "phase_gate"
    uat_start = "uat_start"
    go_live = "go_live"
    change_request_approved = "change_request_approved"


class ProjectEventRule(SQLModel, table=True):
    """Whether an event kind triggers a pulse on a project, and when that pulse runs."""

    __tablename__ = "project_event_rule"
    __table_args__ = (UniqueConstraint("project_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: ProjectEventKind
    triggers_pulse: bool = False
    # The pulse opens this many days after the event and stays open `closes_in_days`.
    delay_days: int = Field(default=0, ge=0, le=60)
    closes_in_days: int = Field(default=7, ge=1, le=60)
    updated_at: datetime = Field(default_factory=utcnow)


class ProjectEvent(SQLModel, table=True):
    """One event as received; `wave_id` is the pulse it triggered, if any."""

    __tablename__ = "project_event"
    __table_args__ = (UniqueConstraint("project_id", "idempotency_key"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    kind: ProjectEventKind
    note: str = Field(default="", max_length=500)
    occurred_at: datetime
    received_at: datetime = Field(default_factory=utcnow)
    # The sender's Idempotency-Key (or external id): a repeat returns the first event.
    idempotency_key: str | None = Field(default=None, max_length=120)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    wave_id: int | None = Field(default=None, foreign_key="wave.id")
    outcome: str = Field(default="", max_length=200)

"""Alerts raised by the rules, and the follow-up actions a PM records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class AlertStatus(StrEnum):
    open = "open"
    acknowledged = "acknowledged"
    resolved = "resolved"


class Alert(SQLModel, table=True):
    """One raised rule for one subject; at most one unresolved alert per `key`."""

    __table_args__ = (
        Index(
            "uq_alert_unresolved_key",
            "key",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # "rule:subject_kind:subject_id", from analysis.alerts.AlertCandidate.key
    key: str = Field(max_length=120, index=True)
    rule: str = Field(max_length=40)
    subject_kind: str = Field(max_length=20)
    subject_id: int
    severity: str = Field(max_length=10)
    message: str = Field(max_length=500)
    status: AlertStatus = Field(default=AlertStatus.open, index=True)
    note: str = Field(default="", max_length=2000)
    raised_at: datetime = Field(default_factory=utcnow)
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None
    notified_at: datetime | None = None
    # The latest closed wave the evidence came from: a resolved alert comes back only on newer.
    wave_id: int | None = Field(default=None, foreign_key="wave.id")
    webhook_notified_at: datetime | None = None
    acknowledged_by_id: int | None = None
    resolved_by_id: int | None = None


class ActionStatus(StrEnum):
    open = "open"
    in_progress = "in_progress"
    done = "done"
    dropped = "dropped"


class FollowUpAction(SQLModel, table=True):
    """What the team will do about feedback: "you said, we did"."""

    __tablename__ = "follow_up_action"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    alert_id: int | None = Field(default=None, foreign_key="alert.id")
    response_id: int | None = Field(default=None, foreign_key="response.id")
    what: str = Field(max_length=500, min_length=1)
    owner: str = Field(default="", max_length=120)
    due_on: date | None = None
    status: ActionStatus = Field(default=ActionStatus.open)
    share_with_stakeholders: bool = False
    created_at: datetime = Field(default_factory=utcnow)
    closed_at: datetime | None = None
    updated_at: datetime = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"onupdate": utcnow}
    )

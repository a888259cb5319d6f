"""The communication plan (who gets which digest, how often) and the log of reports sent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class Audience(StrEnum):
    """What kind of report a person gets."""

    summary = "summary"  # five plain lines
    detailed = "detailed"  # tables, themes, comments, alerts and actions
    statistical = "statistical"  # numbers with deltas, answer counts and small charts
    none = "none"


class Frequency(StrEnum):
    daily = "daily"
    weekly = "weekly"
    none = "none"


class CommunicationPlanEntry(SQLModel, table=True):
    """One person's digest on one project; people without an entry get their role's default."""

    __tablename__ = "communication_plan_entry"
    __table_args__ = (UniqueConstraint("project_id", "recipient"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # "stakeholder:<id>" or "user:<id>"; a unique key that NULL columns could not give.
    recipient: str = Field(max_length=40)
    # Exactly one of the two is set: a stakeholder on the project, or a dashboard user (the PM).
    stakeholder_id: int | None = Field(default=None, foreign_key="stakeholder.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    audience: Audience = Field(default=Audience.summary)
    frequency: Frequency = Field(default=Frequency.weekly)
    updated_at: datetime = Field(default_factory=utcnow)


class ReportStatus(StrEnum):
    # Claimed; never sent again on its own, even if the job died: an admin decides.
    sending = "sending"
    sent = "sent"
    skipped = "skipped"  # nothing new: no email, and `note` says so
    failed = "failed"
    resend = "resend"  # stopped mid-send; an admin asked for it again: the next run sends it
    dismissed = "dismissed"  # stopped mid-send; an admin chose not to send it again

    @property
    def shown(self) -> str:
        """How the plan page words the status."""
        return _SHOWN.get(self, self.value)


_SHOWN = {
    ReportStatus.sending: "sending (or interrupted mid-send)",
    ReportStatus.resend: "to be sent again",
    ReportStatus.dismissed: "interrupted; not sent again",
}


class DigestLog(SQLModel, table=True):
    """At most one digest (or review pack) per recipient, project and period."""

    __tablename__ = "digest_log"
    __table_args__ = (UniqueConstraint("project_id", "recipient", "kind", "period"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # "stakeholder:<id>" or "user:<id>": ids only, the address is looked up when sending.
    recipient: str = Field(max_length=40)
    kind: str = Field(max_length=20)  # "digest" or "review"
    audience: str = Field(max_length=20)
    period: str = Field(max_length=20)  # "2026-05-14", "2026-W20" or "2026Q2"
    status: ReportStatus = Field(default=ReportStatus.sending)
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
    # When the current attempt was claimed (a second one after "send again"); NULL on rows
    # from before the column existed, whose claim time is created_at.
    claimed_at: datetime | None = Field(default_factory=utcnow)
    sent_at: datetime | None = None

"""Projects, their reported status, stakeholders and relationships."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class Rag(StrEnum):
    green = "green"
    amber = "amber"
    red = "red"


class StakeholderKind(StrEnum):
    business = "business"
    it_executive = "it_executive"


class ProjectBase(SQLModel):
    code: str = Field(max_length=20, unique=True, index=True, regex=r"^[A-Z0-9][A-Z0-9-]{1,19}$")
    name: str = Field(max_length=200, min_length=1)
    phase: str = Field(default="delivery", max_length=60)


class Project(ProjectBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    pm_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow)
    # Where raised alerts are POSTed (Slack/Teams incoming webhook); None: the instance default.
    alert_webhook_url: str | None = Field(default=None, max_length=500)
    # When the alert rules last ran for this project: a wave closed since then means run again.
    alerts_evaluated_at: datetime | None = None
    # Bumped on every change, so API clients can sync incrementally (?updated_since=).
    updated_at: datetime = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"onupdate": utcnow}
    )


class StatusReport(SQLModel, table=True):
    """The PM's reported RAG status on a date; kept as history, never overwritten."""

    __tablename__ = "status_report"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    reported_on: date
    status: Rag
    note: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class StakeholderBase(SQLModel):
    name: str = Field(max_length=120, min_length=1)
    email: str = Field(max_length=254, unique=True, index=True)
    title: str = Field(default="", max_length=120)
    business_unit: str = Field(default="", max_length=120)
    kind: StakeholderKind = Field(default=StakeholderKind.business)
    influence: int = Field(default=3, ge=1, le=5)
    interest: int = Field(default=3, ge=1, le=5)
    nervous: bool = False


class Stakeholder(StakeholderBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    unsubscribed_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    # Who added the person: a PM sees the stakeholders of their projects and the ones they added.
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    updated_at: datetime = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"onupdate": utcnow}
    )


class Relationship(SQLModel, table=True):
    """One stakeholder on one project: the unit that trends are tracked for."""

    __table_args__ = (UniqueConstraint("project_id", "stakeholder_id"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    stakeholder_id: int = Field(foreign_key="stakeholder.id", index=True)
    role: str = Field(default="", max_length=120)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(
        default_factory=utcnow, index=True, sa_column_kwargs={"onupdate": utcnow}
    )

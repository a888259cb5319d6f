"""Survey templates, questions, waves and invitations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class QuestionKind(StrEnum):
    scale_1_5 = "scale_1_5"
    nps_0_10 = "nps_0_10"
    text = "text"
    choice = "choice"


class Dimension(StrEnum):
    satisfaction = "satisfaction"
    trust = "trust"
    communication = "communication"
    partnership = "partnership"
    estimates = "estimates"
    other = "other"


class WaveStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"
    open = "open"
    closed = "closed"


class Attribution(StrEnum):
    """Whether the PM may see who said what in a wave."""

    attributed = "attributed"
    confidential = "confidential"


class SurveyTemplate(SQLModel, table=True):
    __tablename__ = "survey_template"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    intro: str = Field(default="", max_length=1000)


class Question(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("template_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="survey_template.id", index=True)
    key: str = Field(max_length=40, regex=r"^[a-z][a-z0-9_]*$")
    prompt: str = Field(max_length=300)
    kind: QuestionKind
    dimension: Dimension = Field(default=Dimension.other)
    required: bool = True
    order: int = 0
    # Choice questions list their options separated by "|".
    choices: str = Field(default="", max_length=1000)


class Wave(SQLModel, table=True):
    """One round of a pulse: a template sent to relationships between two dates."""

    id: int | None = Field(default=None, primary_key=True)
    template_id: int = Field(foreign_key="survey_template.id")
    title: str = Field(default="", max_length=200)
    opens_at: datetime
    closes_at: datetime
    status: WaveStatus = Field(default=WaveStatus.draft, index=True)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)
    attribution: Attribution = Field(default=Attribution.attributed)
    # Days after an invitation is sent at which non-respondents get a reminder, e.g. "3,6".
    reminder_days: str = Field(default="3,6", max_length=40)

    def is_open(self, now: datetime) -> bool:
        """Answers are accepted while the wave is open and before it closes."""
        return Wave.accepts_answers(self.status, self.closes_at, now)

    @staticmethod
    def accepts_answers(status: WaveStatus, closes_at: datetime, now: datetime) -> bool:
        """`is_open` for a wave read as columns rather than loaded."""
        return status == WaveStatus.open and now < closes_at


class WaveProject(SQLModel, table=True):
    __tablename__ = "wave_project"
    wave_id: int = Field(foreign_key="wave.id", primary_key=True)
    project_id: int = Field(foreign_key="project.id", primary_key=True)


class Invitation(SQLModel, table=True):
    """One relationship invited to one wave. The raw token lives only in the email link."""

    __table_args__ = (UniqueConstraint("wave_id", "relationship_id"),)
    id: int | None = Field(default=None, primary_key=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    token_salt: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    opened_at: datetime | None = None
    responded_at: datetime | None = None
    # Survey fatigue: not emailed before this time (None: as soon as the wave opens).
    send_after: datetime | None = None
    # Why this invitation will never be emailed (fatigue, unsubscribed, bounced).
    skip_reason: str | None = Field(default=None, max_length=40)

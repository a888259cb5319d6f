"""Lessons learned: answers to the lessons template (or a PM's notes), themed and scored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class LessonKind(StrEnum):
    went_well = "went_well"
    should_change = "should_change"
    comment = "comment"  # the free-text question
    note = "note"  # recorded by the PM, e.g. at a review meeting


class Lesson(SQLModel, table=True):
    """One lesson; a stakeholder's response gives one row per text question answered."""

    __table_args__ = (UniqueConstraint("response_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    response_id: int | None = Field(default=None, foreign_key="response.id")
    relationship_id: int | None = Field(default=None, foreign_key="relationship.id")
    kind: LessonKind
    text: str = Field(max_length=2000, min_length=1)
    # Answer to "would you work with this team again?" ("Yes", "Maybe", "No").
    work_again: str | None = Field(default=None, max_length=20)
    # From a confidential wave: shown without a name, everywhere.
    confidential: bool = False
    polarity: float = 0.0
    subjectivity: float = 0.0
    label: str = Field(default="neutral", max_length=10)
    themes: str = Field(default="", max_length=300)
    analyzer_version: str = Field(default="", max_length=40)
    # The response's updated_at that was read: an edited answer is read again.
    source_revision: datetime | None = None
    recorded_at: datetime = Field(default_factory=utcnow, index=True)

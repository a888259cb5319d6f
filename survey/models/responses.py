"""Responses, their answers, comment scores and trend points."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow

COMMENT_MAX_CHARS = 2000


class Response(SQLModel, table=True):
    """A stakeholder's answers to one invitation; at most one per invitation."""

    # Trend points read one relationship's responses in one wave (migration 0005).
    __table_args__ = (Index("ix_response_relationship_wave", "relationship_id", "wave_id"),)
    id: int | None = Field(default=None, primary_key=True)
    invitation_id: int = Field(foreign_key="invitation.id", unique=True)
    # Denormalised so trends and dashboards need no join through the invitation.
    wave_id: int = Field(foreign_key="wave.id", index=True)
    # Indexed by ix_response_relationship_wave, which starts with it.
    relationship_id: int = Field(foreign_key="relationship.id")
    comment: str = Field(default="", max_length=COMMENT_MAX_CHARS)
    submitted_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Answer(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("response_id", "question_id"),)
    id: int | None = Field(default=None, primary_key=True)
    # Indexed by the unique (response_id, question_id) constraint.
    response_id: int = Field(foreign_key="response.id")
    question_id: int = Field(foreign_key="question.id")
    value_int: int | None = None
    value_text: str | None = Field(default=None, max_length=COMMENT_MAX_CHARS)


class CommentScore(SQLModel, table=True):
    """The analyzer's reading of a response's comment; one row per response."""

    __tablename__ = "comment_score"
    id: int | None = Field(default=None, primary_key=True)
    response_id: int = Field(foreign_key="response.id", unique=True)
    polarity: float
    subjectivity: float
    label: str = Field(max_length=10)
    themes: str = Field(default="", max_length=300)
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    analyzer_version: str = Field(max_length=40)
    # The response's updated_at that was scored: an edited answer is scored again.
    scored_revision: datetime
    scored_at: datetime = Field(default_factory=utcnow)


class RelationshipTrend(SQLModel, table=True):
    """One point per relationship per wave: means per dimension and sentiment."""

    __tablename__ = "relationship_trend"
    __table_args__ = (UniqueConstraint("relationship_id", "wave_id"),)
    id: int | None = Field(default=None, primary_key=True)
    relationship_id: int = Field(foreign_key="relationship.id", index=True)
    wave_id: int = Field(foreign_key="wave.id", index=True)
    wave_closes_at: datetime
    satisfaction: float | None = None
    trust: float | None = None
    communication: float | None = None
    partnership: float | None = None
    estimates: float | None = None
    sentiment: float | None = None
    answers: int = 0
    updated_at: datetime = Field(default_factory=utcnow)

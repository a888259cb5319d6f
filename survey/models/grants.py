"""Read access to single projects that an admin grants to viewers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class ProjectGrant(SQLModel, table=True):
    """One viewer may read one project: its pages, API, exports and digests, never change it."""

    __tablename__ = "project_grant"
    __table_args__ = (UniqueConstraint("user_id", "project_id"),)
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    project_id: int = Field(foreign_key="project.id", index=True)
    # The admin who granted it; None when it came from the command line.
    granted_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow)

"""The audit log: who did what to which record, and when. Ids only, never personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Index
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class AuditEntry(SQLModel, table=True):
    """One action by an admin, a PM or the command line (actor_id None)."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_target", "target_kind", "target_id"),)
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, index=True)
    # No foreign key: the log outlives the rows it talks about (an erased stakeholder).
    actor_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=60, index=True)
    target_kind: str = Field(max_length=40)
    target_id: int | None = None
    detail: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))

"""Shared column helpers."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Timezone-aware UTC now: every timestamp in the database is stored as UTC."""
    return datetime.now(UTC)

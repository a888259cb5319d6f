"""Read lessons-learned answers into scored lessons (periodic; idempotent)."""

from __future__ import annotations

from survey import db, lessons
from survey.config import Settings


def collect_lessons(settings: Settings) -> int:
    """Periodic: lessons from new or edited lessons-template responses."""
    with db.session_scope(settings.database_url) as session:
        return lessons.collect(session)

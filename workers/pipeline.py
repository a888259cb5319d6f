"""Drain the outbox in this process: the demo seeder and benchmarks use it without Redis."""

from __future__ import annotations

from sqlmodel import col, select

from survey import db
from survey.models import OutboxEvent
from workers import context, events


def drain_outbox() -> int:
    """Handle every pending event in batches; returns how many were handled."""
    handled = 0
    while True:
        with db.session_scope(context.settings().database_url) as session:
            first = session.exec(
                select(OutboxEvent.id)
                .where(col(OutboxEvent.processed_at).is_(None))
                .order_by(col(OutboxEvent.id))
            ).first()
        if first is None:
            return handled
        handled += events.process_event(first)

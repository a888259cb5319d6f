"""The outbox job: claim a batch of pending events and handle them together."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey import db, events
from survey.models import OutboxEvent, utcnow
from workers import context, scoring

log = logging.getLogger(__name__)

# One job handles up to this many events: a commit per batch, not per comment.
BATCH_SIZE = 200


def process_event(event_id: int) -> int:
    """Handle `event_id` and whatever else is pending with it; returns events handled."""
    with db.session_scope(context.settings().database_url) as session:
        event = session.get(OutboxEvent, event_id)
        if event is None or event.processed_at is not None:
            return 0  # Already handled in an earlier batch: a repeat dispatch is harmless.
        batch = claim_batch(session, first=event_id)
        handle(session, batch)
        return len(batch)


def claim_batch(session: Session, *, first: int) -> list[OutboxEvent]:
    """The given event plus the oldest other unprocessed events of the same queue."""
    pending = session.exec(
        select(OutboxEvent)
        .where(col(OutboxEvent.processed_at).is_(None))
        .where((col(OutboxEvent.id) == first) | col(OutboxEvent.claimed_at).is_(None))
        .order_by(col(OutboxEvent.id))
        .limit(BATCH_SIZE)
    ).all()
    now = utcnow()
    ids = [e.id for e in pending]
    session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(ids))
        .values(claimed_at=now, attempts=OutboxEvent.attempts + 1)
    )
    # The claim commits on its own so other workers skip these events; if this worker dies,
    # the sweeper re-dispatches them once the claim goes stale.
    session.commit()
    return list(pending)


def handle(session: Session, batch: list[OutboxEvent]) -> None:
    """Apply each kind's handler to its events, then mark them processed in one commit."""
    by_kind: dict[str, list[OutboxEvent]] = defaultdict(list)
    for event in batch:
        by_kind[event.kind].append(event)
    for kind, kind_events in by_kind.items():
        if kind in (events.RESPONSE_SUBMITTED.name, events.COMMENTS_RESCORE.name):
            scoring.score_responses(session, [e.payload["response_id"] for e in kind_events])
        else:
            log.error("no handler for event kind %s", kind)
            continue
        for event in kind_events:
            event.processed_at = utcnow()
            session.add(event)
    session.commit()

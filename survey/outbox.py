"""Record events inside the caller's transaction; dispatch them to RQ after commit."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey import events, queue
from survey.models import OutboxEvent, utcnow

# An event claimed this long ago and still unprocessed belonged to a worker that died.
STALE_CLAIM = timedelta(minutes=5)


def record(session: Session, kind: str, **ids: int) -> OutboxEvent:
    """Add an event to the session; it commits (or not) with the caller's data."""
    if kind not in events.EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = OutboxEvent(kind=kind, payload=dict(ids))
    session.add(event)
    return event


def dispatch(session: Session, redis_url: str, event_ids: Iterable[int]) -> int:
    """Enqueue committed events; returns how many reached Redis."""
    sent = 0
    for event_id in event_ids:
        event = session.get(OutboxEvent, event_id)
        if event is None or event.processed_at is not None:
            continue
        kind = events.EVENT_KINDS[event.kind]
        job_id = events.job_id_for(event_id, event.attempts)
        if not queue.enqueue(redis_url, kind.queue, events.EVENT_JOB, event_id, job_id=job_id):
            break  # Redis is down: the sweeper retries the rest.
        session.execute(
            update(OutboxEvent)
            .where(col(OutboxEvent.id) == event_id)
            .values(dispatched_at=utcnow())
        )
        sent += 1
    session.commit()
    return sent


def undispatched(
    session: Session, *, limit: int = 500, stale_after: timedelta = STALE_CLAIM
) -> list[int]:
    """Ids of events never dispatched, or claimed by a worker that has since died."""
    stale = utcnow() - stale_after
    rows = session.exec(
        select(OutboxEvent.id)
        .where(col(OutboxEvent.processed_at).is_(None))
        .where(
            col(OutboxEvent.dispatched_at).is_(None)
            | (col(OutboxEvent.claimed_at) < stale)
            | (col(OutboxEvent.claimed_at).is_(None) & (col(OutboxEvent.dispatched_at) < stale))
        )
        .order_by(col(OutboxEvent.id))
        .limit(limit)
    ).all()
    return [r for r in rows if r is not None]


def sweep(session: Session, redis_url: str, *, stale_after: timedelta = STALE_CLAIM) -> int:
    """Re-dispatch what was missed; the scheduler calls this every few seconds."""
    return dispatch(session, redis_url, undispatched(session, stale_after=stale_after))

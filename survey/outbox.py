"""Record events inside the caller's transaction; dispatch them to RQ after commit.

Dispatch is coalesced. The workers drain the outbox in batches, so an event needs only the
promise that some drain job of its queue will start after it was committed: that is what
the Redis marker `rapport:drain:<queue>` says (see `queue.request_drain`). Dispatching
sets the marker and enqueues a job only when no drain is waiting already, then stamps
`dispatched_at`. The sweeper covers the rest: events that never reached Redis, events whose
drain job was lost, and events claimed by a worker that died.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey import events, queue
from survey.models import OutboxEvent, utcnow

# An event claimed this long ago and still unprocessed belonged to a worker that died: a
# live one handles its batch within seconds, and RQ stops any events job after 5 minutes.
STALE_CLAIM = timedelta(minutes=5)
# A dispatched event still unclaimed after this long may have lost its drain job; the
# sweeper asks for another (which costs nothing while one is still waiting).
LOST_DRAIN = timedelta(minutes=1)
# Seconds a drain marker outlives a lost job at most; see `queue.request_drain`.
MARKER_TTL = 60

_outbox = OutboxEvent.__table__  # type: ignore[attr-defined]


def record(session: Session, kind: str, **ids: int) -> OutboxEvent:
    """Add an event to the session; it commits (or not) with the caller's data."""
    if kind not in events.EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = OutboxEvent(kind=kind, payload=dict(ids))
    session.add(event)
    return event


def request_drain(redis_url: str, queue_name: str, event_id: int) -> bool:
    """Make sure a drain job of `queue_name` will start; False when Redis is unreachable."""
    return queue.request_drain(
        redis_url,
        queue_name,
        events.EVENT_JOB,
        event_id,
        job_id=events.drain_job_id(event_id),
        marker_ttl=MARKER_TTL,
    )


def dispatch(session: Session, redis_url: str, event_ids: Iterable[int]) -> int:
    """Hand committed events to the workers; returns how many a drain job will now see."""
    by_queue: dict[str, list[int]] = {}
    for event_id in event_ids:
        # The caller's own events are in the session already: no query on the request path.
        event = session.get(OutboxEvent, event_id)
        if event is None or event.processed_at is not None:
            continue
        by_queue.setdefault(events.EVENT_KINDS[event.kind].queue, []).append(event_id)
    return _dispatch(session, redis_url, by_queue)


def _dispatch(session: Session, redis_url: str, by_queue: dict[str, list[int]]) -> int:
    covered: list[int] = []
    for queue_name, ids in by_queue.items():
        if not request_drain(redis_url, queue_name, ids[0]):
            break  # Redis is down: the sweeper retries the rest.
        covered.extend(ids)
    if covered:
        session.execute(
            update(_outbox).where(_outbox.c.id.in_(covered)).values(dispatched_at=utcnow())
        )
    session.commit()
    return len(covered)


def release_stale_claims(session: Session, *, stale_after: timedelta = STALE_CLAIM) -> int:
    """Hand the events of workers that died back to the outbox; returns how many.

    A released event counts as never dispatched, so this sweep dispatches it again.
    """
    released = session.execute(
        update(_outbox)
        .where(_outbox.c.processed_at.is_(None))
        .where(_outbox.c.claimed_at < utcnow() - stale_after)
        .values(claimed_at=None, dispatched_at=None)
    )
    session.commit()
    return int(released.rowcount or 0)  # type: ignore[attr-defined]


def undispatched(
    session: Session, *, limit: int = 500, lost_after: timedelta = LOST_DRAIN
) -> dict[str, list[int]]:
    """Per queue, ids of unclaimed events no waiting drain job is known to cover.

    That is events never dispatched (or released from a dead worker's claim), and events
    dispatched `lost_after` ago or more and still unclaimed, whose job may have been lost.
    """
    lost = utcnow() - lost_after
    rows = session.exec(
        select(OutboxEvent.id, OutboxEvent.kind)
        .where(col(OutboxEvent.processed_at).is_(None))
        .where(col(OutboxEvent.claimed_at).is_(None))
        .where(col(OutboxEvent.dispatched_at).is_(None) | (col(OutboxEvent.dispatched_at) < lost))
        .order_by(col(OutboxEvent.id))
        .limit(limit)
    ).all()
    by_queue: dict[str, list[int]] = {}
    for event_id, kind in rows:
        if event_id is not None and kind in events.EVENT_KINDS:
            by_queue.setdefault(events.EVENT_KINDS[kind].queue, []).append(event_id)
    return by_queue


def sweep(
    session: Session,
    redis_url: str,
    *,
    stale_after: timedelta = STALE_CLAIM,
    lost_after: timedelta = LOST_DRAIN,
) -> int:
    """Re-dispatch what was missed; the scheduler calls this every few seconds.

    Returns how many events it dispatched. Only events read before the drain is requested
    are stamped: an event committed later is covered by its own dispatch, not this one.
    """
    release_stale_claims(session, stale_after=stale_after)
    return _dispatch(session, redis_url, undispatched(session, lost_after=lost_after))

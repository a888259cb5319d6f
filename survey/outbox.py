"""Record events inside the caller's transaction; dispatch them to RQ after commit.

Dispatch is coalesced. The workers drain the outbox in batches, so an event needs only the
promise that some drain job of its queue will start after it was committed: that is what
the Redis marker `rapport:drain:<queue>` says (see `queue.request_drain`). Dispatching
sets the marker and enqueues a job only when no drain is waiting already; `dispatched_at`
records when an event was given that promise. The sweeper covers the rest: events that
never reached Redis, events whose drain job was lost, and events claimed by a worker that
died.

The survey POST, the hottest write path, stamps `dispatched_at` in its own transaction
(`record_dispatched`) and asks for the drain right after commit (`keep_promise`), which
saves a second commit on every answer; only when Redis is down does it write again, to
take the stamp back so that the next sweep dispatches the event within seconds.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import bindparam, insert, update
from sqlmodel import Session, col, select

from survey import direct_sql, events, queue
from survey.direct_sql import Direct
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
# The survey POST runs these on its DB-API connection (see `survey.direct_sql`).
_INSERT_DISPATCHED = Direct(
    insert(_outbox)
    .values(
        kind=bindparam("kind"),
        payload=bindparam("payload"),
        created_at=bindparam("now", type_=_outbox.c.created_at.type),
        dispatched_at=bindparam("now", type_=_outbox.c.dispatched_at.type),
    )
    .returning(_outbox.c.id)
)
_UNSTAMP = Direct(
    update(_outbox)
    .where(_outbox.c.id == bindparam("event_id"))
    .where(_outbox.c.claimed_at.is_(None))
    .values(dispatched_at=None)
)


def record(session: Session, kind: str, **ids: int) -> OutboxEvent:
    """Add an event to the session; it commits (or not) with the caller's data."""
    if kind not in events.EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    event = OutboxEvent(kind=kind, payload=dict(ids))
    session.add(event)
    return event


def record_dispatched(conn: direct_sql.Connection, kind: str, **ids: int) -> int:
    """Insert an event stamped as dispatched, in the caller's transaction; returns its id.

    The caller must call `keep_promise` after committing. If the process dies in between,
    the event looks like one whose drain job was lost and the sweeper dispatches it after
    `LOST_DRAIN`.
    """
    if kind not in events.EVENT_KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    created = conn.first(_INSERT_DISPATCHED, {"kind": kind, "payload": dict(ids), "now": utcnow()})
    return int(created.id)


def keep_promise(conn: direct_sql.Connection, redis_url: str, kind: str, event_id: int) -> bool:
    """Ask for the drain of an event from `record_dispatched`, now committed.

    False when Redis is unreachable: the event's stamp is taken back, so the sweeper
    dispatches it on its next round instead of waiting for `LOST_DRAIN`.
    """
    if request_drain(redis_url, events.EVENT_KINDS[kind].queue, event_id):
        return True
    take_back(conn, event_id)
    return False


def take_back(conn: direct_sql.Connection, event_id: int) -> None:
    """Unstamp an event from `record_dispatched` whose drain could not be asked for."""
    conn.execute(_UNSTAMP, {"event_id": event_id})
    conn.commit()


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

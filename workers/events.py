"""The outbox job: drain the pending events, a claimed batch at a time."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rq import get_current_job
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlmodel import Session

from survey import db, events, outbox, queue, webhook_events
from survey.models import OutboxEvent, utcnow
from workers import alerting, context, scoring

log = logging.getLogger(__name__)

# Events claimed and handled together: one commit per batch, not per comment.
BATCH_SIZE = 200
# A drain job stops after this long (between batches) and leaves the rest to the next job,
# so a worker asked to stop is not held up by a long backlog.
DRAIN_SECONDS = 20.0

_outbox = OutboxEvent.__table__  # type: ignore[attr-defined]
# Built once (with parameters), as every batch runs them.
_CLAIM = (
    update(_outbox)
    .where(
        _outbox.c.id.in_(
            sa_select(_outbox.c.id)
            .where(_outbox.c.processed_at.is_(None))
            .where(_outbox.c.claimed_at.is_(None) | (_outbox.c.claimed_at < bindparam("stale")))
            .order_by(_outbox.c.id)
            .limit(bindparam("limit"))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    )
    .values(claimed_at=bindparam("now"), attempts=_outbox.c.attempts + 1)
    .returning(_outbox.c.id, _outbox.c.kind, _outbox.c.payload)
)
_MARK_PROCESSED = (
    update(_outbox)
    .where(_outbox.c.id.in_(bindparam("ids", expanding=True)))
    .values(processed_at=bindparam("now"))
)


@dataclass(frozen=True)
class ClaimedEvent:
    """An event this worker now holds: what the handlers need, read in the claim itself."""

    id: int
    kind: str
    payload: dict


def process_event(event_id: int) -> int:
    """Job: drain the outbox, whatever kind each event is; returns how many it handled.

    `event_id` names the event that led to the job (the one dispatched, or the last of the
    full batch that asked for a helper); it is handled with the rest, in id order.
    Run by RQ, the job first clears its queue's drain marker (any event committed from then
    on asks for a job of its own), then claims batches until nothing claimable is left.
    Called directly (the demo seeder, tests), it needs no Redis.
    """
    job = get_current_job()
    if job is None:
        return drain()
    redis_url = context.settings().redis_url
    queue.drain_started(redis_url, job.origin)
    return drain(redis_url=redis_url, queue_name=job.origin)


def drain(
    *, redis_url: str | None = None, queue_name: str = "", seconds: float = DRAIN_SECONDS
) -> int:
    """Claim and handle batches until none is left; returns how many events were handled.

    With a Redis and a queue, each full batch makes sure another drain job waits on that
    queue, so an idle worker shares the backlog, and the drain may stop after `seconds`
    knowing that job carries on; without them, it runs to the end.
    """
    url = context.settings().database_url
    deadline = time.monotonic() + seconds
    handled = 0
    while True:
        with db.session_scope(url) as session:
            batch = claim_batch(session)
            full = len(batch) == BATCH_SIZE
            # Asked before handling: should this batch fail, the rest still drains.
            shared = (
                full
                and redis_url is not None
                and outbox.request_drain(redis_url, queue_name, batch[-1].id)
            )
            handle(session, batch)
        handled += len(batch)
        # A short batch took everything claimable; what is committed later asks for its own
        # drain job, because this one cleared the marker before claiming.
        if not full or (shared and time.monotonic() > deadline):
            return handled


def claim_batch(session: Session) -> list[ClaimedEvent]:
    """The oldest unclaimed (or stale-claimed) pending events, up to a batch.

    Claiming is one UPDATE ... RETURNING: on PostgreSQL its subquery takes the rows with
    FOR UPDATE SKIP LOCKED, so two workers never claim the same event; SQLite's single
    writer gives the same guarantee. An event another worker claimed recently is not taken:
    a repeat dispatch must not handle it twice. Any kind goes: filtering on the kind would
    lead SQLite down the index of every event ever recorded, where the pending events'
    index, read in id order, makes a claim cost the same however long the outbox.
    """
    now = utcnow()
    rows = session.execute(
        _CLAIM, {"now": now, "stale": now - outbox.STALE_CLAIM, "limit": BATCH_SIZE}
    ).all()
    # The claim commits on its own so other workers skip these events; if this worker dies,
    # the sweeper releases them once the claim goes stale.
    session.commit()
    return sorted((ClaimedEvent(*row) for row in rows), key=lambda e: e.id)


def handle(session: Session, batch: Sequence[ClaimedEvent]) -> None:
    """Apply each kind's handler to its events, then mark them processed in one commit."""
    if not batch:
        return
    by_kind: dict[str, list[ClaimedEvent]] = defaultdict(list)
    for event in batch:
        by_kind[event.kind].append(event)
    scored: list[int] = []
    done: list[int] = []
    for kind, kind_events in by_kind.items():
        if kind in (events.RESPONSE_SUBMITTED.name, events.COMMENTS_RESCORE.name):
            scored.extend(e.payload["response_id"] for e in kind_events)
            done.extend(e.id for e in kind_events)
        else:
            log.error("no handler for event kind %s", kind)
    scoring.score_responses(session, scored)
    # The rules see the new trend points in the same transaction; alerts commit with them.
    raised = alerting.evaluate_after_scoring(session, scored)
    webhook_events.responses_scored(session, scored)
    if done:
        session.execute(_MARK_PROCESSED, {"ids": done, "now": utcnow()})
    session.commit()
    alerting.dispatch(context.settings(), raised)

"""The outbox job: claim a batch of pending events and handle them together."""

from __future__ import annotations

import logging
from collections import defaultdict

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from survey import db, events, outbox, queue, webhook_events
from survey.models import OutboxEvent, utcnow
from workers import alerting, context, scoring

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
    discard_done_jobs(batch, running=event_id)
    return len(batch)


def discard_done_jobs(batch: list[OutboxEvent], *, running: int) -> None:
    """Drop the queued jobs of the other events this batch handled (committed by now).

    Each would only find its event processed, but every RQ job costs several Redis round
    trips: with one job per event, those no-op jobs took longer than the scoring itself.
    """
    by_queue: dict[str, list[str]] = defaultdict(list)
    for event in batch:
        if event.id != running and event.kind in events.EVENT_KINDS:
            # The dispatch that queued the job used the attempt count before this claim.
            job_id = events.job_id_for(event.id, max(0, event.attempts - 1))  # type: ignore[arg-type]
            by_queue[events.EVENT_KINDS[event.kind].queue].append(job_id)
    for queue_name, job_ids in by_queue.items():
        queue.discard_queued(context.settings().redis_url, queue_name, job_ids)


def claim_batch(session: Session, *, first: int) -> list[OutboxEvent]:
    """The given event plus the oldest other unclaimed (or stale-claimed) pending events.

    Claiming is one UPDATE ... RETURNING: on PostgreSQL its subquery takes the rows with
    FOR UPDATE SKIP LOCKED, so two workers never claim the same event; SQLite's single
    writer gives the same guarantee. An event another worker claimed recently is not taken,
    even when it is `first`: a repeat dispatch must not handle it twice.
    """
    stale = utcnow() - outbox.STALE_CLAIM
    claimable = (
        select(OutboxEvent.id)
        .where(col(OutboxEvent.processed_at).is_(None))
        .where(col(OutboxEvent.claimed_at).is_(None) | (col(OutboxEvent.claimed_at) < stale))
        .order_by(case((col(OutboxEvent.id) == first, 0), else_=1), col(OutboxEvent.id))
        .limit(BATCH_SIZE)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(OutboxEvent)
        .where(col(OutboxEvent.id).in_(claimable.scalar_subquery()))
        .values(claimed_at=utcnow(), attempts=OutboxEvent.attempts + 1)
        .returning(col(OutboxEvent.id))
        .execution_options(synchronize_session=False)
    ).scalars()
    ids = sorted(claimed)
    pending = session.exec(
        select(OutboxEvent)
        .where(col(OutboxEvent.id).in_(ids))
        .order_by(col(OutboxEvent.id))
        .execution_options(populate_existing=True)
    ).all()
    # The claim commits on its own so other workers skip these events; if this worker dies,
    # the sweeper re-dispatches them once the claim goes stale.
    session.commit()
    return list(pending)


def handle(session: Session, batch: list[OutboxEvent]) -> None:
    """Apply each kind's handler to its events, then mark them processed in one commit."""
    by_kind: dict[str, list[OutboxEvent]] = defaultdict(list)
    for event in batch:
        by_kind[event.kind].append(event)
    scored: list[int] = []
    for kind, kind_events in by_kind.items():
        if kind in (events.RESPONSE_SUBMITTED.name, events.COMMENTS_RESCORE.name):
            response_ids = [e.payload["response_id"] for e in kind_events]
            scoring.score_responses(session, response_ids)
            scored.extend(response_ids)
        else:
            log.error("no handler for event kind %s", kind)
            continue
        for event in kind_events:
            event.processed_at = utcnow()
            session.add(event)
    # The rules see the new trend points in the same transaction; alerts commit with them.
    raised = alerting.evaluate_after_scoring(session, scored)
    webhook_events.responses_scored(session, scored)
    session.commit()
    alerting.dispatch(context.settings(), raised)

"""Every outbox event kind, and the queue and job that handle it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EventKind:
    """What a kind of event means and where the workers pick it up."""

    name: str
    queue: str
    description: str


RESPONSE_SUBMITTED = EventKind(
    "response.submitted", "events", "A stakeholder saved or changed their answers."
)
COMMENTS_RESCORE = EventKind(
    "comments.rescore", "analysis", "Stored comments must be scored again (analyzer changed)."
)

EVENT_KINDS: dict[str, EventKind] = {k.name: k for k in (RESPONSE_SUBMITTED, COMMENTS_RESCORE)}

# Every event is handled by one job function, enqueued by name so the web app never
# imports the workers package.
EVENT_JOB = "workers.events.process_event"


def job_id_for(event_id: int, attempt: int = 0) -> str:
    """Deterministic RQ job id: a second dispatch of the same event is harmless.

    A re-dispatch after a worker died mid-job gets a new id (the attempt number), because
    the dead worker's job still sits in RQ's started registry under the old one.
    """
    return f"event-{event_id}" if attempt == 0 else f"event-{event_id}-r{attempt}"

"""Every outbox event kind, and the queue and job that handle it."""

from __future__ import annotations

import secrets
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
# imports the workers package. A job drains the whole outbox: its event id only names the
# event whose dispatch queued it.
EVENT_JOB = "workers.events.process_event"


def drain_job_id(event_id: int) -> str:
    """A fresh RQ job id naming the event that asked for the drain.

    Never reused: a job of a worker that died stays "started" in RQ's registry under its
    id, and the pending-drain marker (not the job id) is what keeps drains from piling up.
    """
    return f"event-{event_id}-{secrets.token_hex(4)}"

"""The scheduler: periodic jobs driven by state in the database, one active at a time."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from survey import db, distribution, outbox, queue, waves
from survey.config import Settings
from survey.models import utcnow
from workers import alerting, context, deliveries, webhooks
from workers.reviews import REPORT_JOBS

log = logging.getLogger(__name__)

LOCK_KEY = "rapport:scheduler:lock"
LOCK_TTL_SECONDS = 15


@dataclass(frozen=True)
class Periodic:
    """A job the scheduler runs every `every` seconds."""

    name: str
    every: float
    run: Callable[[Settings], object]


def sweep_outbox(settings: Settings) -> int:
    """Re-dispatch events that never reached Redis (or whose worker died)."""
    with db.session_scope(settings.database_url) as session:
        return outbox.sweep(session, settings.redis_url)


def advance_waves(settings: Settings, now: datetime | None = None) -> int:
    """Open and close waves on time, queue the mail they owe, and hand it to the mail queue."""
    now = now or utcnow()
    with db.session_scope(settings.database_url) as session:
        for wave in waves.advance(session, now=now):
            distribution.plan(session, wave=wave, now=now, fatigue_days=settings.fatigue_days)
        session.commit()
        due = deliveries.due_waves(session, now=now)
    for wave_id in due:
        # Sending claims each delivery in the DB first, so re-enqueueing is harmless; with
        # Redis down this hands nothing over and the next tick tries again.
        distribution.hand_to_mail_queue(settings.redis_url, wave_id=wave_id)
    return len(due)


PERIODIC = (
    Periodic("sweep-outbox", 2.0, sweep_outbox),
    Periodic("advance-waves", 30.0, advance_waves),
    Periodic("recover-interrupted-mail", 60.0, deliveries.recover_interrupted_mail),
    Periodic("evaluate-alerts", 60.0, alerting.evaluate_due),
    Periodic("sweep-alert-notifications", 300.0, alerting.sweep_notifications),
    Periodic("sweep-webhooks", 5.0, webhooks.sweep),
    *(Periodic(*job) for job in REPORT_JOBS),
)


_RENEW_IF_MINE = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('expire', KEYS[1], ARGV[2]) else return 0 end"
)


def _hold_lock(settings: Settings, me: str) -> bool:
    client = queue.redis_for(settings.redis_url)
    if client.set(LOCK_KEY, me, nx=True, ex=LOCK_TTL_SECONDS):
        return True
    # Compare and renew in one step: a lock that expired and went to another scheduler
    # meanwhile must not be renewed by this one.
    return bool(client.eval(_RENEW_IF_MINE, 1, LOCK_KEY, me, LOCK_TTL_SECONDS))


def run_forever(tick: float = 0.5) -> None:
    """Run the periodic jobs until SIGTERM/SIGINT; stand by while another scheduler acts."""
    settings = context.settings()
    me = f"{socket.gethostname()}:{os.getpid()}"
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    last_run = {p.name: 0.0 for p in PERIODIC}
    active = False
    runs = 0
    while not stopping:
        try:
            holding = _hold_lock(settings, me)
        except Exception as exc:  # Redis down: keep trying, the DB still holds all state.
            log.warning("scheduler cannot reach redis: %s", exc)
            holding = False
        if holding != active:
            log.info("scheduler %s %s", me, "is active" if holding else "stands by")
            active = holding
        if holding:
            for periodic in PERIODIC:
                if time.monotonic() - last_run[periodic.name] >= periodic.every:
                    last_run[periodic.name] = time.monotonic()
                    runs += 1
                    try:
                        periodic.run(settings)
                    except Exception:
                        log.exception("periodic job %s failed", periodic.name)
        try:
            queue.write_scheduler_heartbeat(settings.redis_url, me, active=holding, runs=runs)
        except Exception as exc:
            log.warning("scheduler cannot write its heartbeat: %s", exc)
        time.sleep(tick)
    try:
        client = queue.redis_for(settings.redis_url)
        if client.get(LOCK_KEY) == me.encode():
            client.delete(LOCK_KEY)
        queue.clear_scheduler_heartbeat(settings.redis_url, me)
    except Exception:  # noqa: S110 - shutting down anyway; the lock expires on its own
        pass

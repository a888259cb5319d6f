"""The one seam through which the app hands work to Redis and RQ."""

from __future__ import annotations

import contextlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

import redis
from rq import Queue, Retry, Worker
from rq.job import Job

log = logging.getLogger(__name__)

QUEUE_NAMES = ("events", "mail", "analysis", "reports")

# Per job kind: how long one run may take before RQ kills it (seconds).
JOB_TIMEOUTS = {"events": 300, "mail": 120, "analysis": 1800, "reports": 1800}


@lru_cache(maxsize=8)
def redis_for(url: str) -> redis.Redis:
    """A pooled client; short timeouts so a dead Redis never hangs a web request."""
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=1)


def enqueue(
    redis_url: str,
    queue: str,
    func: str,
    *args: object,
    job_id: str | None = None,
    retry: Retry | None = None,
) -> bool:
    """Enqueue `func` (a dotted name) with id arguments; False when Redis is unreachable."""
    if queue not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue!r}")
    conn = redis_for(redis_url)
    try:
        if job_id is not None:
            existing = (
                Job.fetch(job_id, connection=conn) if conn.exists(f"rq:job:{job_id}") else None
            )
            # Queued already: nothing to do. A "started" job may belong to a dead worker, so
            # callers re-dispatching after a crash use a new job id instead.
            if existing is not None and existing.get_status(refresh=False) == "queued":
                return True
        _push(conn, queue, func, args, job_id=job_id, retry=retry)
        return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        log.warning("redis unavailable, %s left for the sweeper: %s", func, exc)
        return False


def _push(
    conn: redis.Redis,
    queue: str,
    func: str,
    args: tuple[object, ...],
    *,
    job_id: str | None,
    retry: Retry | None = None,
) -> None:
    Queue(queue, connection=conn).enqueue(
        func,
        *args,
        job_id=job_id,
        job_timeout=JOB_TIMEOUTS[queue],
        result_ttl=600,
        failure_ttl=7 * 24 * 3600,
        retry=retry,
    )


# --- Drains: one waiting job per queue, however many events it covers.

DRAIN_MARKER_PREFIX = "rapport:drain:"


def drain_marker(queue: str) -> str:
    """The key that exists while a drain job of `queue` waits and has not started."""
    return DRAIN_MARKER_PREFIX + queue


def request_drain(
    redis_url: str, queue: str, func: str, *args: object, job_id: str, marker_ttl: int
) -> bool:
    """Make sure a `func` job waits on `queue`; False when Redis is unreachable.

    When the marker is already set, a job that has not started yet will see everything
    committed before it starts, so nothing is enqueued: a busy web tier costs one SET per
    request, not one job. The marker expires after `marker_ttl` seconds so that a job lost
    with it still set (an enqueue that failed half-way, an emptied queue) holds dispatch
    back only that long.
    """
    if queue not in QUEUE_NAMES:
        raise ValueError(f"unknown queue {queue!r}")
    conn = redis_for(redis_url)
    try:
        if not conn.set(drain_marker(queue), job_id, nx=True, ex=marker_ttl):
            return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        # No marker was set, so there is nothing to take back: one failed call is enough.
        log.warning("redis unavailable, %s left for the sweeper: %s", func, exc)
        return False
    return enqueue_marked(redis_url, queue, func, *args, job_id=job_id)


def enqueue_marked(redis_url: str, queue: str, func: str, *args: object, job_id: str) -> bool:
    """Enqueue the drain job whose marker the caller just set; False when Redis failed.

    On failure the marker is removed (best effort), so that the next request sets it again
    instead of trusting a job that does not exist.
    """
    conn = redis_for(redis_url)
    try:
        _push(conn, queue, func, args, job_id=job_id)
        return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        log.warning("redis unavailable, %s left for the sweeper: %s", func, exc)
        # Best effort: a marker without its job would hold dispatch back until it expires.
        with contextlib.suppress(redis.ConnectionError, redis.TimeoutError, OSError):
            conn.delete(drain_marker(queue))
        return False


def drain_started(redis_url: str, queue: str) -> None:
    """Clear `queue`'s marker as a drain job starts: later events need a job of their own.

    Best effort: a marker left behind expires on its own.
    """
    try:
        redis_for(redis_url).delete(drain_marker(queue))
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        log.warning("could not clear the drain marker of %s: %s", queue, exc)


def redis_ok(redis_url: str) -> bool:
    """True when Redis answers a PING."""
    try:
        return bool(redis_for(redis_url).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False


# --- Operations: what the admin page and health checks read (and the one retry they do).

SCHEDULER_HEARTBEAT_PREFIX = "rapport:scheduler:heartbeat:"
SCHEDULER_HEARTBEAT_TTL = 30


@dataclass(frozen=True)
class QueueDepth:
    name: str
    queued: int
    started: int
    failed: int
    scheduled: int


@dataclass(frozen=True)
class JobSummary:
    id: str
    queue: str
    func: str
    args: tuple
    at: datetime | None
    worker: str
    error: str


@dataclass(frozen=True)
class WorkerHeartbeat:
    name: str
    host: str
    queues: tuple[str, ...]
    state: str
    last_heartbeat: datetime | None
    current_job: str | None
    successful: int
    failed: int


def queue_depths(redis_url: str) -> list[QueueDepth]:
    """Jobs waiting, running, failed and scheduled per queue."""
    conn = redis_for(redis_url)
    depths = []
    for name in QUEUE_NAMES:
        q = Queue(name, connection=conn)
        depths.append(
            QueueDepth(
                name=name,
                queued=q.count,
                started=q.started_job_registry.count,
                failed=q.failed_job_registry.count,
                scheduled=q.scheduled_job_registry.count + q.deferred_job_registry.count,
            )
        )
    return depths


def _summaries(conn: redis.Redis, queue_name: str, job_ids: list[str]) -> list[JobSummary]:
    out = []
    for job in Job.fetch_many(job_ids, connection=conn):
        if job is None:
            continue
        result = job.latest_result() if job.is_failed else None
        error = (result.exc_string or "").strip().splitlines()[-1:] if result else []
        out.append(
            JobSummary(
                id=job.id,
                queue=queue_name,
                func=job.func_name,
                args=tuple(job.args),
                at=job.ended_at if job.is_failed else job.started_at,
                worker=job.worker_name or "",
                error=error[0][:300] if error else "",
            )
        )
    return out


def failed_jobs(redis_url: str, *, limit: int = 50) -> list[JobSummary]:
    """The most recent failed jobs of every queue."""
    conn = redis_for(redis_url)
    jobs: list[JobSummary] = []
    for name in QUEUE_NAMES:
        registry = Queue(name, connection=conn).failed_job_registry
        jobs.extend(_summaries(conn, name, registry.get_job_ids(0, limit - 1)))
    return jobs[:limit]


def started_jobs(redis_url: str) -> list[JobSummary]:
    """Jobs a worker is running right now."""
    conn = redis_for(redis_url)
    jobs: list[JobSummary] = []
    for name in QUEUE_NAMES:
        registry = Queue(name, connection=conn).started_job_registry
        # One entry per execution: a job retried while still listed would show twice.
        jobs.extend(_summaries(conn, name, list(dict.fromkeys(registry.get_job_ids()))))
    return jobs


def retry_failed(redis_url: str, job_id: str) -> bool:
    """Put a failed job back on its queue; False when no queue holds it as failed."""
    conn = redis_for(redis_url)
    for name in QUEUE_NAMES:
        registry = Queue(name, connection=conn).failed_job_registry
        if job_id in registry:
            registry.requeue(job_id)
            return True
    return False


def worker_heartbeats(redis_url: str) -> list[WorkerHeartbeat]:
    """Every live RQ worker (a worker that stops sending heartbeats drops out)."""
    conn = redis_for(redis_url)
    return [
        WorkerHeartbeat(
            name=w.name,
            host=f"{w.hostname}:{w.pid}",
            queues=tuple(w.queue_names()),
            state=str(w.get_state()),
            last_heartbeat=w.last_heartbeat,
            current_job=w.get_current_job_id(),
            successful=w.successful_job_count,
            failed=w.failed_job_count,
        )
        for w in sorted(Worker.all(connection=conn), key=lambda w: w.name)
    ]


def write_scheduler_heartbeat(redis_url: str, name: str, *, active: bool, runs: int) -> None:
    """Record that scheduler `name` is alive, whether it holds the lock and how often it ran."""
    payload = json.dumps({"active": active, "runs": runs, "at": time.time()})
    redis_for(redis_url).set(SCHEDULER_HEARTBEAT_PREFIX + name, payload, ex=SCHEDULER_HEARTBEAT_TTL)


def clear_scheduler_heartbeat(redis_url: str, name: str) -> None:
    """Remove a scheduler's heartbeat as it stops."""
    redis_for(redis_url).delete(SCHEDULER_HEARTBEAT_PREFIX + name)


def scheduler_heartbeats(redis_url: str) -> dict[str, dict]:
    """Live schedulers by name: {"active": bool, "runs": int, "at": epoch seconds}."""
    conn = redis_for(redis_url)
    out = {}
    for key in sorted(conn.scan_iter(match=SCHEDULER_HEARTBEAT_PREFIX + "*")):
        raw = conn.get(key)
        if raw is not None:
            out[key.decode().removeprefix(SCHEDULER_HEARTBEAT_PREFIX)] = json.loads(raw)
    return out

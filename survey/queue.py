"""The one seam through which the app hands work to Redis and RQ."""

from __future__ import annotations

import logging
from functools import lru_cache

import redis
from rq import Queue, Retry
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
        Queue(queue, connection=conn).enqueue(
            func,
            *args,
            job_id=job_id,
            job_timeout=JOB_TIMEOUTS[queue],
            result_ttl=600,
            failure_ttl=7 * 24 * 3600,
            retry=retry,
        )
        return True
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        log.warning("redis unavailable, %s left for the sweeper: %s", func, exc)
        return False


def redis_ok(redis_url: str) -> bool:
    """True when Redis answers a PING."""
    try:
        return bool(redis_for(redis_url).ping())
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        return False

"""The worker loop: RQ's non-forking SimpleWorker, kept alive across Redis outages."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

import redis
from rq import Queue, SimpleWorker

log = logging.getLogger(__name__)

MAX_BACKOFF_SECONDS = 10.0


def run_worker(redis_url: str, queue_names: Sequence[str], *, burst: bool = False) -> None:
    """Work the queues; when Redis goes away, wait for it and carry on instead of exiting.

    Exiting would take the whole `rapport up` supervisor down with it, and the outbox
    sweeper re-dispatches whatever was lost from Redis once it is back.
    """
    backoff = 0.5
    while True:
        # No socket timeout: blocking dequeues wait longer than the web's short timeouts.
        connection = redis.Redis.from_url(redis_url)
        try:
            queues = [Queue(name, connection=connection) for name in queue_names]
            worker = SimpleWorker(queues, connection=connection)
            worker.work(burst=burst, with_scheduler=False)
            return
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            if burst:
                raise
            log.warning("redis unavailable (%s); retrying in %.1fs", exc, backoff)
            time.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        finally:
            connection.close()

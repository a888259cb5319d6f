"""One worker process, timed: `python -m bench.worker_run` prints a JSON line.

It warms up as `rapport worker` does, drains every queued job with an RQ SimpleWorker in
burst mode, then scores the same comments again in a plain loop for the baseline.
"""

from __future__ import annotations

import json
import os
import sys
import time

import redis
from rq import Queue, SimpleWorker
from sqlmodel import Session, col, func, select

from analysis import sentiment
from bench.procs import peak_rss_kib
from survey import db
from survey.models import CommentScore, OutboxEvent, Response
from survey.queue import QUEUE_NAMES
from workers import context, warmup


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return int(session.exec(query).one())


def main() -> None:
    """Drain, verify, run the baseline, report."""
    settings = context.settings()
    warmup.preload()
    # No socket timeout: a worker's blocking reads wait longer than the web's short one.
    connection = redis.Redis.from_url(settings.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    jobs = sum(q.count for q in queues)
    began = time.perf_counter()
    SimpleWorker(queues, connection=connection).work(burst=True, with_scheduler=False)
    seconds = time.perf_counter() - began
    worker_peak = peak_rss_kib(os.getpid())

    engine = db.get_engine(settings.database_url)
    with Session(engine) as session:
        pending = _count(
            session, select(func.count(col(OutboxEvent.id))).where(col(OutboxEvent.processed_at).is_(None))
        )
        scored = _count(session, select(func.count(col(CommentScore.id))))
        comments = list(session.exec(select(Response.comment).where(Response.comment != "")).all())
    began = time.perf_counter()
    for text in comments:
        sentiment.score(text)
    baseline_seconds = time.perf_counter() - began
    json.dump(
        {
            "jobs": jobs,
            "seconds": seconds,
            "scored": scored,
            "pending": pending,
            "comments": len(comments),
            "baseline_seconds": baseline_seconds,
            "peak_rss_kib": worker_peak,
        },
        sys.stdout,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()

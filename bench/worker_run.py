"""One worker process, timed: `python -m bench.worker_run [--baseline-only]` prints a JSON line.

By default it warms up as `rapport worker` does, drains every queued job with an RQ
SimpleWorker in burst mode, then scores the same comments again in a plain loop for the
baseline. With --baseline-only it runs just that loop, so its memory high-water mark is
what the analyzer alone needs.
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
from survey.config import Settings
from survey.models import CommentScore, OutboxEvent, Response
from survey.queue import QUEUE_NAMES
from workers import context, warmup


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return int(session.exec(query).one())


def drain(settings: Settings) -> dict[str, float]:
    """Run one SimpleWorker in burst mode over every queue; returns what it did."""
    warmup.preload()
    # No socket timeout: a worker's blocking reads wait longer than the web's short one.
    connection = redis.Redis.from_url(settings.redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    jobs = sum(q.count for q in queues)
    began = time.perf_counter()
    SimpleWorker(queues, connection=connection).work(burst=True, with_scheduler=False)
    seconds = time.perf_counter() - began
    peak = peak_rss_kib(os.getpid())
    with Session(db.get_engine(settings.database_url)) as session:
        pending = select(func.count(col(OutboxEvent.id))).where(
            col(OutboxEvent.processed_at).is_(None)
        )
        return {
            "jobs": jobs,
            "seconds": seconds,
            "peak_rss_kib": peak,
            "pending": _count(session, pending),
            "scored": _count(session, select(func.count(col(CommentScore.id)))),
        }


def plain_loop(settings: Settings) -> dict[str, float]:
    """Score every stored comment with analysis.sentiment.score and nothing else."""
    with Session(db.get_engine(settings.database_url)) as session:
        comments = list(session.exec(select(Response.comment).where(Response.comment != "")))
    began = time.perf_counter()
    for text in comments:
        sentiment.score(text)
    seconds = time.perf_counter() - began
    return {"comments": len(comments), "baseline_seconds": seconds}


def main() -> None:
    """Drain (unless --baseline-only), run the plain loop, print one JSON line."""
    settings = context.settings()
    report: dict[str, float] = {}
    if "--baseline-only" not in sys.argv[1:]:
        report.update(drain(settings))
    report.update(plain_loop(settings))
    report.setdefault("peak_rss_kib", peak_rss_kib(os.getpid()))
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()

"""One worker process, timed: `python -m bench.worker_run [--rounds N | --baseline-only]`.

It prints one JSON line.

By default it warms up as `rapport worker` does and scores each distinct comment once, so
that the analyzer's word caches are as warm as in a worker that has been running (for both
sides alike). Then, timed, the plain loop over the comments and the worker's drain take
turns: loop, drain, loop, drain, ... loop. The first drain runs the jobs the capture run
queued; before each further one, what a drain wrote is undone (`undo_drain`) and a drain
job requested again, so every round does the same work. The baseline is the mean of the
loops, which bracket every drain: a machine that speeds up or slows down during the run
moves both sides alike. With --baseline-only it imports only the analyzer and runs the
loop once, so its memory high-water mark is what the analyzer alone needs.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import time

from bench.memory import peak_rss_kib


def drain(database_url: str, redis_url: str) -> dict[str, float]:
    """Run one SimpleWorker in burst mode over every queue; returns what it did."""
    import redis
    from rq import Queue, SimpleWorker

    from survey.queue import QUEUE_NAMES

    class TimedWorker(SimpleWorker):
        """Notes when each job is done: the queues are drained when the last one is."""

        last_done = 0.0

        def perform_job(self, job, queue):  # type: ignore[no-untyped-def]
            try:
                return super().perform_job(job, queue)
            finally:
                self.last_done = time.perf_counter()

    # No socket timeout: a worker's blocking reads wait longer than the web's short one.
    connection = redis.Redis.from_url(redis_url)
    queues = [Queue(name, connection=connection) for name in QUEUE_NAMES]
    jobs = sum(q.count for q in queues)
    worker = TimedWorker(queues, connection=connection)
    began = time.perf_counter()
    worker.work(burst=True, with_scheduler=False)
    # Up to the end of the last job: once the queues are empty a burst worker waits up to a
    # second for its pub/sub thread to stop, which is shutting down, not draining.
    seconds = (worker.last_done or time.perf_counter()) - began
    with _connect(database_url) as conn:
        pending = conn.execute("SELECT count(*) FROM outbox_event WHERE processed_at IS NULL")
        scored = conn.execute("SELECT count(*) FROM comment_score WHERE analyzer_version != ''")
        counts = pending.fetchone()[0], scored.fetchone()[0]
    return {"jobs": jobs, "seconds": seconds, "pending": counts[0], "scored": counts[1]}


def _connect(database_url: str) -> sqlite3.Connection:
    if not database_url.startswith("sqlite:///"):
        raise SystemExit("the benchmark runs on SQLite only")
    return sqlite3.connect(database_url.removeprefix("sqlite:///"))


def stored_comments(database_url: str) -> list[str]:
    """Every stored comment, as the worker reads them."""
    with _connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT comment FROM response WHERE comment != ''")]


def plain_loop(comments: list[str]) -> float:
    """Seconds to score `comments` with analysis.sentiment.score and nothing else."""
    from analysis import sentiment

    began = time.perf_counter()
    for text in comments:
        sentiment.score(text)
    return time.perf_counter() - began


def undo_drain(database_url: str, redis_url: str) -> None:
    """Put the outbox back as capture left it (scores and trend points gone, every event
    pending) and ask for a drain job, as the last submission did."""
    from survey import events, outbox

    with _connect(database_url) as conn:
        conn.execute("DELETE FROM comment_score")
        conn.execute("DELETE FROM relationship_trend")
        conn.execute("UPDATE outbox_event SET processed_at = NULL, claimed_at = NULL")
        last = conn.execute("SELECT max(id) FROM outbox_event").fetchone()[0]
    if not outbox.request_drain(redis_url, events.RESPONSE_SUBMITTED.queue, last):
        raise RuntimeError("could not request a drain job")


def main() -> None:
    """Drain (unless --baseline-only) between plain loops; print one JSON line."""
    database_url = os.environ["RAPPORT_DATABASE_URL"]
    comments = stored_comments(database_url)
    report: dict[str, float] = {"comments": len(comments)}
    if "--baseline-only" in sys.argv[1:]:
        report["baseline_seconds"] = plain_loop(comments)
        report["peak_rss_kib"] = peak_rss_kib(os.getpid())
        sys.stdout.write(json.dumps(report) + "\n")
        return
    from analysis import sentiment
    from workers import warmup

    redis_url = os.environ["RAPPORT_REDIS_URL"]
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 1
    warmup.preload()
    for text in set(comments):
        sentiment.score(text)
    loops = [plain_loop(comments)]
    drains = []
    for turn in range(rounds):
        if turn:
            undo_drain(database_url, redis_url)
        drains.append(drain(database_url, redis_url))
        # The worker's own high-water mark, before the next loop runs in this process.
        report["peak_rss_kib"] = peak_rss_kib(os.getpid())
        loops.append(plain_loop(comments))
    report.update(
        jobs=drains[0]["jobs"],
        # Per round, so that comments / seconds is the worker's rate.
        seconds=sum(d["seconds"] for d in drains) / rounds,
        baseline_seconds=sum(loops) / len(loops),
        pending=max(d["pending"] for d in drains),
        scored=min(d["scored"] for d in drains),
    )
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main()

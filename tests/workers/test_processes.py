"""`rapport worker` and `rapport scheduler` as real processes on a real Redis."""

from __future__ import annotations

import signal
import socket
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job

from survey import queue
from tests.faults import procs
from workers import scheduler as scheduler_module

ROOT = Path(__file__).resolve().parents[2]
JOB = "tests.workers.slow_jobs.sleep_then_answer"


@pytest.fixture
def process_env(rapport_env: dict[str, str]) -> dict[str, str]:
    """The test's settings, plus the repository on the path so workers can import test jobs."""
    return {**rapport_env, "PYTHONPATH": str(ROOT)}


def test_sigterm_lets_the_worker_finish_its_job_and_take_no_other(process_env, redis_url, tmp_path):
    conn = redis.Redis.from_url(redis_url)
    reports = Queue("reports", connection=conn)
    running = reports.enqueue(JOB, 3.0, job_timeout=60)
    waiting = reports.enqueue(JOB, 0.0, job_timeout=60)
    worker = procs.start(
        ["-m", "survey.cli", "worker", "--queues", "reports"], process_env, tmp_path / "w.log"
    )
    try:
        assert procs.wait_until(lambda: running.get_status(refresh=True) == "started", 60)
        # The live worker is visible with its heartbeat and current job.
        beats = queue.worker_heartbeats(redis_url)
        assert [(b.queues, b.current_job) for b in beats] == [(("reports",), running.id)]
        assert beats[0].last_heartbeat is not None
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    finally:
        procs.stop(worker)
    assert Job.fetch(running.id, connection=conn).get_status() == "finished"
    assert Job.fetch(running.id, connection=conn).return_value() == "finished"
    assert waiting.get_status(refresh=True) == "queued"
    assert queue.worker_heartbeats(redis_url) == []


def _scheduler_name(proc) -> str:  # type: ignore[no-untyped-def]
    return f"{socket.gethostname()}:{proc.pid}"


def _start_schedulers(env: dict[str, str], tmp_path: Path, count: int) -> list:
    return [
        procs.start(["-m", "survey.cli", "scheduler"], env, tmp_path / f"scheduler{n}.log")
        for n in range(count)
    ]


def test_of_two_schedulers_exactly_one_acts(process_env, redis_url, tmp_path):
    schedulers = _start_schedulers(process_env, tmp_path, 2)
    names = [_scheduler_name(p) for p in schedulers]
    try:
        assert procs.wait_until(
            lambda: (
                set(queue.scheduler_heartbeats(redis_url)) == set(names)
                and any(b["runs"] >= 3 for b in queue.scheduler_heartbeats(redis_url).values())
            ),
            60,
        )
        beats = queue.scheduler_heartbeats(redis_url)
        active = [n for n in names if beats[n]["active"]]
        assert len(active) == 1
        standby = next(n for n in names if n not in active)
        assert beats[active[0]]["runs"] >= 3
        assert beats[standby]["runs"] == 0
        lock = redis.Redis.from_url(redis_url).get(scheduler_module.LOCK_KEY)
        assert lock == active[0].encode()
    finally:
        for proc in schedulers:
            procs.stop(proc)
    # A clean stop releases the lock and removes the heartbeats.
    assert queue.scheduler_heartbeats(redis_url) == {}
    assert redis.Redis.from_url(redis_url).get(scheduler_module.LOCK_KEY) is None


@pytest.mark.slow
def test_the_standby_scheduler_takes_over_when_the_active_one_is_killed(
    process_env, redis_url, tmp_path
):
    schedulers = _start_schedulers(process_env, tmp_path, 2)
    by_name = {_scheduler_name(p): p for p in schedulers}
    try:
        assert procs.wait_until(
            lambda: (
                sum(b["active"] for b in queue.scheduler_heartbeats(redis_url).values()) == 1
                and len(queue.scheduler_heartbeats(redis_url)) == 2
            ),
            60,
        )
        beats = queue.scheduler_heartbeats(redis_url)
        first = next(n for n, b in beats.items() if b["active"])
        second = next(n for n in by_name if n != first)
        # SIGKILL: no clean release, so the standby must wait for the lock to expire.
        procs.stop(by_name[first], signal.SIGKILL)
        assert procs.wait_until(
            lambda: queue.scheduler_heartbeats(redis_url).get(second, {}).get("runs", 0) > 0,
            scheduler_module.LOCK_TTL_SECONDS + 30,
        )
        assert queue.scheduler_heartbeats(redis_url)[second]["active"] is True
        assert redis.Redis.from_url(redis_url).get(scheduler_module.LOCK_KEY) == second.encode()
    finally:
        for proc in schedulers:
            procs.stop(proc)

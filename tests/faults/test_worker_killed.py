"""A worker SIGKILLed mid-batch, repeatedly, while 1,000 submissions arrive loses nothing."""

from __future__ import annotations

import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy.exc import OperationalError

from survey import db, outbox
from tests.faults import checks, procs
from tests.faults.conftest import answers_for
from tests.faults.submit import submit

pytestmark = pytest.mark.slow


def test_every_response_scored_once_despite_repeated_worker_kills(
    rapport_env, session, invitations, tmp_path
):
    tokens = invitations(relationships=200, waves=5)
    port = procs.free_port()
    base = f"http://127.0.0.1:{port}"
    web = procs.web(rapport_env, port, tmp_path / "web.log", workers=3)
    worker = procs.worker(rapport_env, tmp_path / "worker.log")
    stop_killing = threading.Event()
    kills = 0

    def killer() -> None:
        nonlocal worker, kills
        while not stop_killing.wait(1.5):
            procs.stop(worker, signal.SIGKILL)
            kills += 1
            worker = procs.worker(rapport_env, tmp_path / "worker.log")

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(
                pool.map(lambda n: submit(base, tokens[n], answers_for(n)), range(len(tokens)))
            )
        stop_killing.set()
        thread.join()
        assert statuses == [200] * len(tokens)
        assert kills >= 3

        # What the dead workers had claimed is re-dispatched by the sweeper.
        def drained() -> bool:
            try:
                with db.session_scope(rapport_env["RAPPORT_DATABASE_URL"]) as s:
                    outbox.sweep(s, rapport_env["RAPPORT_REDIS_URL"], stale_after=timedelta(0))
            except OperationalError:
                return False  # SQLite busy with the worker's batch: sweep again next poll
            return checks.pending_events(session) == 0

        assert procs.wait_until(drained, timeout=180, interval=2)
        time.sleep(1)  # let a job still running finish its commit before counting
        checks.assert_scored_exactly_once(session, len(tokens))
        checks.assert_trends_match_recomputation(session)
    finally:
        stop_killing.set()
        procs.stop(worker, signal.SIGKILL)
        procs.stop(web)

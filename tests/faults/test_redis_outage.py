"""Redis stopped for 30 seconds while submissions arrive: thanked, kept, scored afterwards."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from survey.embedded_redis import EmbeddedRedis
from tests.faults import checks, procs
from tests.faults.conftest import answers_for
from tests.faults.submit import submit

pytestmark = pytest.mark.slow
OUTAGE_SECONDS = float(os.environ.get("RAPPORT_OUTAGE_SECONDS", "30"))


def test_submissions_during_a_redis_outage_are_all_scored_after_it_returns(
    rapport_env, session, invitations, tmp_path
):
    tokens = invitations(relationships=20, waves=3)
    redis_server = EmbeddedRedis(tmp_path / "private-redis")
    redis_server.start()
    env = {**rapport_env, "RAPPORT_REDIS_URL": redis_server.url}
    port = procs.free_port()
    base = f"http://127.0.0.1:{port}"
    web = procs.web(env, port, tmp_path / "web.log")
    worker = procs.worker(env, tmp_path / "worker.log")
    sched = procs.scheduler(env, tmp_path / "scheduler.log")
    try:
        redis_server.stop()
        import time

        outage_ends = time.monotonic() + OUTAGE_SECONDS
        with ThreadPoolExecutor(max_workers=4) as pool:
            statuses = list(
                pool.map(lambda n: submit(base, tokens[n], answers_for(n)), range(len(tokens)))
            )
        assert statuses == [200] * len(tokens)  # every stakeholder saw the thank-you page
        assert checks.pending_events(session) == len(tokens)
        time.sleep(max(0.0, outage_ends - time.monotonic()))
        redis_server.start()
        assert procs.wait_until(lambda: checks.pending_events(session) == 0, timeout=120)
        checks.assert_scored_exactly_once(session, len(tokens))
        checks.assert_trends_match_recomputation(session)
    finally:
        for proc in (sched, worker, web):
            procs.stop(proc)
        redis_server.stop()

"""1,000 concurrent submissions through gunicorn: zero 5xx, exactly 1,000 stored and scored."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.faults import checks, procs
from tests.faults.conftest import answers_for
from tests.faults.submit import submit

pytestmark = pytest.mark.slow
CLIENTS = 32


def test_a_thousand_concurrent_submissions_are_all_stored_and_scored(
    rapport_env, session, invitations, tmp_path
):
    tokens = invitations(relationships=250, waves=4)
    port = procs.free_port()
    base = f"http://127.0.0.1:{port}"
    web = procs.web(rapport_env, port, tmp_path / "web.log", workers=4)
    worker = procs.worker(rapport_env, tmp_path / "worker.log")
    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            statuses = list(
                pool.map(lambda n: submit(base, tokens[n], answers_for(n)), range(len(tokens)))
            )
        server_errors = [s for s in statuses if s >= 500]
        assert server_errors == []
        assert statuses == [200] * len(tokens)
        drained = lambda: checks.pending_events(session) == 0  # noqa: E731
        assert procs.wait_until(drained, timeout=300, interval=1)
        checks.assert_scored_exactly_once(session, len(tokens))
        checks.assert_trends_match_recomputation(session)
    finally:
        procs.stop(worker)
        procs.stop(web)

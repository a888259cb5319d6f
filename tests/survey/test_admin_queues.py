"""/admin/queues: queue depths, failed jobs with retry, running jobs and heartbeats."""

from __future__ import annotations

import re

import pytest
import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlmodel import select

from survey import queue
from survey.models import Role
from survey.models.audit import AuditEntry
from tests.builders import make_user
from tests.conftest import csrf_token

FAILING = "tests.workers.slow_jobs.always_fails"


def _login(auth, session, role: Role) -> None:  # type: ignore[no-untyped-def]
    user = make_user(session, role=role)
    assert auth.login(user.email, "demo").status_code == 302


def _failed_job(redis_url: str) -> Job:
    conn = redis.Redis.from_url(redis_url)
    reports = Queue("reports", connection=conn)
    job = reports.enqueue(FAILING, 42)
    SimpleWorker([reports], connection=conn).work(burst=True)
    assert job.get_status(refresh=True) == "failed"
    return job


def test_anonymous_visitors_are_sent_to_log_in(client, rapport_env):
    response = client.get("/admin/queues")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.pm, Role.viewer])
def test_non_admins_are_refused_the_page_and_the_retry(client, auth, session, redis_url, role):
    job = _failed_job(redis_url)
    _login(auth, session, role)
    assert client.get("/admin/queues").status_code == 403
    token = csrf_token(client.get("/login").text)
    response = client.post(f"/admin/queues/failed/{job.id}/retry", data={"csrf_token": token})
    assert response.status_code == 403
    assert job.get_status(refresh=True) == "failed"


def test_admin_sees_the_depth_of_each_queue(client, auth, session, rapport_env):
    for n in range(3):
        queue.enqueue(rapport_env["RAPPORT_REDIS_URL"], "mail", "workers.mail.nothing", n)
    queue.enqueue(rapport_env["RAPPORT_REDIS_URL"], "analysis", "workers.mail.nothing", 9)
    _login(auth, session, Role.admin)
    page = client.get("/admin/queues")
    assert page.status_code == 200
    rows = dict(re.findall(r"<tr><td>(\w+)</td><td>(\d+)</td>", page.text))
    assert rows == {"events": "0", "mail": "3", "analysis": "1", "reports": "0"}


def test_admin_retries_a_failed_job_with_a_csrf_protected_post(client, auth, session, redis_url):
    job = _failed_job(redis_url)
    _login(auth, session, Role.admin)
    page = client.get("/admin/queues")
    assert job.id in page.text and "cannot handle record 42" in page.text
    retry_url = f"/admin/queues/failed/{job.id}/retry"
    assert f'action="{retry_url}"' in page.text
    assert client.post(retry_url).status_code == 400  # no CSRF token: refused
    assert job.get_status(refresh=True) == "failed"
    response = client.post(retry_url, data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert job.get_status(refresh=True) == "queued"
    assert "is queued again" in client.get("/admin/queues").text
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "job.retry")).one()
    assert entry.detail == {"job": job.id}


def test_retrying_an_unknown_job_is_a_404(client, auth, session, rapport_env):
    _login(auth, session, Role.admin)
    token = csrf_token(client.get("/admin/queues").text)
    response = client.post("/admin/queues/failed/no-such-job/retry", data={"csrf_token": token})
    assert response.status_code == 404


def test_admin_sees_worker_and_scheduler_heartbeats_and_running_jobs(
    client, auth, session, redis_url
):
    conn = redis.Redis.from_url(redis_url)
    reports = Queue("reports", connection=conn)
    worker = SimpleWorker([reports], connection=conn)
    worker.register_birth()
    worker.heartbeat()
    job = reports.enqueue(FAILING, 7)
    # RQ's own bookkeeping for a job it starts, without running it.
    worker.prepare_execution(job)
    worker.prepare_job_execution(job)
    queue.write_scheduler_heartbeat(redis_url, "sched-host:123", active=True, runs=5)
    queue.write_scheduler_heartbeat(redis_url, "sched-host:456", active=False, runs=0)
    try:
        _login(auth, session, Role.admin)
        text = client.get("/admin/queues").text
    finally:
        worker.register_death()
    assert worker.name in text and "reports" in text
    assert "No worker is alive" not in text
    assert re.search(r"sched-host:123</td><td>active</td><td>5</td>", text)
    assert re.search(r"sched-host:456</td><td>standby</td><td>0</td>", text)
    assert f"<tr><td>{job.id}</td><td>reports</td>" in text
    assert f"<td>{job.id}</td><td>0 / 0</td>" in text  # the worker's current job
    assert "No job is running" not in text


def test_an_empty_deployment_warns_that_nobody_is_working(client, auth, session, rapport_env):
    _login(auth, session, Role.admin)
    text = client.get("/admin/queues").text
    assert "No worker is alive" in text and "No scheduler is alive" in text


def test_redis_down_gives_a_503_with_an_explanation(app, auth, session, rapport_env):
    _login(auth, session, Role.admin)
    app.extensions["rapport.settings"] = app.extensions["rapport.settings"].with_overrides(
        redis_url="redis://127.0.0.1:1/0"
    )
    queue.redis_for.cache_clear()
    response = auth.client.get("/admin/queues")
    assert response.status_code == 503
    assert "Redis is unreachable" in response.text

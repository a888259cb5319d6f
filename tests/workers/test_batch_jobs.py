"""One job handles a batch of events and drops the queued jobs it made redundant."""

from __future__ import annotations

import redis
from rq import Queue, SimpleWorker
from rq.job import Job
from sqlmodel import select

from survey import events, queue
from survey.models import CommentScore, OutboxEvent
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token


def _submit(client, raw: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{raw}")
    response = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303


def test_one_job_scores_the_batch_and_the_other_jobs_are_dropped(client, session, redis_url):
    for _ in range(3):
        _invitation, raw, _project = make_invited(session)
        _submit(client, raw)
    conn = redis.Redis.from_url(redis_url)
    waiting = Queue("events", connection=conn)
    assert waiting.count == 3
    SimpleWorker([waiting], connection=conn).work(burst=True)
    assert waiting.finished_job_registry.get_job_ids() == ["event-1"]
    assert waiting.count == 0
    session.expire_all()
    assert len(session.exec(select(CommentScore)).all()) == 3
    processed = session.exec(select(OutboxEvent)).all()
    assert all(e.processed_at is not None for e in processed)
    for event in processed[1:]:
        assert not conn.exists(Job.key_for(events.job_id_for(event.id)))  # type: ignore[arg-type]


def test_dropping_leaves_jobs_it_does_not_hold_alone(redis_url, rapport_env):
    conn = redis.Redis.from_url(redis_url)
    assert queue.enqueue(redis_url, "events", "workers.events.process_event", 7, job_id="event-7")
    assert queue.discard_queued(redis_url, "events", ["event-8", "event-9"]) == 0
    assert Queue("events", connection=conn).job_ids == ["event-7"]
    assert queue.discard_queued(redis_url, "events", ["event-7"]) == 1
    assert Queue("events", connection=conn).count == 0
    assert not conn.exists(Job.key_for("event-7"))


def test_dropping_with_redis_down_is_harmless(rapport_env):
    assert queue.discard_queued("redis://127.0.0.1:1/0", "events", ["event-1"]) == 0

"""Coalesced dispatch: one waiting drain job per queue, which handles everything pending."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue, SimpleWorker
from sqlmodel import Session, col, select

from survey import db, direct_sql, outbox, queue
from survey.capture import pulse, store
from survey.events import RESPONSE_SUBMITTED
from survey.models import CommentScore, OutboxEvent, Question
from tests.builders import (
    GOOD_ANSWERS,
    make_invitation,
    make_invited,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from tests.conftest import csrf_token
from workers import events, pipeline

DEAD_REDIS = "redis://127.0.0.1:1/0"


def _submit(client, raw: str) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{raw}")
    response = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303


def _stored(session: Session, count: int) -> list[int]:
    """`count` responses stored on one wave and not handed over yet: their event ids."""
    project = make_project(session, pm=make_user(session))
    wave = make_wave(session, project=project)
    questions = session.exec(select(Question).where(Question.template_id == wave.template_id)).all()
    form = pulse.read_form(questions, GOOD_ANSWERS)
    invitations = [
        make_invitation(
            session, wave=wave, relationship=make_relationship(session, project=project)
        )[0]
        for _ in range(count)
    ]
    with direct_sql.connect(session.get_bind()) as conn:
        return [store.submit(conn, invitation, questions, form) for invitation in invitations]


def _saved(session: Session, count: int) -> None:
    """`count` responses saved on one wave while Redis was down."""
    event_ids = _stored(session, count)
    with direct_sql.connect(session.get_bind()) as conn:
        for event_id in event_ids:
            assert not outbox.keep_promise(conn, DEAD_REDIS, RESPONSE_SUBMITTED.name, event_id)
    assert [e.dispatched_at for e in _events(session)] == [None] * count


def _work(redis_url: str) -> Queue:
    conn = redis.Redis.from_url(redis_url)
    waiting = Queue("events", connection=conn)
    SimpleWorker([waiting], connection=conn).work(burst=True)
    return waiting


def _events(session: Session) -> list[OutboxEvent]:
    session.expire_all()
    return list(session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id))))


def test_submissions_share_one_drain_job_that_scores_them_all(client, session, redis_url):
    for _ in range(3):
        _invitation, raw, _project = make_invited(session)
        _submit(client, raw)
    conn = redis.Redis.from_url(redis_url)
    assert Queue("events", connection=conn).count == 1
    assert conn.exists(queue.drain_marker("events"))
    assert all(e.dispatched_at is not None for e in _events(session))
    waiting = _work(redis_url)
    assert waiting.count == 0
    assert len(waiting.finished_job_registry.get_job_ids()) == 1
    assert not conn.exists(queue.drain_marker("events"))
    assert len(session.exec(select(CommentScore)).all()) == 3
    assert [(e.processed_at is not None, e.attempts) for e in _events(session)] == [(True, 1)] * 3


def test_a_submission_after_the_drain_started_gets_a_job_of_its_own(client, session, redis_url):
    _invitation, raw, _project = make_invited(session)
    _submit(client, raw)
    _work(redis_url)
    # The marker went with the job that ran, so the next event is not left waiting.
    _invitation, raw, _project = make_invited(session)
    _submit(client, raw)
    assert Queue("events", connection=redis.Redis.from_url(redis_url)).count == 1
    _work(redis_url)
    assert all(e.processed_at is not None for e in _events(session))


def test_a_full_batch_queues_another_drain_so_other_workers_can_help(
    session, redis_url, rapport_env, monkeypatch
):
    monkeypatch.setattr(events, "BATCH_SIZE", 2)
    _saved(session, 5)
    assert outbox.sweep(session, redis_url) == 5
    waiting = _work(redis_url)
    # The first job took 2 + 2 + 1 and queued one helper after its first full batch; the
    # helper found nothing left. A second worker would have taken the helper meanwhile.
    assert len(waiting.finished_job_registry.get_job_ids()) == 2
    assert [(e.processed_at is not None, e.attempts) for e in _events(session)] == [(True, 1)] * 5


def test_redis_down_leaves_events_undispatched_for_the_sweeper(session, redis_url, rapport_env):
    _saved(session, 2)
    assert outbox.sweep(session, DEAD_REDIS) == 0
    assert [e.dispatched_at for e in _events(session)] == [None, None]
    assert outbox.sweep(session, redis_url) == 2
    assert outbox.sweep(session, redis_url) == 0  # dispatched now, and a drain is waiting
    _work(redis_url)
    assert all(e.processed_at is not None for e in _events(session))


def test_a_lost_drain_job_is_replaced_once_its_marker_expires(session, redis_url, rapport_env):
    _saved(session, 2)
    assert outbox.sweep(session, redis_url) == 2
    conn = redis.Redis.from_url(redis_url)
    Queue("events", connection=conn).empty()  # the job is lost, its marker is not
    assert 0 < conn.ttl(queue.drain_marker("events")) <= outbox.MARKER_TTL
    # Not yet overdue: dispatched a moment ago.
    assert outbox.sweep(session, redis_url) == 0
    # Overdue, but the marker still promises a job: the sweeper trusts it until it expires.
    assert outbox.sweep(session, redis_url, lost_after=timedelta(0)) == 2
    assert Queue("events", connection=conn).count == 0
    conn.delete(queue.drain_marker("events"))  # what expiry does
    assert outbox.sweep(session, redis_url, lost_after=timedelta(0)) == 2
    _work(redis_url)
    assert all(e.processed_at is not None for e in _events(session))


def test_after_redis_is_emptied_the_sweeper_dispatches_again(session, redis_url, rapport_env):
    _saved(session, 2)
    assert outbox.sweep(session, redis_url) == 2
    redis.Redis.from_url(redis_url).flushall()  # a restart without its data does the same
    assert outbox.sweep(session, redis_url, lost_after=timedelta(0)) == 2
    _work(redis_url)
    assert all(e.processed_at is not None for e in _events(session))


def test_an_enqueue_that_fails_after_the_marker_was_set_leaves_no_marker(
    session, redis_url, rapport_env, monkeypatch
):
    _saved(session, 2)

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise redis.ConnectionError("connection reset")

    with monkeypatch.context() as patched:
        patched.setattr(queue, "_push", broken)
        assert outbox.sweep(session, redis_url) == 0
    assert not redis.Redis.from_url(redis_url).exists(queue.drain_marker("events"))
    assert outbox.sweep(session, redis_url) == 2
    _work(redis_url)
    assert all(e.processed_at is not None for e in _events(session))


def test_the_sweeper_releases_a_dead_workers_claim(session, redis_url, rapport_env):
    _saved(session, 3)
    outbox.sweep(session, redis_url)
    Queue("events", connection=redis.Redis.from_url(redis_url)).empty()
    # A worker claims the batch and dies before handling it.
    with Session(db.get_engine(rapport_env["RAPPORT_DATABASE_URL"])) as dead:
        assert len(events.claim_batch(dead)) == 3
    # A fresh claim is left alone, even by a sweep that takes every event as overdue.
    assert outbox.sweep(session, redis_url, lost_after=timedelta(0)) == 0
    assert outbox.release_stale_claims(session, stale_after=timedelta(0)) == 3
    assert [(e.claimed_at, e.dispatched_at) for e in _events(session)] == [(None, None)] * 3
    redis.Redis.from_url(redis_url).delete(queue.drain_marker("events"))
    assert outbox.sweep(session, redis_url) == 3
    _work(redis_url)
    assert [(e.processed_at is not None, e.attempts) for e in _events(session)] == [(True, 2)] * 3


def test_draining_in_process_needs_no_redis(session, rapport_env, monkeypatch):
    _saved(session, 3)
    monkeypatch.setenv("RAPPORT_REDIS_URL", DEAD_REDIS)
    from workers import context

    context.settings.cache_clear()
    assert pipeline.drain_outbox() == 3
    assert all(e.processed_at is not None for e in _events(session))


def test_request_drain_enqueues_only_while_no_drain_waits(redis_url, rapport_env):
    ttl = outbox.MARKER_TTL
    conn = redis.Redis.from_url(redis_url)
    for event_id in (7, 8, 9):
        assert queue.request_drain(
            redis_url,
            "events",
            "workers.events.process_event",
            event_id,
            job_id=f"event-{event_id}",
            marker_ttl=ttl,
        )
    assert Queue("events", connection=conn).job_ids == ["event-7"]
    queue.drain_started(redis_url, "events")
    assert queue.request_drain(
        redis_url, "events", "workers.events.process_event", 10, job_id="event-10", marker_ttl=ttl
    )
    assert Queue("events", connection=conn).job_ids == ["event-7", "event-10"]


def test_request_drain_with_redis_down_is_refused(rapport_env):
    assert not queue.request_drain(
        DEAD_REDIS, "events", "workers.events.process_event", 1, job_id="event-1", marker_ttl=60
    )
    queue.drain_started(DEAD_REDIS, "events")  # harmless


def test_an_answer_whose_web_process_died_before_handing_it_over_is_swept_later(
    session, redis_url, rapport_env
):
    _stored(session, 1)  # committed with its dispatch stamp, then the process died
    assert outbox.sweep(session, redis_url) == 0  # a drain may still be on its way
    assert outbox.sweep(session, redis_url, lost_after=timedelta(0)) == 1
    _work(redis_url)
    assert [(e.processed_at is not None, e.attempts) for e in _events(session)] == [(True, 1)]

"""Submissions go through the outbox to a real RQ worker (real Redis) and move the trend."""

from __future__ import annotations

import redis
from rq import Queue, SimpleWorker
from sqlmodel import select

from survey.models import CommentScore, OutboxEvent, RelationshipTrend
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token
from workers import scheduler


def _submit(client, raw: str, answers: dict) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{raw}")
    response = client.post(f"/s/{raw}", data={**answers, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303


def _work(redis_url: str) -> None:
    conn = redis.Redis.from_url(redis_url)
    queues = [Queue(n, connection=conn) for n in ("events", "mail", "analysis", "reports")]
    SimpleWorker(queues, connection=conn).work(burst=True)


def test_submission_is_scored_by_a_real_worker(client, session, redis_url):
    _invitation, raw, _project = make_invited(session)
    _submit(client, raw, GOOD_ANSWERS)
    _work(redis_url)
    score = session.exec(select(CommentScore)).one()
    assert score.label in ("positive", "negative", "neutral")
    assert -1 <= score.polarity <= 1
    point = session.exec(select(RelationshipTrend)).one()
    assert (point.satisfaction, point.trust, point.communication, point.partnership) == (4, 2, 3, 4)
    assert point.answers == 1
    assert point.sentiment == score.polarity
    assert session.exec(select(OutboxEvent)).one().processed_at is not None


def test_running_the_job_twice_leaves_the_same_rows(client, session, redis_url):
    from workers.events import process_event

    _invitation, raw, _project = make_invited(session)
    _submit(client, raw, GOOD_ANSWERS)
    _work(redis_url)
    event = session.exec(select(OutboxEvent)).one()
    before = [(s.id, s.polarity) for s in session.exec(select(CommentScore))]
    assert process_event(event.id) == 0
    session.expire_all()
    assert [(s.id, s.polarity) for s in session.exec(select(CommentScore))] == before
    assert len(session.exec(select(RelationshipTrend)).all()) == 1


def test_changed_answers_replace_the_score_and_trend(client, session, redis_url):
    _invitation, raw, _project = make_invited(session)
    _submit(client, raw, GOOD_ANSWERS)
    _work(redis_url)
    _submit(client, raw, {**GOOD_ANSWERS, "trust": "5", "comment": "Excellent, honest updates."})
    _work(redis_url)
    session.expire_all()
    assert len(session.exec(select(CommentScore)).all()) == 1
    assert session.exec(select(CommentScore)).one().label == "positive"
    assert session.exec(select(RelationshipTrend)).one().trust == 5


def test_answer_kept_while_redis_is_down_is_scored_after_it_returns(app, session, rapport_env):
    from survey import queue

    _invitation, raw, _project = make_invited(session)
    settings = app.extensions["rapport.settings"]
    app.extensions["rapport.settings"] = settings.with_overrides(redis_url="redis://127.0.0.1:1/0")
    queue.redis_for.cache_clear()
    _submit(app.test_client(), raw, GOOD_ANSWERS)
    assert session.exec(select(CommentScore)).all() == []
    # Redis is back: the scheduler's sweeper dispatches what was missed.
    assert scheduler.sweep_outbox(settings) == 1
    _work(settings.redis_url)
    session.expire_all()
    assert len(session.exec(select(CommentScore)).all()) == 1
    assert scheduler.sweep_outbox(settings) == 0


def test_batch_recompute_equals_one_by_one(client, session, redis_url):
    from survey.models import Wave
    from tests.builders import make_invitation, make_relationship, make_wave
    from workers import scoring

    _invitation, raw, project = make_invited(session)
    _submit(client, raw, GOOD_ANSWERS)
    other = make_relationship(session, project=project, name="Tom Reilly")
    wave = session.exec(select(Wave)).first()
    _inv, raw2 = make_invitation(session, wave=wave, relationship=other)
    _submit(client, raw2, {**GOOD_ANSWERS, "trust": "5", "comment": ""})
    later = make_wave(session, project=project)
    _inv, raw3 = make_invitation(session, wave=later, relationship=other)
    _submit(client, raw3, {**GOOD_ANSWERS, "satisfaction": "1", "comment": "Late again."})
    _work(redis_url)
    pairs = {(p.relationship_id, p.wave_id) for p in session.exec(select(RelationshipTrend))}
    assert len(pairs) == 3
    fields = ("satisfaction", "trust", "communication", "partnership", "sentiment", "answers")
    batch = {
        (p.relationship_id, p.wave_id): tuple(getattr(p, f) for f in fields)
        for p in scoring.recompute_trends(session, pairs)
    }
    single = {
        (r, w): tuple(
            getattr(scoring.recompute_trend(session, relationship_id=r, wave_id=w), f)
            for f in fields
        )
        for r, w in pairs
    }
    session.rollback()
    assert batch == single
    assert batch[(other.id, later.id)][0] == 1
    assert batch[(other.id, wave.id)][4] is None  # no comment: no sentiment


def test_lessons_learned_answers_are_scored_but_make_no_trend_point(session, rapport_env):
    from datetime import timedelta

    from survey.lessons import lessons_template
    from survey.models import Response, Wave, WaveStatus, utcnow
    from tests.builders import make_invitation, make_project, make_relationship, make_user
    from workers import scoring

    project = make_project(session, pm=make_user(session))
    relationship = make_relationship(session, project=project)
    template = lessons_template(session)
    wave = Wave(
        template_id=template.id,
        title="Phase end lessons",
        opens_at=utcnow(),
        closes_at=utcnow() + timedelta(days=7),
        status=WaveStatus.open,
    )
    session.add(wave)
    session.commit()
    invitation, _raw = make_invitation(session, wave=wave, relationship=relationship)
    response = Response(
        invitation_id=invitation.id,
        wave_id=wave.id,
        relationship_id=relationship.id,
        comment="Testing was rushed.",
    )
    session.add(response)
    session.commit()
    assert scoring.score_responses(session, [response.id]) == 1
    session.commit()
    assert session.exec(select(CommentScore)).one().response_id == response.id
    assert session.exec(select(RelationshipTrend)).all() == []

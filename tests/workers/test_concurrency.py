"""Workers racing on the same rows, each with its own connection to the test database."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlmodel import Session, col, select

from survey import db, direct_sql
from survey.capture import pulse, store
from survey.models import CommentScore, OutboxEvent, Question, RelationshipTrend, Response
from tests.builders import (
    GOOD_ANSWERS,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from workers import events, scoring


def _at_once(jobs: list[Callable[[], object]]) -> list[object]:
    """Run the callables in threads released together; their results in order."""
    barrier = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)
    errors: list[BaseException] = []

    def run(n: int) -> None:
        try:
            barrier.wait(timeout=20)
            results[n] = jobs[n]()
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _submitted(session: Session, count: int) -> tuple[list[int], list[tuple[int, int]]]:
    """`count` saved responses on one wave: their event ids and (relationship, wave) pairs."""
    project = make_project(session, pm=make_user(session))
    wave = make_wave(session, project=project)
    questions = session.exec(select(Question).where(Question.template_id == wave.template_id)).all()
    event_ids, pairs = [], []
    for _ in range(count):
        relationship = make_relationship(session, project=project)
        invitation, _raw = make_invitation(session, wave=wave, relationship=relationship)
        form = pulse.read_form(questions, GOOD_ANSWERS)
        with direct_sql.connect(session.get_bind()) as conn:
            event_ids.append(store.submit(conn, invitation, questions, form))
        pairs.append((relationship.id, wave.id))
    return event_ids, pairs  # type: ignore[return-value]


def test_workers_racing_for_the_outbox_handle_each_event_once(session, rapport_env):
    event_ids, _pairs = _submitted(session, 30)
    # Four workers start at once, each dispatched a different event of the same backlog.
    firsts = [event_ids[0], event_ids[7], event_ids[15], event_ids[29]]
    handled = _at_once([lambda e=e: events.process_event(e) for e in firsts])
    assert sum(handled) == len(event_ids)  # type: ignore[arg-type]
    session.expire_all()
    rows = session.exec(select(OutboxEvent).order_by(col(OutboxEvent.id))).all()
    assert all(e.processed_at is not None for e in rows)
    assert [e.attempts for e in rows] == [1] * len(event_ids)
    assert len(session.exec(select(CommentScore)).all()) == len(event_ids)
    assert len(session.exec(select(RelationshipTrend)).all()) == len(event_ids)


def test_a_repeat_dispatch_of_a_claimed_event_does_not_handle_it_again(session, rapport_env):
    event_ids, _pairs = _submitted(session, 3)
    url = rapport_env["RAPPORT_DATABASE_URL"]
    with Session(db.get_engine(url)) as worker:
        assert [e.id for e in events.claim_batch(worker)] == event_ids
    # The sweeper (or a duplicate job) hands the same event to a second worker meanwhile.
    with Session(db.get_engine(url)) as other:
        assert events.claim_batch(other) == []


def test_concurrent_trend_recomputes_keep_one_point_per_relationship_and_wave(session, rapport_env):
    _event_ids, pairs = _submitted(session, 8)
    url = rapport_env["RAPPORT_DATABASE_URL"]

    def recompute(relationship_id: int, wave_id: int) -> float | None:
        with db.session_scope(url) as worker:
            point = scoring.recompute_trend(
                worker, relationship_id=relationship_id, wave_id=wave_id
            )
            return point.trust

    for relationship_id, wave_id in pairs:
        results = _at_once([lambda r=relationship_id, w=wave_id: recompute(r, w)] * 4)
        assert results == [2.0] * 4
    session.expire_all()
    points = session.exec(select(RelationshipTrend)).all()
    assert sorted((p.relationship_id, p.wave_id) for p in points) == sorted(pairs)


def test_concurrent_scoring_of_one_response_scores_it_once(session, rapport_env):
    _submitted(session, 4)
    url = rapport_env["RAPPORT_DATABASE_URL"]

    def score(response_id: int) -> int:
        with db.session_scope(url) as worker:
            return scoring.score_responses(worker, [response_id])

    ids = list(session.exec(select(Response.id)))
    for response_id in ids:
        # Whoever read it unscored scored it, but one write lands; the others change nothing.
        assert sorted(_at_once([lambda r=response_id: score(r)] * 3)) == [0, 0, 1]
    session.expire_all()
    scores = session.exec(select(CommentScore)).all()
    assert sorted(s.response_id for s in scores) == sorted(ids)
    assert all(s.analyzer_version for s in scores)


def test_a_reading_of_older_answers_never_replaces_a_newer_one(session, rapport_env):
    from datetime import timedelta

    _submitted(session, 1)
    response = session.exec(select(Response)).one()
    assert scoring.score_responses(session, [response.id]) == 1  # type: ignore[list-item]
    session.commit()
    scored = session.exec(select(CommentScore)).one()
    assert scored.label == "negative"
    # A slow worker read the answers before they were last saved, and writes only now.
    older = response.updated_at - timedelta(seconds=5)
    stale = {"response_id": response.id, **scoring._score_values("Excellent work.", older)}
    assert scoring._write_scores(session, [stale]) == 0
    session.commit()
    session.expire_all()
    stored = session.exec(select(CommentScore)).one()
    assert (stored.scored_revision, stored.label) == (response.updated_at, "negative")
    newer = response.updated_at + timedelta(seconds=5)
    fresh = {"response_id": response.id, **scoring._score_values("Excellent work.", newer)}
    assert scoring._write_scores(session, [fresh]) == 1
    session.commit()
    session.expire_all()
    assert session.exec(select(CommentScore)).one().label == "positive"

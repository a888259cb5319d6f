"""Invariants after a fault: every response scored exactly once, trends equal a recomputation."""

from __future__ import annotations

from statistics import fmean

from sqlmodel import Session, col, func, select

from survey.models import (
    Answer,
    CommentScore,
    OutboxEvent,
    Question,
    QuestionKind,
    RelationshipTrend,
    Response,
)


def pending_events(session: Session) -> int:
    session.expire_all()
    return session.exec(
        select(func.count()).select_from(OutboxEvent).where(col(OutboxEvent.processed_at).is_(None))
    ).one()


def assert_scored_exactly_once(session: Session, expected_responses: int) -> None:
    session.expire_all()
    responses = session.exec(select(func.count()).select_from(Response)).one()
    scores = session.exec(select(func.count()).select_from(CommentScore)).one()
    distinct = session.exec(select(func.count(func.distinct(CommentScore.response_id)))).one()
    assert responses == expected_responses
    assert scores == distinct == expected_responses


def assert_trends_match_recomputation(session: Session) -> None:
    """Rebuild every trend point from answers and scores and compare with what is stored."""
    session.expire_all()
    values: dict[tuple[int, int], dict[str, list[float]]] = {}
    rows = session.exec(
        select(Response.relationship_id, Response.wave_id, Question.dimension, Answer.value_int)
        .join(Answer, col(Answer.response_id) == col(Response.id))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(Question.kind == QuestionKind.scale_1_5)
    ).all()
    for rel, wave, dimension, value in rows:
        values.setdefault((rel, wave), {}).setdefault(str(dimension), []).append(value)
    for rel, wave, polarity in session.exec(
        select(Response.relationship_id, Response.wave_id, CommentScore.polarity)
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id))
        .where(Response.comment != "")
    ).all():
        values.setdefault((rel, wave), {}).setdefault("sentiment", []).append(polarity)
    points = {(p.relationship_id, p.wave_id): p for p in session.exec(select(RelationshipTrend))}
    assert set(points) == set(values)
    for key, dims in values.items():
        point = points[key]
        for dimension in ("satisfaction", "trust", "communication", "partnership", "sentiment"):
            expected = fmean(dims[dimension]) if dimension in dims else None
            stored = getattr(point, dimension)
            if expected is None:
                assert stored is None, (key, dimension)
            else:
                assert stored is not None and abs(stored - expected) < 1e-9, (key, dimension)

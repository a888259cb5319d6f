"""Score comments and recompute the trend points they move."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select as sa_select
from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from analysis import sentiment, trends
from survey import db
from survey.measures import LESSONS_TEMPLATE
from survey.models import (
    Answer,
    CommentScore,
    Dimension,
    Question,
    QuestionKind,
    RelationshipTrend,
    Response,
    SurveyTemplate,
    Wave,
    utcnow,
)

TREND_DIMENSIONS = ("satisfaction", "trust", "communication", "partnership", "estimates")


def score_responses(session: Session, response_ids: Iterable[int]) -> int:
    """Score each response's comment (skipping unchanged ones) and refresh its trend point."""
    ids = sorted(set(response_ids))
    if not ids:
        return 0
    existing = _locked_scores(session, ids)
    # Read after taking the locks: a worker that waited scores what the last one committed.
    responses = session.exec(
        select(Response).where(col(Response.id).in_(ids)).execution_options(populate_existing=True)
    ).all()
    scored = 0
    for response in responses:
        current = existing.get(response.id)  # type: ignore[arg-type]
        if (
            current is not None
            and current.scored_revision == response.updated_at
            and current.analyzer_version == sentiment.ANALYZER_VERSION
        ):
            continue
        write_score(session, response, current)
        scored += 1
    recompute_trends(session, {(r.relationship_id, r.wave_id) for r in responses})
    return scored


def _locked_scores(session: Session, ids: list[int]) -> dict[int, CommentScore]:
    """The score rows of `ids`, created if missing and locked until commit (in id order)."""
    now = utcnow()
    # An empty analyzer version marks the placeholder as not scored yet.
    placeholder = {"polarity": 0.0, "subjectivity": 0.0, "label": "neutral", "themes": ""}
    db.insert_missing_many(
        session,
        CommentScore,
        ("response_id",),
        [
            {
                **placeholder,
                "response_id": response_id,
                "detail": {},
                "analyzer_version": "",
                "scored_revision": now,
                "scored_at": now,
            }
            for response_id in ids
        ],
    )
    rows = session.exec(
        select(CommentScore)
        .where(col(CommentScore.response_id).in_(ids))
        .order_by(col(CommentScore.response_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {row.response_id: row for row in rows}


def write_score(session: Session, response: Response, current: CommentScore | None) -> None:
    """Replace (never duplicate) the score of one response."""
    reading = sentiment.score(response.comment)
    row = current or CommentScore(
        response_id=response.id,  # type: ignore[arg-type]
        polarity=0.0,
        subjectivity=0.0,
        label="neutral",
        analyzer_version="",
        scored_revision=response.updated_at,
    )
    row.polarity = reading.polarity
    row.subjectivity = reading.subjectivity
    row.label = reading.label
    row.themes = ",".join(reading.themes)
    to_dict = getattr(reading, "to_dict", None)
    row.detail = to_dict() if callable(to_dict) else {}
    row.analyzer_version = sentiment.ANALYZER_VERSION
    row.scored_revision = response.updated_at
    row.scored_at = utcnow()
    session.add(row)


def recompute_trends(session: Session, pairs: Iterable[tuple[int, int]]) -> list[RelationshipTrend]:
    """Rebuild the trend points of many (relationship, wave) pairs with a handful of queries.

    Same result as `recompute_trend` per pair (the tests compare them), but a batch of 200
    submissions costs five statements instead of a thousand.
    """
    wanted = set(pairs)
    closes = {
        wave_id: closes_at
        for wave_id, closes_at, template in session.exec(
            select(Wave.id, Wave.closes_at, SurveyTemplate.name)
            .join(SurveyTemplate, col(SurveyTemplate.id) == col(Wave.template_id))
            .where(col(Wave.id).in_({w for _, w in wanted}))
        ).all()
        # Lessons-learned answers are scored as comments but are no relationship pulse.
        if template != LESSONS_TEMPLATE
    }
    keys = sorted((r, w) for r, w in wanted if w in closes)
    if not keys:
        return []
    now = utcnow()
    db.insert_missing_many(
        session,
        RelationshipTrend,
        ("relationship_id", "wave_id"),
        [
            {
                "relationship_id": r,
                "wave_id": w,
                "wave_closes_at": closes[w],
                "answers": 0,
                "updated_at": now,
            }
            for r, w in keys
        ],
    )
    in_batch = tuple_(col(Response.relationship_id), col(Response.wave_id)).in_(keys)
    points = session.exec(
        select(RelationshipTrend)
        .where(
            tuple_(col(RelationshipTrend.relationship_id), col(RelationshipTrend.wave_id)).in_(keys)
        )
        .order_by(col(RelationshipTrend.relationship_id), col(RelationshipTrend.wave_id))
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    ratings: dict[tuple[int, int], dict[int, dict[str, float | None]]] = {}
    # Five columns: beyond sqlmodel's typed select overloads, so plain SQLAlchemy here.
    for rel, wave, response_id, dimension, value in session.execute(
        sa_select(
            col(Response.relationship_id),
            col(Response.wave_id),
            col(Response.id),
            col(Question.dimension),
            col(Answer.value_int),
        )
        .join(Answer, col(Answer.response_id) == col(Response.id))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(in_batch)
        .where(col(Question.kind) == QuestionKind.scale_1_5)
        .where(col(Question.dimension) != Dimension.other)
    ).all():
        ratings.setdefault((rel, wave), {}).setdefault(response_id, {})[str(dimension)] = value
    polarities: dict[tuple[int, int], list[float]] = {}
    for rel, wave, polarity in session.exec(
        select(Response.relationship_id, Response.wave_id, CommentScore.polarity)
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id))
        .where(in_batch)
        .where(Response.comment != "")
    ).all():
        polarities.setdefault((rel, wave), []).append(polarity)
    for point in points:
        key = (point.relationship_id, point.wave_id)
        per_response = ratings.get(key, {})
        _fill_point(point, per_response, polarities.get(key, []))
        session.add(point)
    return list(points)


def _fill_point(
    point: RelationshipTrend,
    per_response: dict[int, dict[str, float | None]],
    polarities: list[float],
) -> None:
    means = trends.dimension_means(per_response.values())
    for dimension in TREND_DIMENSIONS:
        setattr(point, dimension, means[dimension][0] if dimension in means else None)
    point.sentiment = trends.mean_or_none(polarities)
    point.answers = len(per_response)
    point.updated_at = utcnow()


def recompute_trend(session: Session, *, relationship_id: int, wave_id: int) -> RelationshipTrend:
    """Rebuild one trend point from the stored answers, so reruns give the same row.

    The point is created if missing and locked first, so concurrent recomputes queue up
    and the last one reads every answer committed before it: no duplicate, no stale point.
    """
    wave = session.get(Wave, wave_id)
    db.insert_missing(
        session,
        RelationshipTrend,
        ("relationship_id", "wave_id"),
        relationship_id=relationship_id,
        wave_id=wave_id,
        wave_closes_at=wave.closes_at if wave else utcnow(),
        answers=0,
        updated_at=utcnow(),
    )
    point = session.exec(
        select(RelationshipTrend)
        .where(
            RelationshipTrend.relationship_id == relationship_id,
            RelationshipTrend.wave_id == wave_id,
        )
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    rows = session.exec(
        select(Response.id, Question.dimension, Answer.value_int)
        .join(Answer, col(Answer.response_id) == col(Response.id))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(Response.relationship_id == relationship_id, Response.wave_id == wave_id)
        .where(col(Question.kind) == QuestionKind.scale_1_5)
        .where(col(Question.dimension) != Dimension.other)
    ).all()
    per_response: dict[int, dict[str, float | None]] = {}
    for response_id, dimension, value in rows:
        per_response.setdefault(response_id or 0, {})[str(dimension)] = value
    polarities = session.exec(
        select(CommentScore.polarity)
        .join(Response, col(Response.id) == col(CommentScore.response_id))
        .where(Response.relationship_id == relationship_id, Response.wave_id == wave_id)
        .where(Response.comment != "")
    ).all()
    _fill_point(point, per_response, list(polarities))
    session.add(point)
    return point

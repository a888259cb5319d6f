"""Score comments and recompute the trend points they move."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from analysis import sentiment, trends
from survey import db
from survey.models import (
    Answer,
    CommentScore,
    Dimension,
    Question,
    QuestionKind,
    RelationshipTrend,
    Response,
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
    for relationship_id, wave_id in sorted({(r.relationship_id, r.wave_id) for r in responses}):
        recompute_trend(session, relationship_id=relationship_id, wave_id=wave_id)
    return scored


def _locked_scores(session: Session, ids: list[int]) -> dict[int, CommentScore]:
    """The score rows of `ids`, created if missing and locked until commit (in id order)."""
    for response_id in ids:
        # An empty analyzer version marks the placeholder as not scored yet.
        db.insert_missing(
            session,
            CommentScore,
            ("response_id",),
            response_id=response_id,
            polarity=0.0,
            subjectivity=0.0,
            label="neutral",
            themes="",
            detail={},
            analyzer_version="",
            scored_revision=utcnow(),
            scored_at=utcnow(),
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
    per_response: dict[int | None, dict[str, float | None]] = {}
    for response_id, dimension, value in rows:
        per_response.setdefault(response_id, {})[str(dimension)] = value
    means = trends.dimension_means(per_response.values())
    polarities = session.exec(
        select(CommentScore.polarity)
        .join(Response, col(Response.id) == col(CommentScore.response_id))
        .where(Response.relationship_id == relationship_id, Response.wave_id == wave_id)
        .where(Response.comment != "")
    ).all()
    for dimension in TREND_DIMENSIONS:
        setattr(point, dimension, means[dimension][0] if dimension in means else None)
    point.sentiment = trends.mean_or_none(polarities)
    point.answers = len(per_response)
    point.updated_at = utcnow()
    session.add(point)
    return point

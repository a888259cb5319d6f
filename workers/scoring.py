"""Score comments and recompute the trend points they move."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, update
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from analysis import sentiment, trends
from survey import db, direct_sql
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

# What a reading writes, besides the response id.
SCORE_COLUMNS = (
    "polarity",
    "subjectivity",
    "label",
    "themes",
    "detail",
    "analyzer_version",
    "scored_revision",
    "scored_at",
)

Pair = tuple[int, int]  # (relationship id, wave id): one trend point
# Per pair, per response: the ratings by dimension.
Ratings = dict[Pair, dict[int, dict[str, float | None]]]

# Core tables, not the mapped classes: a batch runs a dozen statements over hundreds of
# rows, and the ORM's per-statement and per-row bookkeeping cost more than the queries.
_answers = Answer.__table__  # type: ignore[attr-defined]
_questions = Question.__table__  # type: ignore[attr-defined]
_responses = Response.__table__  # type: ignore[attr-defined]
_scores = CommentScore.__table__  # type: ignore[attr-defined]
_templates = SurveyTemplate.__table__  # type: ignore[attr-defined]
_trends = RelationshipTrend.__table__  # type: ignore[attr-defined]
_waves = Wave.__table__  # type: ignore[attr-defined]
# Both dialects spell INSERT ... ON CONFLICT the same way.
_UPSERT_INSERT: dict[str, Callable[..., Any]] = {
    "postgresql": postgresql.insert,
    "sqlite": sqlite.insert,
}

# The statements a batch runs, built once: building and keying one again for every batch
# costs about as much as running it.
_RESPONSES_AND_SCORES = (
    sa_select(
        _responses.c.id,
        _responses.c.comment,
        _responses.c.updated_at,
        _responses.c.relationship_id,
        _responses.c.wave_id,
        _scores.c.scored_revision,
        _scores.c.analyzer_version,
    )
    .outerjoin(_scores, _scores.c.response_id == _responses.c.id)
    .where(_responses.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_responses.c.id)
)
_WAVES = (
    sa_select(_waves.c.id, _waves.c.closes_at, _templates.c.name)
    .join(_templates, _templates.c.id == _waves.c.template_id)
    .where(_waves.c.id.in_(bindparam("waves", expanding=True)))
)
# Two plain INs, not a row-value IN (which SQLite answers with a table scan); the caller
# keeps the pairs it asked for.
_IN_PAIRS = (
    _trends.c.relationship_id.in_(bindparam("rels", expanding=True)),
    _trends.c.wave_id.in_(bindparam("waves", expanding=True)),
)
_LOCK_POINTS = (
    sa_select(_trends.c.id)
    .where(*_IN_PAIRS)
    .order_by(_trends.c.relationship_id, _trends.c.wave_id)
    .with_for_update()
)
# Each response of the pairs, with its comment's polarity (None without a comment).
_PAIR_RESPONSES = (
    sa_select(
        _responses.c.id,
        _responses.c.relationship_id,
        _responses.c.wave_id,
        case((_responses.c.comment != "", _scores.c.polarity), else_=None),
    )
    .outerjoin(_scores, _scores.c.response_id == _responses.c.id)
    .where(
        _responses.c.relationship_id.in_(bindparam("rels", expanding=True)),
        _responses.c.wave_id.in_(bindparam("waves", expanding=True)),
    )
)
_RATINGS = (
    sa_select(_answers.c.response_id, _questions.c.dimension, _answers.c.value_int)
    .join(_questions, _questions.c.id == _answers.c.question_id)
    .where(_answers.c.response_id.in_(bindparam("ids", expanding=True)))
    .where(_questions.c.kind == QuestionKind.scale_1_5)
    .where(_questions.c.dimension != Dimension.other)
)
# What recomputing writes to a trend point.
POINT_COLUMNS = (*TREND_DIMENSIONS, "sentiment", "answers", "updated_at")
# The three statements that write a row per response or per point run on the DB-API cursor
# (`direct_sql`): SQLAlchemy's per-row parameter handling took longer than SQLite's work.
_UPDATE_POINT = direct_sql.Direct(
    update(_trends)
    .where(
        _trends.c.relationship_id == bindparam("b_relationship_id"),
        _trends.c.wave_id == bindparam("b_wave_id"),
    )
    .values({name: bindparam(name) for name in POINT_COLUMNS})
)


class TrendPoint(NamedTuple):
    """A trend point as `recompute_trends` wrote it."""

    relationship_id: int
    wave_id: int
    satisfaction: float | None
    trust: float | None
    communication: float | None
    partnership: float | None
    estimates: float | None
    sentiment: float | None
    answers: int
    updated_at: datetime


def score_responses(session: Session, response_ids: Iterable[int]) -> int:
    """Score each response's comment (skipping unchanged ones) and refresh its trend point.

    Returns how many scores were written. The analyzer runs before anything is locked, so
    a batch holds row locks (on SQLite, the one write lock the web also needs) only while
    it writes; and a reading never replaces one of a newer revision of the answers, however
    two workers scoring the same response interleave.
    """
    ids = sorted(set(response_ids))
    if not ids:
        return 0
    responses = session.execute(_RESPONSES_AND_SCORES, {"ids": ids}).all()
    readings = [
        {"response_id": response_id, **_score_values(comment, revision)}
        for response_id, comment, revision, _rel, _wave, scored, version in responses
        if scored != revision or version != sentiment.ANALYZER_VERSION
    ]
    written = _write_scores(session, readings)
    recompute_trends(session, {(row.relationship_id, row.wave_id) for row in responses})
    return written


def _write_scores(session: Session, readings: list[dict[str, object]]) -> int:
    """Insert or replace score rows in one statement; returns how many were written.

    A stored reading is replaced only by one of a later revision, or of the same revision
    by another analyzer version: a worker that scored an older revision (or lost a race to
    score the same one) writes nothing. On PostgreSQL the conflicting insert waits for the
    other transaction and then applies this test to what it committed.
    """
    if not readings:
        return 0
    statement = _score_upsert(session.get_bind().dialect.name)
    # An upsert whose WHERE turns the update down changes no row, and is not counted.
    return direct_sql.within(session).execute_many(statement, readings)


def _upsert_insert(dialect: str) -> Callable[..., Any]:
    if dialect not in _UPSERT_INSERT:
        raise RuntimeError(f"scoring needs SQLite or PostgreSQL, not {dialect}")
    return _UPSERT_INSERT[dialect]


@cache
def _score_upsert(dialect: str) -> direct_sql.Direct:
    columns = ("response_id", *SCORE_COLUMNS)
    statement = _upsert_insert(dialect)(_scores).values({c: bindparam(c) for c in columns})
    new = statement.excluded
    return direct_sql.Direct(
        statement.on_conflict_do_update(
            index_elements=[_scores.c.response_id],
            set_={name: new[name] for name in SCORE_COLUMNS},
            where=(new.scored_revision > _scores.c.scored_revision)
            | (
                (new.scored_revision == _scores.c.scored_revision)
                & (new.analyzer_version != _scores.c.analyzer_version)
            ),
        )
    )


@cache
def _insert_missing_points(dialect: str) -> direct_sql.Direct:
    columns = ("relationship_id", "wave_id", "wave_closes_at", "answers", "updated_at")
    statement = _upsert_insert(dialect)(_trends).values({c: bindparam(c) for c in columns})
    return direct_sql.Direct(
        statement.on_conflict_do_nothing(index_elements=["relationship_id", "wave_id"])
    )


def _score_values(comment: str, revision: datetime) -> dict[str, object]:
    """The comment_score columns for one reading of `comment`."""
    reading = sentiment.score(comment)
    to_dict = getattr(reading, "to_dict", None)
    return {
        "polarity": reading.polarity,
        "subjectivity": reading.subjectivity,
        "label": reading.label,
        "themes": ",".join(reading.themes),
        "detail": to_dict() if callable(to_dict) else {},
        "analyzer_version": sentiment.ANALYZER_VERSION,
        "scored_revision": revision,
        "scored_at": utcnow(),
    }


def recompute_trends(session: Session, pairs: Iterable[Pair]) -> list[TrendPoint]:
    """Rebuild the trend points of many (relationship, wave) pairs with a handful of queries.

    Same result as `recompute_trend` per pair (the tests compare them), but a batch of 200
    submissions costs six statements instead of a thousand.
    """
    wanted = set(pairs)
    closes = {
        wave_id: closes_at
        for wave_id, closes_at, template in session.execute(
            _WAVES, {"waves": sorted({w for _, w in wanted})}
        )
        # Lessons-learned answers are scored as comments but are no relationship pulse.
        if template != LESSONS_TEMPLATE
    }
    keys = sorted((r, w) for r, w in wanted if w in closes)
    if not keys:
        return []
    now = utcnow()
    _lock_points(session, keys, closes, now)
    ratings, polarities = _read_pairs(session, keys)
    values = [_point_values(ratings.get(key, {}), polarities.get(key, [])) for key in keys]
    direct_sql.within(session).execute_many(
        _UPDATE_POINT,
        [
            {"b_relationship_id": r, "b_wave_id": w, **point, "updated_at": now}
            for (r, w), point in zip(keys, values, strict=True)
        ],
    )
    return [
        TrendPoint(relationship_id=r, wave_id=w, updated_at=now, **point)  # type: ignore[arg-type]
        for (r, w), point in zip(keys, values, strict=True)
    ]


def _lock_points(
    session: Session, keys: list[Pair], closes: dict[int, datetime], now: datetime
) -> None:
    """Create the missing points and lock them all, in key order, before anything is read.

    So concurrent recomputes queue up and the last one reads everything committed before
    it. Points of the same relationships in the same waves are locked too, harmlessly.
    """
    direct_sql.within(session).execute_many(
        _insert_missing_points(session.get_bind().dialect.name),
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
    # SQLite has no row locks: the insert above took its one write lock, which holds until
    # commit, so the reads after it see every other writer's work already.
    if session.get_bind().dialect.name != "sqlite":
        session.execute(_LOCK_POINTS, _pair_parameters(keys)).all()


def _pair_parameters(keys: list[Pair]) -> dict[str, list[int]]:
    return {"rels": sorted({r for r, _ in keys}), "waves": sorted({w for _, w in keys})}


def _read_pairs(session: Session, keys: list[Pair]) -> tuple[Ratings, dict[Pair, list[float]]]:
    """Per pair: each response's ratings by dimension, and its comments' polarities."""
    wanted = set(keys)
    pair_of: dict[int, Pair] = {}
    polarities: dict[Pair, list[float]] = {}
    for response_id, rel, wave, polarity in session.execute(
        _PAIR_RESPONSES, _pair_parameters(keys)
    ):
        if (rel, wave) in wanted:
            pair_of[response_id] = (rel, wave)
            if polarity is not None:
                polarities.setdefault((rel, wave), []).append(polarity)
    ratings: Ratings = {}
    for response_id, dimension, value in session.execute(_RATINGS, {"ids": sorted(pair_of)}):
        per_response = ratings.setdefault(pair_of[response_id], {})
        per_response.setdefault(response_id, {})[str(dimension)] = value
    return ratings, polarities


def _point_values(
    per_response: dict[int, dict[str, float | None]], polarities: list[float]
) -> dict[str, float | int | None]:
    """A trend point's means per dimension, sentiment and answer count."""
    means = trends.dimension_means(per_response.values())
    values: dict[str, float | int | None] = {
        dimension: means[dimension][0] if dimension in means else None
        for dimension in TREND_DIMENSIONS
    }
    values["sentiment"] = trends.mean_or_none(polarities)
    values["answers"] = len(per_response)
    return values


def _fill_point(
    point: RelationshipTrend,
    per_response: dict[int, dict[str, float | None]],
    polarities: list[float],
) -> None:
    for name, value in _point_values(per_response, polarities).items():
        setattr(point, name, value)
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

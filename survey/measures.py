"""A project's pulse history read from the database, and the measures digests and reviews show.

Reads only; keyword-only functions on a session. Lessons-learned waves are left out: they
carry no ratings and their texts live in survey.lessons.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from analysis import health, privacy, trends
from analysis.alerts import ProjectSnapshot, RelationshipSnapshot, snapshot_health_series
from survey.models import (
    Answer,
    Attribution,
    CommentScore,
    Invitation,
    Project,
    Question,
    QuestionKind,
    Relationship,
    Response,
    Stakeholder,
    SurveyTemplate,
    Wave,
    WaveProject,
    WaveStatus,
)

DIMENSIONS = health.RATING_DIMENSIONS  # trust, satisfaction, partnership, communication
NO_UNIT = "Other"
LESSONS_TEMPLATE = "Lessons learned"


@dataclass(frozen=True)
class Member:
    """One relationship on the project, with what the reports need about the person."""

    relationship_id: int
    stakeholder_id: int
    name: str
    email: str
    role: str
    business_unit: str
    influence: int
    kind: str


@dataclass(frozen=True)
class WaveInfo:
    id: int
    title: str
    opens_at: datetime
    closes_at: datetime
    status: str
    confidential: bool


@dataclass(frozen=True)
class Answered:
    """One response: its ratings per dimension and the scored comment (polarity None if none)."""

    response_id: int
    relationship_id: int
    wave_id: int
    ratings: dict[str, float]
    comment: str
    polarity: float | None
    label: str | None
    themes: tuple[str, ...]
    updated_at: datetime


@dataclass
class ProjectHistory:
    """Everything measured about one project up to a moment, waves oldest first."""

    project: Project
    members: list[Member]
    waves: list[WaveInfo]
    responses: list[Answered]
    invited: set[tuple[int, int]]  # (wave_id, relationship_id)

    def member(self, relationship_id: int) -> Member | None:
        return next((m for m in self.members if m.relationship_id == relationship_id), None)

    def waves_between(self, start: datetime, end: datetime) -> list[WaveInfo]:
        """Waves that closed in [start, end)."""
        return [w for w in self.waves if start <= w.closes_at < end]

    def responses_in(self, waves: Iterable[WaveInfo]) -> list[Answered]:
        ids = {w.id for w in waves}
        return [r for r in self.responses if r.wave_id in ids]

    def snapshot(self, reported_status: str | None, upto: int | None = None) -> ProjectSnapshot:
        """The analysis snapshot over the first `upto` waves (all by default)."""
        waves = self.waves[:upto] if upto is not None else self.waves
        by_key = {(r.wave_id, r.relationship_id): r for r in self.responses}
        rels = []
        for m in self.members:
            ratings: dict[str, list[float | None]] = {d: [] for d in DIMENSIONS}
            sentiment: list[float | None] = []
            answered: list[bool | None] = []
            for w in waves:
                r = by_key.get((w.id, m.relationship_id))
                for d in DIMENSIONS:
                    ratings[d].append(r.ratings.get(d) if r else None)
                sentiment.append(r.polarity if r else None)
                invited = (w.id, m.relationship_id) in self.invited
                answered.append((r is not None) if invited else None)
            rels.append(
                RelationshipSnapshot(
                    m.relationship_id, m.name, m.influence, ratings, sentiment, answered
                )
            )
        return ProjectSnapshot(self.project.id, self.project.name, reported_status, rels)  # type: ignore[arg-type]

    def health_series(self) -> list[float | None]:
        """Project health per wave, the same formula the alert rules use."""
        return snapshot_health_series(self.snapshot(None))


def load_history(session: Session, *, project: Project, until: datetime) -> ProjectHistory:
    """The project's pulse waves opened before `until`, with members, answers and scores."""
    pairs = session.exec(
        select(Relationship, Stakeholder)
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Relationship.project_id == project.id)
        .order_by(col(Stakeholder.influence).desc(), col(Stakeholder.name))
    ).all()
    members = [
        Member(
            r.id,  # type: ignore[arg-type]
            s.id,  # type: ignore[arg-type]
            s.name,
            s.email,
            r.role,
            s.business_unit or NO_UNIT,
            s.influence,
            str(s.kind),
        )
        for r, s in pairs
    ]
    wave_rows = session.exec(
        select(Wave)
        .join(WaveProject, col(WaveProject.wave_id) == col(Wave.id))
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Wave.template_id))
        .where(WaveProject.project_id == project.id, SurveyTemplate.name != LESSONS_TEMPLATE)
        .where(col(Wave.status).in_([WaveStatus.open, WaveStatus.closed]))
        .where(col(Wave.opens_at) < until)
        .order_by(col(Wave.closes_at), col(Wave.id))
    ).all()
    waves = [
        WaveInfo(
            w.id,  # type: ignore[arg-type]
            w.title,
            w.opens_at,
            w.closes_at,
            str(w.status),
            w.attribution == Attribution.confidential,
        )
        for w in wave_rows
    ]
    wave_ids = [w.id for w in waves]
    rel_ids = [m.relationship_id for m in members]
    invited = {
        (wid, rid)
        for wid, rid in session.exec(
            select(Invitation.wave_id, Invitation.relationship_id).where(
                col(Invitation.wave_id).in_(wave_ids), col(Invitation.relationship_id).in_(rel_ids)
            )
        ).all()
    }
    return ProjectHistory(
        project, members, waves, _responses(session, wave_ids, rel_ids, until), invited
    )


def _responses(
    session: Session, wave_ids: Sequence[int], rel_ids: Sequence[int], until: datetime
) -> list[Answered]:
    rows = session.exec(
        select(Response, CommentScore)
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id), isouter=True)
        .where(col(Response.wave_id).in_(wave_ids), col(Response.relationship_id).in_(rel_ids))
        .where(col(Response.submitted_at) < until)
        .order_by(col(Response.id))
    ).all()
    ratings: dict[int, dict[str, float]] = {}
    for response_id, dimension, value in session.exec(
        select(Answer.response_id, Question.dimension, Answer.value_int)
        .join(Question, col(Question.id) == col(Answer.question_id))
        .join(Response, col(Response.id) == col(Answer.response_id))
        .where(col(Response.wave_id).in_(wave_ids), col(Response.relationship_id).in_(rel_ids))
        .where(col(Question.kind) == QuestionKind.scale_1_5, col(Answer.value_int).is_not(None))
    ).all():
        if str(dimension) in DIMENSIONS:
            ratings.setdefault(response_id, {})[str(dimension)] = float(value)  # type: ignore[arg-type]
    out = []
    for response, score in rows:
        scored = score is not None and bool(response.comment)
        out.append(
            Answered(
                response.id,  # type: ignore[arg-type]
                response.relationship_id,
                response.wave_id,
                ratings.get(response.id, {}),  # type: ignore[arg-type]
                response.comment,
                score.polarity if scored else None,
                score.label if scored else None,
                tuple(t for t in score.themes.split(",") if t) if scored else (),
                response.updated_at,
            )
        )
    return out


# --- Measures over a set of responses ----------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """Means per dimension, comment sentiment and health over some responses, with counts."""

    dimensions: dict[str, float | None] = field(default_factory=dict)
    sentiment: float | None = None
    health: float | None = None
    answers: int = 0  # responses
    comments: int = 0  # scored, non-empty comments
    respondents: int = 0  # distinct people
    shown: bool = True  # False: too few people in a confidential group

    @property
    def band(self) -> str | None:
        return health.band(self.health)


def measure(responses: Sequence[Answered], *, invitations: int = 0, shown: bool = True) -> Measure:
    """Pooled means of the responses; health from them with engagement answers/invitations."""
    means = trends.dimension_means(r.ratings for r in responses)
    dims = {d: means[d][0] if d in means else None for d in DIMENSIONS}
    polarities = [r.polarity for r in responses if r.polarity is not None]
    sentiment = trends.mean_or_none(polarities)
    engagement = min(1.0, len(responses) / invitations) if invitations else None
    value = health.relationship_health(
        health.HealthInputs(**dims, sentiment=sentiment, engagement=engagement)  # type: ignore[arg-type]
    )
    return Measure(
        dims,
        sentiment,
        value,
        len(responses),
        len(polarities),
        len({r.relationship_id for r in responses}),
        shown,
    )


def hidden(respondents: int) -> Measure:
    """A group too small to show in a confidential wave: only that it exists."""
    return Measure(respondents=respondents, shown=False)


def project_measure(history: ProjectHistory, waves: Sequence[WaveInfo]) -> Measure:
    """The project over some waves: pooled means; health influence-weighted per relationship."""
    responses = history.responses_in(waves)
    pooled = measure(responses, invitations=_invited(history, waves))
    per_rel = relationship_measures(history, waves)
    weighted = health.project_health(
        (per_rel[m.relationship_id].health, float(m.influence)) for m in history.members
    )
    confidential = any(w.confidential for w in waves)
    shown = not confidential or privacy.total_shown({"all": pooled.respondents})
    if not shown:
        return hidden(pooled.respondents)
    return Measure(
        pooled.dimensions,
        pooled.sentiment,
        weighted,
        pooled.answers,
        pooled.comments,
        pooled.respondents,
    )


def _invited(history: ProjectHistory, waves: Sequence[WaveInfo], rel: int | None = None) -> int:
    ids = {w.id for w in waves}
    return sum(1 for w, r in history.invited if w in ids and (rel is None or r == rel))


def relationship_measures(history: ProjectHistory, waves: Sequence[WaveInfo]) -> dict[int, Measure]:
    """Each relationship over some waves (no confidentiality applied: callers decide)."""
    responses = history.responses_in(waves)
    return {
        m.relationship_id: measure(
            [r for r in responses if r.relationship_id == m.relationship_id],
            invitations=_invited(history, waves, m.relationship_id),
        )
        for m in history.members
    }


def group_measures(history: ProjectHistory, waves: Sequence[WaveInfo]) -> dict[str, Measure]:
    """Per business unit, hiding groups below the minimum size (and any that would give one
    away by subtraction from the project total)."""
    responses = history.responses_in(waves)
    unit_of = {m.relationship_id: m.business_unit for m in history.members}
    groups: dict[str, list[Answered]] = {u: [] for u in sorted(set(unit_of.values()))}
    for r in responses:
        groups[unit_of[r.relationship_id]].append(r)
    respondents = {u: len({r.relationship_id for r in rs}) for u, rs in groups.items()}
    shown = privacy.shown_groups(respondents)
    return {
        unit: measure(rs) if unit in shown else hidden(respondents[unit])
        for unit, rs in groups.items()
    }


def is_confidential(waves: Iterable[WaveInfo]) -> bool:
    """Whether any of the waves promised confidentiality: then no names anywhere."""
    return any(w.confidential for w in waves)

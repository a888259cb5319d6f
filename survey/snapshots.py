"""Project health and alert-rule snapshots built from stored trend points. No Flask here.

Everything is read from relationship_trend rows and invitations (one per relationship and
wave), never from answers, so a page costs the same however many answers are stored. Only
closed waves count: an open wave's numbers still move as answers arrive.

Confidential waves follow survey.attribution: each relationship's series has a gap at them
(no point, no answered flag), so health, sparklines and the per-relationship alert rules
(silent stakeholder, trust drop, negative sentiment) read attributed waves only and cannot
fire when a confidential wave closes. The project's health at a confidential wave is
measured over its respondents and withheld when fewer than three of them answered; the
watermelon rule reads that same series.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from analysis import alerts as rules
from analysis import health as formula
from analysis.trends import recent_slope
from survey import attribution
from survey.models import (
    Invitation,
    Project,
    Relationship,
    RelationshipTrend,
    Stakeholder,
    StatusReport,
    Wave,
    WaveProject,
    WaveStatus,
)

# Project health moving at least this many points per wave (over the last three) is a trend.
TREND_POINTS_PER_WAVE = 1.0
UP, DOWN, FLAT = "up", "down", "flat"


@dataclass
class RelationshipHealth:
    """One stakeholder on the project over the project's closed waves."""

    relationship: Relationship
    stakeholder: Stakeholder
    points: list[RelationshipTrend | None]  # aligned with ProjectHealth.waves
    answered: list[bool | None]  # None: not invited to that wave
    health: list[float | None]
    silent: bool = False

    @property
    def latest_health(self) -> float | None:
        """Health in the latest closed wave."""
        return self.health[-1] if self.health else None

    @property
    def band(self) -> str | None:
        """green / amber / red for the latest health, None without one."""
        return formula.band(self.latest_health)

    def series(self, name: str) -> list[float | None]:
        """One dimension (or sentiment) per wave, gaps as None."""
        return [getattr(p, name) if p is not None else None for p in self.points]


@dataclass
class ProjectHealth:
    """Measured health of one project next to its reported status."""

    project: Project
    waves: list[Wave]
    relationships: list[RelationshipHealth]
    series: list[float | None]
    reported: StatusReport | None
    snapshot: rules.ProjectSnapshot
    verdict: rules.WatermelonVerdict
    rates: list[tuple[int, int]] = field(default_factory=list)  # (answered, invited) per wave
    # Per wave: why its health is not shown (attribution.NOT_ENOUGH), or None.
    withheld: list[str | None] = field(default_factory=list)

    @property
    def latest(self) -> float | None:
        """Project health in the latest closed wave."""
        return self.series[-1] if self.series else None

    @property
    def band(self) -> str | None:
        """The latest health's band."""
        return formula.band(self.latest)

    @property
    def trend(self) -> str:
        """up / down / flat over the last three closed waves."""
        slope = recent_slope(self.series, 3) if len(self.series) >= 2 else 0.0
        if slope >= TREND_POINTS_PER_WAVE:
            return UP
        if slope <= -TREND_POINTS_PER_WAVE:
            return DOWN
        return FLAT

    @property
    def response_rate(self) -> float | None:
        """Share of the latest closed wave's invitations that were answered."""
        if not self.rates or not self.rates[-1][1]:
            return None
        answered, invited = self.rates[-1]
        return answered / invited

    @property
    def watermelon(self) -> bool:
        """Reported green while customers say red, or health falling two waves running."""
        return self.verdict.kind == rules.RULE_WATERMELON


def closed_waves(session: Session, *, project_id: int) -> list[Wave]:
    """The project's closed waves, oldest first."""
    return list(
        session.exec(
            select(Wave)
            .join(WaveProject, col(WaveProject.wave_id) == col(Wave.id))
            .where(WaveProject.project_id == project_id, Wave.status == WaveStatus.closed)
            .order_by(col(Wave.closes_at), col(Wave.id))
        ).all()
    )


def status_history(session: Session, *, project_id: int) -> list[StatusReport]:
    """Every status the PM reported for the project, oldest first."""
    return list(
        session.exec(
            select(StatusReport)
            .where(StatusReport.project_id == project_id)
            .order_by(col(StatusReport.reported_on), col(StatusReport.id))
        ).all()
    )


def _members(session: Session, project_id: int) -> list[tuple[Relationship, Stakeholder]]:
    return [
        (r, s)
        for r, s in session.exec(
            select(Relationship, Stakeholder)
            .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
            .where(Relationship.project_id == project_id, col(Relationship.active).is_(True))
            .order_by(col(Stakeholder.influence).desc(), col(Stakeholder.name))
        ).all()
    ]


def _grid(
    session: Session, relationship_ids: list[int], wave_ids: list[int]
) -> tuple[dict[tuple[int, int], RelationshipTrend], dict[tuple[int, int], bool]]:
    """Trend points and answered flags keyed by (relationship id, wave id)."""
    if not relationship_ids or not wave_ids:
        return {}, {}
    points = {
        (p.relationship_id, p.wave_id): p
        for p in session.exec(
            select(RelationshipTrend).where(
                col(RelationshipTrend.relationship_id).in_(relationship_ids),
                col(RelationshipTrend.wave_id).in_(wave_ids),
            )
        )
    }
    invited = {
        (rel_id, wave_id): responded is not None
        for rel_id, wave_id, responded in session.exec(
            select(Invitation.relationship_id, Invitation.wave_id, Invitation.responded_at).where(
                col(Invitation.relationship_id).in_(relationship_ids),
                col(Invitation.wave_id).in_(wave_ids),
            )
        )
    }
    return points, invited


def _latest_status(session: Session, project_id: int) -> StatusReport | None:
    return session.exec(
        select(StatusReport)
        .where(StatusReport.project_id == project_id)
        .order_by(col(StatusReport.reported_on).desc(), col(StatusReport.id).desc())
    ).first()


def project_health(session: Session, *, project: Project) -> ProjectHealth:
    """Health per closed wave, per relationship and for the project, with the verdict."""
    waves = closed_waves(session, project_id=project.id)  # type: ignore[arg-type]
    members = _members(session, project.id)  # type: ignore[arg-type]
    wave_ids = [w.id for w in waves]
    # Per-person series see attributed waves only: confidential columns stay empty.
    attributed = [w.id for w in waves if w.id is not None and not attribution.is_confidential(w)]
    points, invited = _grid(session, [r.id for r, _ in members], attributed)  # type: ignore[misc]
    relationships = []
    for rel, person in members:
        row = [points.get((rel.id, w)) for w in wave_ids]  # type: ignore[arg-type]
        answered = [invited.get((rel.id, w)) for w in wave_ids]  # type: ignore[arg-type]
        ratings = {
            d: [getattr(p, d) if p is not None else None for p in row]
            for d in formula.RATING_DIMENSIONS
        }
        sentiment = [p.sentiment if p is not None else None for p in row]
        relationships.append(
            RelationshipHealth(
                relationship=rel,
                stakeholder=person,
                points=row,
                answered=answered,
                health=formula.relationship_health_series(ratings, sentiment, answered),
            )
        )
    reported = _latest_status(session, project.id)  # type: ignore[arg-type]
    series, rates, withheld = _project_series(session, project, waves, relationships)
    snapshot = rules.ProjectSnapshot(
        project_id=project.id,  # type: ignore[arg-type]
        name=project.name,
        reported_status=reported.status.value if reported else None,
        relationships=[
            rules.RelationshipSnapshot(
                relationship_id=r.relationship.id,  # type: ignore[arg-type]
                stakeholder_name=r.stakeholder.name,
                influence=r.stakeholder.influence,
                ratings={d: r.series(d) for d in formula.RATING_DIMENSIONS},
                sentiment=r.series("sentiment"),
                answered=r.answered,
            )
            for r in relationships
        ],
        health_series=series,
    )
    silent = {c.subject_id for c in rules.silent_stakeholders(snapshot.relationships)}
    for r in relationships:
        r.silent = r.relationship.id in silent
    return ProjectHealth(
        project=project,
        waves=waves,
        relationships=relationships,
        series=series,
        reported=reported,
        snapshot=snapshot,
        verdict=rules.watermelon(snapshot.reported_status, series),
        rates=rates,
        withheld=withheld,
    )


def _project_series(
    session: Session,
    project: Project,
    waves: list[Wave],
    relationships: list[RelationshipHealth],
) -> tuple[list[float | None], list[tuple[int, int]], list[str | None]]:
    """Project health, (answered, invited) and the withheld reason per wave."""
    weighted = formula.project_health_series(
        [(r.health, float(r.stakeholder.influence)) for r in relationships]
    )
    series: list[float | None] = []
    rates: list[tuple[int, int]] = []
    withheld: list[str | None] = []
    for i, wave in enumerate(waves):
        if attribution.is_confidential(wave):
            measured = attribution.confidential_wave_health(
                session,
                project_id=project.id,  # type: ignore[arg-type]
                wave=wave,
            )
            series.append(measured.health)
            rates.append((measured.answered, measured.invited))
            withheld.append(None if measured.shown else attribution.NOT_ENOUGH)
            continue
        series.append(weighted[i])
        rates.append(
            (
                sum(1 for r in relationships if r.answered[i]),
                sum(1 for r in relationships if r.answered[i] is not None),
            )
        )
        withheld.append(None)
    return series, rates, withheld


def project_snapshot(session: Session, *, project_id: int) -> rules.ProjectSnapshot | None:
    """What the alert rules read for one project, or None if there is no such project."""
    project = session.get(Project, project_id)
    if project is None:
        return None
    return project_health(session, project=project).snapshot

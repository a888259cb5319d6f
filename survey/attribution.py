"""What a confidential wave may show outside its own wave page. Keyword-only; no Flask here.

The rules, applied by the project and relationship pages, the API and the alert rules:

- Anything about one person (a relationship's trend points, latest values, health, answered
  flags and the alerts raised from them) reads attributed waves only. A confidential wave
  leaves a gap there, and is never used to fill one. A per-person alert pointing at a
  confidential wave is never shown (NAMELESS_ALERTS).
- A confidential wave's project-level numbers (means, health, anonymous comments) are shown
  once the wave has closed with at least MIN_GROUP of the project's stakeholders answering.
  Otherwise they are withheld as "not enough responses". Waiting for the close matters: two
  looks at an open wave, one answer apart, would give that one answer away.
- Respondents are counted over every relationship of the project, active or not, so that
  deactivating someone cannot turn one aggregate into two whose difference is one person.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlmodel import Session, col, func, or_, select

from analysis import health as formula
from analysis.privacy import NOT_ENOUGH, total_shown
from survey.models import (
    Alert,
    Attribution,
    Invitation,
    Relationship,
    RelationshipTrend,
    Response,
    Stakeholder,
    Wave,
    WaveStatus,
)

# Where-clause keeping per-person queries to attributed waves (the query must join Wave).
ATTRIBUTED = col(Wave.attribution) != Attribution.confidential

# Where-clause on Alert leaving out per-person alerts that point at a confidential wave. The
# rules keep per-person alerts on attributed waves; any such alert is left over from before
# (a wave made confidential later, older rules) and the next evaluation withdraws it
# (workers.alerting.withdraw_confidential). Until then no page, API or report shows it.
NAMELESS_ALERTS = or_(
    col(Alert.subject_kind) != "relationship",
    col(Alert.wave_id).is_(None),
    col(Alert.wave_id).not_in(select(Wave.id).where(Wave.attribution == Attribution.confidential)),
)


def is_confidential(wave: Wave) -> bool:
    """Whether the wave promised its respondents that the PM would not see who said what."""
    return wave.attribution == Attribution.confidential


def respondent_counts(
    session: Session, *, project_id: int, wave_ids: Iterable[int]
) -> dict[int, int]:
    """Stakeholders of the project who answered, per wave (waves nobody answered are absent)."""
    ids = list(wave_ids)
    if not ids:
        return {}
    rows = session.exec(
        select(Response.wave_id, func.count(func.distinct(Response.relationship_id)))
        .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
        .where(Relationship.project_id == project_id, col(Response.wave_id).in_(ids))
        .group_by(col(Response.wave_id))
    ).all()
    return {wave_id: int(n) for wave_id, n in rows}


def project_results_shown(wave: Wave, *, respondents: int) -> bool:
    """Whether a project's aggregate over this wave may be shown."""
    if not is_confidential(wave):
        return True
    return wave.status == WaveStatus.closed and total_shown({"all": respondents})


def shown_wave_ids(session: Session, *, project_id: int, waves: Sequence[Wave]) -> set[int]:
    """The waves whose project-level results may be shown for this project."""
    secret = [w.id for w in waves if is_confidential(w)]
    counts = respondent_counts(session, project_id=project_id, wave_ids=secret)  # type: ignore[arg-type]
    return {
        w.id  # type: ignore[misc]
        for w in waves
        if project_results_shown(w, respondents=counts.get(w.id, 0))  # type: ignore[arg-type]
    }


def withhold_wave_means(session: Session, *, project_id: int, points: list[dict]) -> list[dict]:
    """Per-wave project means with each withheld one emptied and marked NOT_ENOUGH.

    Each point needs wave_id; the dimension values, sentiment and answers are replaced.
    """
    waves = {p["wave_id"]: session.get(Wave, p["wave_id"]) for p in points}
    shown = shown_wave_ids(session, project_id=project_id, waves=[w for w in waves.values() if w])
    out = []
    for point in points:
        if point["wave_id"] in shown:
            out.append({**point, "withheld": None})
            continue
        values = dict.fromkeys(("satisfaction", "trust", "communication", "partnership"))
        out.append({**point, **values, "sentiment": None, "withheld": NOT_ENOUGH})
    return out


@dataclass(frozen=True)
class WaveHealth:
    """A project's health in one confidential wave, with its response counts."""

    health: float | None  # None when withheld (or nobody rated anything)
    answered: int
    invited: int
    shown: bool


def confidential_wave_health(session: Session, *, project_id: int, wave: Wave) -> WaveHealth:
    """The project's health in a confidential wave, or only its counts when withheld.

    Health is the influence-weighted mean of the respondents' health from this wave's answers
    alone: no engagement and no answers carried forward, as both tie the number to named
    people. Counts cover every relationship of the project, active or not.
    """
    invited, answered = session.exec(
        select(func.count(col(Invitation.id)), func.count(col(Invitation.responded_at)))
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .where(Relationship.project_id == project_id, Invitation.wave_id == wave.id)
    ).one()
    respondents = respondent_counts(session, project_id=project_id, wave_ids=[wave.id])  # type: ignore[list-item]
    if not project_results_shown(wave, respondents=respondents.get(wave.id, 0)):  # type: ignore[arg-type]
        return WaveHealth(None, int(answered), int(invited), shown=False)
    rows = session.exec(
        select(RelationshipTrend, Stakeholder.influence)
        .join(Relationship, col(Relationship.id) == col(RelationshipTrend.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Relationship.project_id == project_id, RelationshipTrend.wave_id == wave.id)
        .where(col(RelationshipTrend.answers) > 0)
    ).all()
    per_person = [
        (
            formula.relationship_health(
                formula.HealthInputs(
                    **{d: getattr(point, d) for d in formula.RATING_DIMENSIONS},
                    sentiment=point.sentiment,
                )
            ),
            float(influence),
        )
        for point, influence in rows
    ]
    return WaveHealth(formula.project_health(per_person), int(answered), int(invited), True)

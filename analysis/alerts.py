"""Alert rules over a project snapshot: watermelons, silent stakeholders, trust and mood drops.

Rules only produce candidates; storing, deduplicating (by `key`) and notifying happen elsewhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from analysis.health import (
    AMBER,
    GREEN,
    RATING_DIMENSIONS,
    RED,
    band,
    project_health_series,
    relationship_health_series,
)
from analysis.trends import (
    DEFAULT_MIN_DROP,
    NEGATIVE_SENTIMENT_THRESHOLD,
    drop_change,
    sentiment_turn,
)

RULE_WATERMELON = "watermelon"
RULE_REVERSE_WATERMELON = "reverse_watermelon"
RULE_SILENT_STAKEHOLDER = "silent_stakeholder"
RULE_TRUST_DROP = "trust_drop"
RULE_NEGATIVE_SENTIMENT = "negative_sentiment"

SUBJECT_PROJECT = "project"
SUBJECT_RELATIONSHIP = "relationship"

INFO = "info"
WARNING = "warning"
CRITICAL = "critical"

SILENT_MIN_INFLUENCE = 4
SILENT_MISSED_PULSES = 2
# Each of the two falls must be at least this many health points: sentiment is continuous, so
# without a floor a green project would be flagged for drifting from 81.2 to 81.1 to 81.0.
MIN_FALL = 1.0
# A fall of this much trust in one wave is an escalation in the making, not a wobble.
CRITICAL_TRUST_DROP = 2.0


@dataclass(frozen=True)
class AlertCandidate:
    """One rule firing for one subject; `key` is stable across evaluations for deduplication."""

    rule: str
    subject_kind: str
    subject_id: int
    severity: str
    message: str
    key: str = field(init=False)

    def __post_init__(self) -> None:
        # Frozen dataclass: set the derived key through object.__setattr__.
        object.__setattr__(self, "key", f"{self.rule}:{self.subject_kind}:{self.subject_id}")


@dataclass(frozen=True)
class WatermelonVerdict:
    """Whether the reported RAG status contradicts measured health, and why."""

    kind: str | None  # RULE_WATERMELON, RULE_REVERSE_WATERMELON or None
    reported_status: str | None
    health: float | None  # latest measured project health
    band: str | None
    reason: str = ""


@dataclass(frozen=True)
class RelationshipSnapshot:
    """One stakeholder on the project; every series has one entry per project wave, oldest first."""

    relationship_id: int
    stakeholder_name: str
    influence: int
    ratings: Mapping[str, Sequence[float | None]] = field(default_factory=dict)
    sentiment: Sequence[float | None] = ()
    answered: Sequence[bool | None] = ()  # None: not invited to that wave


@dataclass(frozen=True)
class ProjectSnapshot:
    """What the rules need to know about one project, over its closed waves."""

    project_id: int
    name: str
    reported_status: str | None
    relationships: Sequence[RelationshipSnapshot] = ()
    # Project health per wave when it is not just the relationships' (confidential waves are
    # measured over their respondents alone); None: computed from the relationships.
    health_series: Sequence[float | None] | None = None


def _is_falling(series: Sequence[float | None], min_fall: float) -> bool:
    last = list(series[-3:])
    if len(last) < 3 or any(h is None for h in last):
        return False
    a, b, c = (float(h) for h in last if h is not None)
    return a - b >= min_fall and b - c >= min_fall


def watermelon(
    reported_status: str | None,
    health_series: Sequence[float | None],
    min_fall: float = MIN_FALL,
) -> WatermelonVerdict:
    """Compare the reported RAG status with the project health series (oldest first)."""
    status = reported_status.strip().lower() if reported_status is not None else None
    if status is not None and status not in (GREEN, AMBER, RED):
        raise ValueError(f"unknown RAG status {reported_status!r}")
    latest = health_series[-1] if health_series else None
    measured = band(latest)
    verdict = WatermelonVerdict(None, status, latest, measured)
    if status is None or latest is None:
        return verdict
    if status == GREEN and measured == RED:
        reason = f"Reported green but measured health is {latest:.1f} (red)."
        return WatermelonVerdict(RULE_WATERMELON, status, latest, measured, reason)
    if status == GREEN and _is_falling(health_series, min_fall):
        trail = " -> ".join(f"{h:.1f}" for h in health_series[-3:] if h is not None)
        reason = f"Reported green but measured health fell two waves in a row ({trail})."
        return WatermelonVerdict(RULE_WATERMELON, status, latest, measured, reason)
    if status == RED and measured == GREEN:
        reason = f"Reported red but measured health is {latest:.1f} (green)."
        return WatermelonVerdict(RULE_REVERSE_WATERMELON, status, latest, measured, reason)
    return verdict


def _who(rel: RelationshipSnapshot) -> str:
    return rel.stakeholder_name or f"Relationship {rel.relationship_id}"


def silent_stakeholders(
    relationships: Sequence[RelationshipSnapshot],
    min_influence: int = SILENT_MIN_INFLUENCE,
    missed: int = SILENT_MISSED_PULSES,
) -> list[AlertCandidate]:
    """Influential stakeholders who were invited to and did not answer the last `missed` pulses."""
    if missed < 1:
        raise ValueError("missed must be at least 1")
    out = []
    for rel in relationships:
        last = list(rel.answered[-missed:])
        # `is False` on purpose: a wave the stakeholder was not invited to (None) is not silence.
        if rel.influence >= min_influence and len(last) == missed and all(a is False for a in last):
            message = (
                f"{_who(rel)} (influence {rel.influence}) has not answered "
                f"the last {missed} pulses."
            )
            out.append(
                AlertCandidate(
                    RULE_SILENT_STAKEHOLDER,
                    SUBJECT_RELATIONSHIP,
                    rel.relationship_id,
                    WARNING,
                    message,
                )
            )
    return out


def trust_drop(
    rel: RelationshipSnapshot, min_drop: float = DEFAULT_MIN_DROP
) -> AlertCandidate | None:
    """Trust in the latest wave at least `min_drop` below the trailing mean of earlier waves."""
    change = drop_change(rel.ratings.get("trust", ()), "trust", min_drop=min_drop)
    if change is None:
        return None
    severity = CRITICAL if -change.delta >= CRITICAL_TRUST_DROP else WARNING
    message = (
        f"Trust from {_who(rel)} fell to {change.current:.1f} "
        f"from a recent average of {change.previous:.1f}."
    )
    return AlertCandidate(
        RULE_TRUST_DROP, SUBJECT_RELATIONSHIP, rel.relationship_id, severity, message
    )


def negative_sentiment(
    rel: RelationshipSnapshot, threshold: float = NEGATIVE_SENTIMENT_THRESHOLD
) -> AlertCandidate | None:
    """Comment sentiment turned negative (below `threshold`) after a neutral or positive wave."""
    change = sentiment_turn(rel.sentiment, threshold=threshold)
    if change is None:
        return None
    message = (
        f"Comments from {_who(rel)} turned negative "
        f"({change.previous:+.2f} -> {change.current:+.2f})."
    )
    return AlertCandidate(
        RULE_NEGATIVE_SENTIMENT, SUBJECT_RELATIONSHIP, rel.relationship_id, WARNING, message
    )


def snapshot_health_series(snapshot: ProjectSnapshot) -> list[float | None]:
    """Project health per wave computed from the snapshot's relationships."""
    series = []
    for rel in snapshot.relationships:
        # Ratings may carry dimensions that do not feed health (estimates); leave them out here.
        ratings = {k: v for k, v in rel.ratings.items() if k in RATING_DIMENSIONS}
        # An empty sentiment series is the dataclass default: no comments, not a misaligned series.
        sentiment = rel.sentiment or [None] * len(rel.answered)
        health = relationship_health_series(ratings, sentiment, rel.answered)
        series.append((health, float(rel.influence)))
    return project_health_series(series)


def _watermelon_severity(verdict: WatermelonVerdict) -> str:
    # Green on paper while stakeholders are red is what the rule exists for; a falling trend still
    # has time to turn, and an over-cautious red report puts no relationship at risk.
    if verdict.kind == RULE_REVERSE_WATERMELON:
        return INFO
    return CRITICAL if verdict.band == RED else WARNING


def evaluate_rules(snapshot: ProjectSnapshot) -> list[AlertCandidate]:
    """Every alert candidate for one project: project-level verdicts first, then relationships."""
    out: list[AlertCandidate] = []
    series = snapshot.health_series
    if series is None:
        series = snapshot_health_series(snapshot)
    verdict = watermelon(snapshot.reported_status, series)
    if verdict.kind is not None:
        out.append(
            AlertCandidate(
                verdict.kind,
                SUBJECT_PROJECT,
                snapshot.project_id,
                _watermelon_severity(verdict),
                f"{snapshot.name}: {verdict.reason}",
            )
        )
    out.extend(silent_stakeholders(snapshot.relationships))
    for rel in snapshot.relationships:
        for candidate in (trust_drop(rel), negative_sentiment(rel)):
            if candidate is not None:
                out.append(candidate)
    return out

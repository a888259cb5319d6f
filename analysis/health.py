"""Relationship and project health on a 0-100 scale, with green/amber/red bands.

The formula is documented in docs/health.md; keep the two in step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields

GREEN = "green"
AMBER = "amber"
RED = "red"
BANDS = (GREEN, AMBER, RED)

# Band boundaries on the 0-100 scale: green >= 70, amber 50 up to 70, red < 50.
GREEN_MIN = 70.0
AMBER_MIN = 50.0

# Weights per input, summing to 1. Trust leads because a fall in trust precedes most escalations;
# engagement weighs least because silence already has its own alert.
WEIGHTS: dict[str, float] = {
    "trust": 0.25,
    "satisfaction": 0.20,
    "partnership": 0.15,
    "communication": 0.15,
    "sentiment": 0.15,
    "engagement": 0.10,
}
RATING_DIMENSIONS = ("trust", "satisfaction", "partnership", "communication")

# Engagement looks at this many of the stakeholder's most recent invitations.
ENGAGEMENT_WINDOW = 3
# An unanswered wave reuses the last answered wave's ratings for at most this many waves, so a
# skipped pulse lowers health through engagement instead of blanking the relationship out.
CARRY_FORWARD_WAVES = 2

FORMULA_TEXT = (
    "Relationship health is a weighted average of the latest answers, scaled to 0-100: "
    "trust 25%, satisfaction 20%, partnership 15%, communication 15% (each 1-5), "
    "comment sentiment 15% (-1 to +1) and engagement 10% (share of the last 3 pulses answered). "
    "Anything missing is left out and the remaining weights are scaled up to 100%; "
    "engagement alone is not enough to give a score. "
    "If a pulse goes unanswered, the previous answers count for up to 2 more waves. "
    "Project health is the average of its relationships weighted by each stakeholder's "
    "influence (1-5). Green is 70 or more, amber 50 to 70, red below 50."
)


@dataclass(frozen=True)
class HealthInputs:
    """What one relationship's health is computed from; None means not known."""

    trust: float | None = None  # 1-5
    satisfaction: float | None = None  # 1-5
    partnership: float | None = None  # 1-5
    communication: float | None = None  # 1-5
    sentiment: float | None = None  # -1..1
    engagement: float | None = None  # 0..1, fraction of recent invitations answered


def _check(name: str, value: float, low: float, high: float) -> None:
    # Out-of-range inputs are a bug upstream (the survey form bounds them); scoring them would
    # hide it behind a plausible-looking number.
    if math.isnan(value) or not low <= value <= high:
        raise ValueError(f"{name} must be within {low}..{high}, got {value!r}")


def normalised_inputs(inputs: HealthInputs) -> dict[str, float]:
    """Each present input mapped onto 0..1 (1 is best), keyed like WEIGHTS."""
    out: dict[str, float] = {}
    for f in fields(inputs):
        value = getattr(inputs, f.name)
        if value is None:
            continue
        value = float(value)
        if f.name in RATING_DIMENSIONS:
            _check(f.name, value, 1.0, 5.0)
            out[f.name] = (value - 1.0) / 4.0
        elif f.name == "sentiment":
            _check(f.name, value, -1.0, 1.0)
            out[f.name] = (value + 1.0) / 2.0
        else:
            _check(f.name, value, 0.0, 1.0)
            out[f.name] = value
    return out


def contributions(inputs: HealthInputs) -> dict[str, float]:
    """Points each present input adds to the health score; they sum to the score ({} if none)."""
    scores = normalised_inputs(inputs)
    # Engagement only says whether the stakeholder answered, not how the relationship is; on its
    # own it would turn one unanswered pulse into a score of 0.
    if not scores.keys() - {"engagement"}:
        return {}
    total_weight = sum(WEIGHTS[name] for name in scores)
    return {name: 100.0 * WEIGHTS[name] * s / total_weight for name, s in scores.items()}


def relationship_health(inputs: HealthInputs) -> float | None:
    """Health 0-100 of one relationship, missing inputs renormalised away; None without answers."""
    parts = contributions(inputs)
    if not parts:
        return None
    # Clamp only against floating-point overshoot (e.g. 100.00000000000001).
    return min(100.0, max(0.0, math.fsum(parts.values())))


def band(health: float | None) -> str | None:
    """The green/amber/red band of a health score, or None for no score."""
    if health is None:
        return None
    if health >= GREEN_MIN:
        return GREEN
    if health >= AMBER_MIN:
        return AMBER
    return RED


def engagement(answered: Sequence[bool | None], window: int = ENGAGEMENT_WINDOW) -> float | None:
    """Fraction of the last `window` invitations answered; None entries are waves not invited to."""
    if window < 1:
        raise ValueError("window must be at least 1")
    invitations = [a for a in answered if a is not None][-window:]
    if not invitations:
        return None
    return sum(1 for a in invitations if a) / len(invitations)


def relationship_health_series(
    ratings: Mapping[str, Sequence[float | None]],
    sentiment: Sequence[float | None],
    answered: Sequence[bool | None],
    carry_forward: int = CARRY_FORWARD_WAVES,
) -> list[float | None]:
    """Health per wave of one relationship from per-wave rating means, sentiment and answers."""
    if carry_forward < 0:
        raise ValueError("carry_forward must not be negative")
    waves = len(answered)
    for name, series in [("sentiment", sentiment), *ratings.items()]:
        if len(series) != waves:
            raise ValueError(f"{name} has {len(series)} waves, answered has {waves}")
    unknown = ratings.keys() - set(RATING_DIMENSIONS)
    if unknown:
        raise ValueError(f"not health dimensions: {sorted(unknown)}")

    out: list[float | None] = []
    last_measured: int | None = None
    for i in range(waves):
        if sentiment[i] is not None or any(s[i] is not None for s in ratings.values()):
            last_measured = i
        source = last_measured
        if source is None or i - source > carry_forward:
            out.append(None)
            continue
        values = {name: series[source] for name, series in ratings.items()}
        inputs = HealthInputs(
            **values,
            sentiment=sentiment[source],
            engagement=engagement(answered[: i + 1]),
        )
        out.append(relationship_health(inputs))
    return out


def project_health(relationships: Iterable[tuple[float | None, float]]) -> float | None:
    """Influence-weighted mean of (health, influence) pairs, skipping those without health."""
    weighted: list[float] = []
    weights: list[float] = []
    for health, influence in relationships:
        if math.isnan(influence) or influence < 0:
            raise ValueError(f"influence must not be negative, got {influence!r}")
        if health is not None:
            weighted.append(health * influence)
            weights.append(influence)
    # fsum keeps the result independent of the order relationships arrive in.
    weight = math.fsum(weights)
    if weight == 0.0:
        return None
    return min(100.0, max(0.0, math.fsum(weighted) / weight))


def project_health_series(
    relationships: Sequence[tuple[Sequence[float | None], float]],
) -> list[float | None]:
    """Project health per wave from (relationship health series, influence) pairs."""
    lengths = {len(series) for series, _ in relationships}
    if len(lengths) > 1:
        raise ValueError(f"relationship series differ in length: {sorted(lengths)}")
    waves = lengths.pop() if lengths else 0
    return [
        project_health((series[i], influence) for series, influence in relationships)
        for i in range(waves)
    ]

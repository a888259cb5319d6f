"""Trend maths over pulse waves: per-wave means, smoothing, slopes and change detection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean


def mean_or_none(values: Iterable[float | None]) -> float | None:
    """Mean of the values that are present, or None when there are none."""
    present = [v for v in values if v is not None]
    return fmean(present) if present else None


def dimension_means(
    answers: Iterable[Mapping[str, float | None]],
) -> dict[str, tuple[float | None, int]]:
    """Mean and answer count per dimension over one wave's answers (dicts dimension->value)."""
    buckets: dict[str, list[float]] = {}
    for answer in answers:
        for dimension, value in answer.items():
            if value is not None:
                buckets.setdefault(dimension, []).append(float(value))
    return {dim: (fmean(vals), len(vals)) for dim, vals in buckets.items()}


def rolling_mean(series: Sequence[float | None], window: int = 3) -> list[float | None]:
    """Trailing mean over the last `window` present points, aligned with the input."""
    if window < 1:
        raise ValueError("window must be at least 1")
    out: list[float | None] = []
    for i in range(len(series)):
        out.append(mean_or_none(series[max(0, i - window + 1) : i + 1]))
    return out


def slope(series: Sequence[float | None]) -> float:
    """Least-squares slope per wave of the present points (0.0 with fewer than two)."""
    points = [(float(i), float(v)) for i, v in enumerate(series) if v is not None]
    if len(points) < 2:
        return 0.0
    mx = fmean(x for x, _ in points)
    my = fmean(y for _, y in points)
    sxx = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / sxx


# --- Per-wave points, smoothing and change detection -------------------------------------------

# Key under which a wave's comment polarity travels alongside the 1-5 ratings.
SENTIMENT = "sentiment"

CHANGE_DROP = "drop"
CHANGE_TURNED_NEGATIVE = "turned_negative"

# A drop is measured against the mean of this many earlier answered waves: long enough to
# smooth out one odd pulse, short enough that a relationship that has already recovered
# from an old low is judged against its recent level.
DEFAULT_TRAILING_WAVES = 3
DEFAULT_MIN_DROP = 1.0
# Mirrors the neutral band of the comment scorer: polarity just under zero is usually a
# factual sentence, not a complaint.
NEGATIVE_SENTIMENT_THRESHOLD = -0.1
# Means of 1-5 answers are not exact in binary floating point ((4.2 + 3.8 + 4.0) / 3 is a hair
# under 4.0), so thresholds are compared with this much slack.
_EPSILON = 1e-9


@dataclass(frozen=True)
class TrendPoint:
    """One wave's mean for one dimension, with the number of answers behind it."""

    wave_id: int
    value: float | None
    n: int


@dataclass(frozen=True)
class Change:
    """A notable movement in the latest wave of one dimension."""

    kind: str  # CHANGE_DROP or CHANGE_TURNED_NEGATIVE
    dimension: str
    previous: float  # trailing mean (drop) or last answered value (turned negative)
    current: float
    delta: float  # current - previous


@dataclass(frozen=True)
class DimensionTrend:
    """Everything the PM view plots for one dimension of one relationship."""

    dimension: str
    points: list[TrendPoint]
    ewma: list[float | None]
    slope: float
    change: Change | None


def wave_points(
    waves: Sequence[tuple[int, Iterable[Mapping[str, float | None]]]],
) -> dict[str, list[TrendPoint]]:
    """Per-dimension wave means from (wave_id, answers) pairs in wave order, aligned by wave."""
    per_wave = [(wave_id, dimension_means(answers)) for wave_id, answers in waves]
    dimensions = sorted({dim for _, means in per_wave for dim in means})
    # Every dimension gets a point for every wave so that index i means the same wave everywhere;
    # a wave without answers for a dimension is a gap (value None, n 0), not a zero.
    gap: tuple[float | None, int] = (None, 0)
    out: dict[str, list[TrendPoint]] = {}
    for dim in dimensions:
        points = []
        for wave_id, means in per_wave:
            value, n = means.get(dim, gap)
            points.append(TrendPoint(wave_id, value, n))
        out[dim] = points
    return out


def point_values(points: Sequence[TrendPoint]) -> list[float | None]:
    """The bare values of a point series, gaps kept as None."""
    return [p.value for p in points]


def ewma(series: Sequence[float | None], alpha: float = 0.5) -> list[float | None]:
    """Exponentially weighted moving average, aligned with the input; gaps carry the last level."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must be in (0, 1]")
    out: list[float | None] = []
    level: float | None = None
    for value in series:
        if value is not None:
            level = float(value) if level is None else alpha * float(value) + (1 - alpha) * level
        out.append(level)
    return out


def recent_slope(series: Sequence[float | None], last_n: int = 3) -> float:
    """Least-squares slope per wave over the last `last_n` waves (gaps count as waves)."""
    if last_n < 2:
        raise ValueError("last_n must be at least 2")
    return slope(series[-last_n:])


def _present(series: Sequence[float | None]) -> list[float]:
    return [float(v) for v in series if v is not None]


def drop_change(
    series: Sequence[float | None],
    dimension: str,
    min_drop: float = DEFAULT_MIN_DROP,
    trailing: int = DEFAULT_TRAILING_WAVES,
) -> Change | None:
    """A fall of at least `min_drop` in the latest wave below the mean of earlier waves."""
    if trailing < 1:
        raise ValueError("trailing must be at least 1")
    # Only the latest wave can raise a change: an unanswered latest wave is silence, which has
    # its own rule, and older drops were reported when they were the latest.
    if not series or series[-1] is None:
        return None
    current = float(series[-1])
    earlier = _present(series[:-1])[-trailing:]
    if not earlier:
        return None
    previous = fmean(earlier)
    delta = current - previous
    if delta > -min_drop + _EPSILON:
        return None
    return Change(CHANGE_DROP, dimension, previous, current, delta)


def sentiment_turn(
    series: Sequence[float | None],
    threshold: float = NEGATIVE_SENTIMENT_THRESHOLD,
    dimension: str = SENTIMENT,
) -> Change | None:
    """Sentiment in the latest wave below `threshold` while the previous answered wave was >= 0."""
    if not series or series[-1] is None:
        return None
    current = float(series[-1])
    earlier = _present(series[:-1])
    # A relationship that has been negative all along is not "turning"; the change is the
    # crossing, so the previous answered wave must have been at least neutral.
    if not earlier or earlier[-1] < 0.0 or current >= threshold:
        return None
    previous = earlier[-1]
    return Change(CHANGE_TURNED_NEGATIVE, dimension, previous, current, current - previous)


def dimension_trend(
    dimension: str,
    points: Sequence[TrendPoint],
    alpha: float = 0.5,
    last_n: int = 3,
    min_drop: float = DEFAULT_MIN_DROP,
) -> DimensionTrend:
    """Smoothed line, recent slope and latest change for one dimension's points."""
    values = point_values(points)
    change = (
        sentiment_turn(values, dimension=dimension)
        if dimension == SENTIMENT
        else drop_change(values, dimension, min_drop=min_drop)
    )
    return DimensionTrend(
        dimension=dimension,
        points=list(points),
        ewma=ewma(values, alpha),
        slope=recent_slope(values, last_n),
        change=change,
    )


def relationship_trends(
    waves: Sequence[tuple[int, Iterable[Mapping[str, float | None]]]],
    alpha: float = 0.5,
    last_n: int = 3,
    min_drop: float = DEFAULT_MIN_DROP,
) -> dict[str, DimensionTrend]:
    """Trend of every dimension of one relationship from its answers grouped by wave."""
    return {
        dim: dimension_trend(dim, points, alpha=alpha, last_n=last_n, min_drop=min_drop)
        for dim, points in wave_points(waves).items()
    }

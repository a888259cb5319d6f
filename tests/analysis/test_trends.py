"""Trend maths: per-wave points, EWMA, slopes and change detection."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.trends import (
    CHANGE_DROP,
    CHANGE_TURNED_NEGATIVE,
    SENTIMENT,
    Change,
    TrendPoint,
    dimension_means,
    drop_change,
    ewma,
    mean_or_none,
    point_values,
    recent_slope,
    relationship_trends,
    rolling_mean,
    sentiment_turn,
    slope,
    wave_points,
)

rating = st.integers(min_value=1, max_value=5).map(float)
maybe_rating = st.one_of(st.none(), rating)
rating_series = st.lists(maybe_rating, max_size=12)
polarity = st.floats(min_value=-1.0, max_value=1.0, allow_nan=False)
answer = st.fixed_dictionaries(
    {}, optional={"trust": maybe_rating, "satisfaction": maybe_rating, SENTIMENT: polarity}
)


# --- the pre-existing helpers keep their behaviour -----------------------------------------------


def test_existing_helpers_unchanged() -> None:
    assert mean_or_none([None, 2.0, 4.0]) == 3.0
    assert mean_or_none([None]) is None
    assert dimension_means([{"trust": 4, "comm": None}, {"trust": 2}]) == {"trust": (3.0, 2)}
    assert rolling_mean([1.0, None, 3.0, 5.0], window=2) == [1.0, 1.0, 3.0, 4.0]
    assert slope([1.0, None, 5.0]) == 2.0
    assert slope([3.0]) == 0.0


# --- per-wave points ---------------------------------------------------------------------------


def test_wave_points_by_hand() -> None:
    waves = [
        (10, [{"trust": 4, "satisfaction": 3}, {"trust": 2}]),
        (11, []),
        (12, [{"satisfaction": 5, "trust": None}]),
    ]
    assert wave_points(waves) == {
        "satisfaction": [TrendPoint(10, 3.0, 1), TrendPoint(11, None, 0), TrendPoint(12, 5.0, 1)],
        "trust": [TrendPoint(10, 3.0, 2), TrendPoint(11, None, 0), TrendPoint(12, None, 0)],
    }


def test_wave_points_empty() -> None:
    assert wave_points([]) == {}
    assert wave_points([(1, [])]) == {}


@given(st.lists(st.tuples(st.lists(answer, max_size=6), st.randoms()), max_size=5))
def test_wave_points_stable_under_reordering_within_a_wave(waves) -> None:
    ordered = [(i, answers) for i, (answers, _) in enumerate(waves)]
    shuffled = []
    for i, (answers, rnd) in enumerate(waves):
        copy = list(answers)
        rnd.shuffle(copy)
        shuffled.append((i, copy))
    # Exact equality: means are summed with fsum, so order cannot leak in through rounding.
    assert wave_points(shuffled) == wave_points(ordered)


@given(st.lists(st.lists(answer, max_size=6), max_size=5))
def test_wave_points_aligned_and_counted(waves) -> None:
    points = wave_points(list(enumerate(waves)))
    for dim, series in points.items():
        assert [p.wave_id for p in series] == list(range(len(waves)))
        for p, answers in zip(series, waves, strict=True):
            n = sum(1 for a in answers if a.get(dim) is not None)
            assert p.n == n
            assert (p.value is None) == (n == 0)


# --- EWMA ---------------------------------------------------------------------------------------


def test_ewma_by_hand() -> None:
    # 4, then 0.5*2 + 0.5*4 = 3, gap carries 3, then 0.5*5 + 0.5*3 = 4
    assert ewma([None, 4.0, 2.0, None, 5.0], alpha=0.5) == [None, 4.0, 3.0, 3.0, 4.0]
    assert ewma([4.0, 2.0], alpha=0.25) == [4.0, 3.5]


def test_ewma_rejects_bad_alpha() -> None:
    with pytest.raises(ValueError):
        ewma([1.0], alpha=0.0)
    with pytest.raises(ValueError):
        ewma([1.0], alpha=1.5)


@given(rating_series, st.floats(min_value=0.01, max_value=1.0))
def test_ewma_stays_within_observed_range(series, alpha) -> None:
    out = ewma(series, alpha)
    assert len(out) == len(series)
    present = [v for v in series if v is not None]
    for v in out:
        if v is not None:
            assert min(present) - 1e-9 <= v <= max(present) + 1e-9
    # The line starts at the first answer, never before it.
    first = next((i for i, v in enumerate(series) if v is not None), len(series))
    assert all(v is None for v in out[:first])
    assert all(v is not None for v in out[first:])


@given(rating_series)
def test_ewma_alpha_one_is_last_answer(series) -> None:
    last = None
    expected = []
    for v in series:
        last = v if v is not None else last
        expected.append(last)
    assert ewma(series, 1.0) == expected


# --- slope --------------------------------------------------------------------------------------


def test_recent_slope_uses_only_last_waves() -> None:
    # Early collapse then a steady climb of 0.5 a wave over the last three waves.
    assert recent_slope([5.0, 1.0, 2.0, 2.5, 3.0], last_n=3) == pytest.approx(0.5)
    assert recent_slope([5.0, 1.0, 2.0, 2.5, 3.0], last_n=5) < 0.5


@given(st.lists(maybe_rating, max_size=1), st.integers(min_value=2, max_value=6))
def test_recent_slope_no_crash_on_short_series(series, n) -> None:
    assert recent_slope(series, n) == 0.0


@given(
    st.floats(min_value=-2, max_value=2),
    st.floats(min_value=1, max_value=5),
    st.integers(min_value=2, max_value=8),
)
def test_recent_slope_recovers_linear_trend(gradient, start, n) -> None:
    series = [start + gradient * i for i in range(n)]
    assert recent_slope(series, n) == pytest.approx(gradient, abs=1e-9)


# --- change detection ---------------------------------------------------------------------------


def test_drop_against_trailing_mean_by_hand() -> None:
    # Trailing mean of the last three answered waves (4, 5, 4.5) is 4.5; 3.5 is exactly 1 below.
    change = drop_change([1.0, 4.0, None, 5.0, 4.5, 3.5], "trust")
    assert change == Change(CHANGE_DROP, "trust", 4.5, 3.5, -1.0)


def test_drop_tolerates_float_means() -> None:
    # Wave means 13/3 (answers 4, 4, 5) then 10/3 (3, 3, 4): exactly one point lower, but the
    # floating-point difference comes out as -0.9999999999999996.
    previous, current = dimension_means([{"t": 4}, {"t": 4}, {"t": 5}])["t"][0], 10 / 3
    assert current - previous > -1.0
    change = drop_change([previous, current], "trust")
    assert change is not None and change.delta == pytest.approx(-1.0)


def test_no_drop_below_threshold_or_without_history() -> None:
    assert drop_change([4.0, 4.0, 3.1], "trust") is None
    assert drop_change([4.0, 3.0, None], "trust") is None  # latest wave unanswered
    assert drop_change([None, 2.0], "trust") is None
    assert drop_change([], "trust") is None
    assert drop_change([2.0, 5.0], "trust") is None  # a rise is not a drop


@given(rating_series, st.floats(min_value=0.1, max_value=4.0))
def test_drop_change_consistent(series, min_drop) -> None:
    change = drop_change(series, "trust", min_drop=min_drop)
    if change is not None:
        assert change.kind == CHANGE_DROP
        assert change.current == series[-1]
        assert change.delta <= -min_drop + 1e-9
        assert math.isclose(change.current - change.previous, change.delta)


def test_sentiment_turning_negative_by_hand() -> None:
    change = sentiment_turn([0.3, None, 0.0, -0.4])
    assert change is not None
    assert (change.kind, change.dimension, change.previous, change.current) == (
        CHANGE_TURNED_NEGATIVE,
        SENTIMENT,
        0.0,
        -0.4,
    )
    assert change.delta == pytest.approx(-0.4)


def test_sentiment_not_turning() -> None:
    assert sentiment_turn([-0.3, -0.5]) is None  # negative all along
    assert sentiment_turn([0.5, -0.05]) is None  # within the neutral band
    assert sentiment_turn([0.5]) is None
    assert sentiment_turn([0.5, None]) is None
    assert sentiment_turn([]) is None
    assert sentiment_turn([0.5, -0.05], threshold=0.0) is not None


@given(st.lists(st.one_of(st.none(), polarity), max_size=10))
def test_sentiment_turn_only_on_crossing(series) -> None:
    change = sentiment_turn(series)
    if change is not None:
        assert change.previous >= 0.0 > change.current
        assert change.current < -0.1


# --- whole relationship -------------------------------------------------------------------------


def test_relationship_trends_by_hand() -> None:
    waves = [
        (1, [{"trust": 4, SENTIMENT: 0.2}]),
        (2, [{"trust": 5, SENTIMENT: 0.1}]),
        (3, [{"trust": 3, SENTIMENT: -0.5}]),
    ]
    trends = relationship_trends(waves, alpha=0.5, last_n=3)
    trust = trends["trust"]
    assert point_values(trust.points) == [4.0, 5.0, 3.0]
    assert trust.ewma == [4.0, 4.5, 3.75]
    assert trust.slope == pytest.approx(-0.5)
    assert trust.change == Change(CHANGE_DROP, "trust", 4.5, 3.0, -1.5)
    # Sentiment uses the turning rule, not the 1-point drop (a full point is half its scale).
    sentiment = trends[SENTIMENT].change
    assert sentiment is not None and sentiment.kind == CHANGE_TURNED_NEGATIVE


@given(st.lists(st.lists(answer, max_size=4), max_size=6))
def test_relationship_trends_never_crash(waves) -> None:
    trends = relationship_trends(list(enumerate(waves)))
    for trend in trends.values():
        assert len(trend.points) == len(trend.ewma) == len(waves)
        assert math.isfinite(trend.slope)

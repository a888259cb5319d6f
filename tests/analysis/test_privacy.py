"""The confidential-wave rule: no group below three, and no total that gives one away."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from analysis.privacy import MIN_GROUP, shown_groups, total_shown


def test_small_groups_are_hidden_and_large_ones_shown():
    assert shown_groups({"a": 5, "b": 3, "c": 2}, total_shown=False) == {"a", "b"}


def test_a_lone_small_group_forces_a_second_group_hidden_when_the_total_is_shown():
    # total 8 minus a (5) minus b (3) would reveal c's single respondent.
    assert shown_groups({"a": 5, "b": 3, "c": 1}) == {"a"}


def test_empty_groups_reveal_nothing_and_force_nothing():
    assert shown_groups({"a": 4, "b": 0}) == {"a"}


def test_total_needs_the_minimum_too():
    assert not total_shown({"a": 1, "b": 1})
    assert total_shown({"a": 1, "b": 2})


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 12), max_size=6))
def test_no_shown_group_is_small_and_the_hidden_remainder_is_never_small(groups):
    shown = shown_groups(groups)
    assert all(groups[key] >= MIN_GROUP for key in shown)
    hidden = sum(n for key, n in groups.items() if key not in shown)
    assert hidden == 0 or hidden >= MIN_GROUP or not shown

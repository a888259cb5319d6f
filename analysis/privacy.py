"""Confidential waves: which groups of respondents are large enough to show.

A group below the minimum is shown only as "not enough responses". Hiding it alone is not
enough when a total is also shown: total minus the visible groups would give it away, so
further groups are hidden until the hidden ones together reach the minimum too.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import TypeVar

MIN_GROUP = 3
NOT_ENOUGH = "not enough responses"

K = TypeVar("K", bound=Hashable)


def shown_groups(
    respondents: Mapping[K, int], *, minimum: int = MIN_GROUP, total_shown: bool = True
) -> set[K]:
    """The keys whose results may be shown; empty groups count as hidden but reveal nothing."""
    shown = {key for key, n in respondents.items() if n >= minimum}
    if not total_shown:
        return shown
    hidden_sum = sum(n for key, n in respondents.items() if key not in shown)
    # Hide the smallest visible groups until subtraction from the total reveals no one.
    while 0 < hidden_sum < minimum and shown:
        smallest = min(shown, key=lambda key: (respondents[key], str(key)))
        shown.discard(smallest)
        hidden_sum += respondents[smallest]
    return shown


def total_shown(respondents: Mapping[K, int], *, minimum: int = MIN_GROUP) -> bool:
    """Whether the overall result across all groups may be shown."""
    return sum(respondents.values()) >= minimum

"""The values the alerts inbox and the alerts API filter by."""

from __future__ import annotations

from analysis import alerts as rules
from survey.models import AlertStatus

RULES = (
    rules.RULE_WATERMELON,
    rules.RULE_REVERSE_WATERMELON,
    rules.RULE_SILENT_STAKEHOLDER,
    rules.RULE_TRUST_DROP,
    rules.RULE_NEGATIVE_SENTIMENT,
)
SEVERITIES = (rules.CRITICAL, rules.WARNING, rules.INFO)
# "unresolved" is open or acknowledged: what still needs someone.
STATUSES = ("unresolved", *(s.value for s in AlertStatus))

FILTERS: dict[str, tuple[str, ...]] = {"status": STATUSES, "severity": SEVERITIES, "rule": RULES}

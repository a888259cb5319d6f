"""Pay imports and lexicon loading once per worker process, not once per job."""

from __future__ import annotations

import logging

from analysis import sentiment
from workers import events, invitations, scoring  # noqa: F401 (imported to warm up)

log = logging.getLogger(__name__)


def preload() -> None:
    """Import job modules and score one comment so the analyzer's tables are loaded."""
    sentiment.score("The status report was clear and on time.")
    log.info("worker warmed up with analyzer %s", sentiment.ANALYZER_VERSION)

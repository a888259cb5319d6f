"""Pay imports and lexicon loading once per worker process, not once per job."""

from __future__ import annotations

import gc
import logging

from sqlalchemy.orm import configure_mappers

from analysis import sentiment
from workers import events, invitations, scoring  # noqa: F401 (imported to warm up)

log = logging.getLogger(__name__)


def preload() -> None:
    """Import job modules, set up the ORM's mappers and load the analyzer's tables.

    Then the objects that exist by now (modules, lexicons, mappers: alive until the process
    exits) are moved out of the garbage collector's sight. Otherwise every full collection
    walks them all again, and a scoring batch allocates enough to trigger several: that
    took longer than the batch's database work.
    """
    # Mappers are configured on first use otherwise: inside the first job, for every model.
    configure_mappers()
    sentiment.score("The status report was clear and on time.")
    gc.collect()
    gc.freeze()
    log.info("worker warmed up with analyzer %s", sentiment.ANALYZER_VERSION)

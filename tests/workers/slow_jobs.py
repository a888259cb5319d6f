"""Jobs for process tests: importable by a worker started from the repository root."""

from __future__ import annotations

import time


def sleep_then_answer(seconds: float) -> str:
    """Take `seconds`, then return "finished": long enough to signal a worker mid-job."""
    time.sleep(seconds)
    return "finished"


def always_fails(record_id: int) -> None:
    """Fail every time, as a job with a bug would."""
    raise RuntimeError(f"cannot handle record {record_id}")

"""Per-process settings for jobs, read once from the environment."""

from __future__ import annotations

from functools import lru_cache

from survey.config import Settings, load_settings


@lru_cache(maxsize=1)
def settings() -> Settings:
    """The worker's settings (RAPPORT_* variables)."""
    return load_settings()

"""The JSON API under /api/v1 (bearer tokens)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from survey.api import (  # noqa: E402,F401
    follow_up,
    portfolio,
    project_events,
    themes,
    views,
    waves,
    webhooks,
)

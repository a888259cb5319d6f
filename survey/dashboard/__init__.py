"""The PM's pages: portfolio, project trends and comments."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from survey.dashboard import (  # noqa: E402,F401
    alerts,
    api_tokens,
    grants,
    lessons,
    plans,
    project_events,
    reviews,
    setup,
    status,
    views,
    waves,
    webhooks,
)

"""The JSON API under /api/v1 (bearer tokens)."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from survey.api import views, waves  # noqa: E402,F401

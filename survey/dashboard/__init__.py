"""The PM's pages: portfolio, project trends and comments."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from survey.dashboard import alerts, lessons, plans, reviews, status, views, waves  # noqa: E402,F401  # noqa: E402,F401

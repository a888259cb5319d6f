"""The PM's pages: portfolio, project trends and comments."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from survey.dashboard import alerts, status, views, waves  # noqa: E402,F401
from survey.dashboard import lessons, plans, reviews  # noqa: E402,F401

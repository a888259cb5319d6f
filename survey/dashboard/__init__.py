"""The PM's pages: portfolio, project trends and comments."""

from flask import Blueprint

bp = Blueprint("dashboard", __name__)

from survey.dashboard import views  # noqa: E402,F401

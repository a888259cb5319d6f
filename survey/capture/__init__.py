"""The stakeholder's pages: the pulse behind a tokenised link, no login."""

from flask import Blueprint

bp = Blueprint("capture", __name__, url_prefix="/s")

from survey.capture import views  # noqa: E402,F401

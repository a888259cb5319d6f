"""Admin pages: the operations view of queues, failed jobs and heartbeats."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

from survey.admin import views  # noqa: E402,F401

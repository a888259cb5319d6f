"""Liveness of the database and Redis for load balancers and supervisors."""

from __future__ import annotations

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from survey import queue
from survey.web.session import get_session, settings

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """200 with {"db": "ok", "redis": "ok"}; 503 naming what is down."""
    status = {"db": "ok", "redis": "ok"}
    try:
        get_session().execute(text("SELECT 1"))
    except SQLAlchemyError:
        status["db"] = "down"
    if not queue.redis_ok(settings().redis_url):
        status["redis"] = "down"
    code = 200 if all(v == "ok" for v in status.values()) else 503
    return jsonify(status), code

"""A database session per request, closed at teardown; views commit."""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlmodel import Session

from survey import db
from survey.config import Settings


def settings() -> Settings:
    """The running app's settings."""
    return current_app.extensions["rapport.settings"]


def get_session() -> Session:
    """This request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(db.get_engine(settings().database_url), expire_on_commit=False)
    return g.db_session


def _close(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app: Flask) -> None:
    """Register the teardown that closes the session."""
    app.teardown_appcontext(_close)

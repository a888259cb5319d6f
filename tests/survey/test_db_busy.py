"""A locked SQLite database gives a clear 503 with Retry-After; nothing is shown as saved."""

from __future__ import annotations

import sqlite3

import pytest
from sqlmodel import select

from survey.models import Response
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token


def test_locked_database_answers_503_and_saves_nothing_then_recovers(client, session, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite locking only")
    _invitation, raw, _project = make_invited(session)
    form = client.get(f"/s/{raw}")
    data = {**GOOD_ANSWERS, "csrf_token": csrf_token(form.text)}
    locker = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        busy = client.post(f"/s/{raw}", data=data)
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    assert busy.status_code == 503
    assert busy.headers["Retry-After"] == "5"
    assert "Nothing was saved" in busy.text
    assert session.exec(select(Response)).all() == []
    again = client.post(f"/s/{raw}", data=data)
    assert again.status_code == 303
    assert len(session.exec(select(Response)).all()) == 1

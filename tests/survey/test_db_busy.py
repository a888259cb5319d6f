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


def test_postgresql_down_answers_503_and_a_restart_loses_nothing(client, session, database_url):
    """The server stops mid-pulse: a clear 503, nothing presented as saved; after it
    restarts, pooled connections that died with it are replaced, not shown as errors."""
    from tests import pg_cluster

    if not database_url.startswith("postgresql") or not pg_cluster.can_restart():
        pytest.skip("needs the restartable PostgreSQL cluster of python -m tests.pg_cluster")
    first, first_raw, _ = make_invited(session)
    second, second_raw, _ = make_invited(session)
    forms = {raw: client.get(f"/s/{raw}") for raw in (first_raw, second_raw)}
    data = {raw: {**GOOD_ANSWERS, "csrf_token": csrf_token(f.text)} for raw, f in forms.items()}
    session.close()
    pg_cluster.stop_server()
    try:
        down = client.post(f"/s/{first_raw}", data=data[first_raw])
    finally:
        pg_cluster.start_server()
    assert down.status_code == 503
    assert down.headers["Retry-After"] == "5"
    assert "Nothing was saved" in down.text
    # The web process's pool still holds connections from before the restart.
    assert client.post(f"/s/{second_raw}", data=data[second_raw]).status_code == 303
    assert client.post(f"/s/{first_raw}", data=data[first_raw]).status_code == 303
    stored = session.exec(select(Response.invitation_id)).all()
    assert sorted(stored) == sorted([first.id, second.id])

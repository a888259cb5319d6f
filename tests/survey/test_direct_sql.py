"""Statements on the DB-API connection store what the ORM stores and fail as SQLAlchemy does."""

from __future__ import annotations

import pytest
from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from survey import db, direct_sql
from survey.models import OutboxEvent, Wave, WaveStatus, utcnow
from tests.builders import make_invited

_outbox = OutboxEvent.__table__  # type: ignore[attr-defined]
_waves = Wave.__table__  # type: ignore[attr-defined]

_insert_event = insert(_outbox).values(
    id=bindparam("id"),
    kind=bindparam("kind"),
    payload=bindparam("payload"),
    created_at=bindparam("now", type_=_outbox.c.created_at.type),
)
INSERT_EVENT = direct_sql.Direct(
    _insert_event.returning(_outbox.c.id, _outbox.c.created_at, _outbox.c.attempts)
)
# Without RETURNING, for executemany (which returns no rows).
INSERT_EVENT_MANY = direct_sql.Direct(_insert_event)
WAVE = direct_sql.Direct(
    select(_waves.c.status, _waves.c.closes_at).where(_waves.c.id == bindparam("wave_id"))
)


def test_values_go_in_and_come_out_as_the_orm_has_them(session, database_url):
    now = utcnow()
    engine = db.get_engine(database_url)
    with direct_sql.connect(engine) as conn:
        row = conn.first(
            INSERT_EVENT,
            {"id": 7, "kind": "response.submitted", "payload": {"response_id": 3}, "now": now},
        )
        conn.commit()
    assert row.id == 7 and row.created_at == now and row.attempts == 0  # the column default
    with Session(engine) as fresh:
        event = fresh.get(OutboxEvent, 7)
        assert event is not None
        assert event.payload == {"response_id": 3} and event.created_at == now


def test_rows_convert_enums_and_aware_datetimes(session, database_url):
    invitation, _raw, _project = make_invited(session)
    wave = session.get(Wave, invitation.wave_id)
    with direct_sql.connect(db.get_engine(database_url)) as conn:
        row = conn.first(WAVE, {"wave_id": invitation.wave_id})
        missing = conn.first(WAVE, {"wave_id": 999_999})
    assert row.status is WaveStatus.open and row.closes_at == wave.closes_at  # type: ignore[union-attr]
    assert row.closes_at.tzinfo is not None and missing is None


def test_database_errors_are_sqlalchemy_exceptions_and_nothing_is_kept(session, database_url):
    engine = db.get_engine(database_url)
    values = {"id": 8, "kind": "response.submitted", "payload": {}, "now": utcnow()}
    with direct_sql.kept(engine) as conn:
        conn.first(INSERT_EVENT, values)
        with pytest.raises(IntegrityError):
            conn.first(INSERT_EVENT, values)  # the same id again
    # The unit ended without a commit: the first insert was rolled back with it.
    with Session(engine) as fresh:
        assert fresh.get(OutboxEvent, 8) is None


def test_a_kept_connection_serves_unit_after_unit(session, database_url):
    engine = db.get_engine(database_url)
    with direct_sql.kept(engine) as first:
        pass
    with direct_sql.kept(engine) as second:
        second.first(INSERT_EVENT, {"id": 9, "kind": "k", "payload": {}, "now": utcnow()})
        second.commit()
    assert first is second
    direct_sql.release_kept()
    with direct_sql.kept(engine) as third:
        assert third is not first


def test_a_statement_leaving_out_a_computed_default_is_refused(database_url):
    no_created_at = direct_sql.Direct(insert(_outbox).values(kind=bindparam("kind")))
    with (
        direct_sql.connect(db.get_engine(database_url)) as conn,
        pytest.raises(ValueError, match="created_at"),
    ):
        conn.execute(no_created_at, {"kind": "k"})


def test_an_unreachable_database_is_an_operational_error(tmp_path):
    from sqlalchemy.exc import OperationalError

    url = f"sqlite:///{tmp_path / 'no-such-directory' / 'rapport.db'}"
    with pytest.raises(OperationalError):
        direct_sql.Connection.checkout(db.get_engine(url))
    db.dispose_engines()


def test_within_a_session_statements_share_its_transaction(database_url):
    engine = db.get_engine(database_url)
    rows = [
        {"id": i, "kind": "response.submitted", "payload": {"n": i}, "now": utcnow()}
        for i in (21, 22, 23)
    ]
    with Session(engine) as session:
        assert direct_sql.within(session).execute_many(INSERT_EVENT_MANY, rows) == 3
        # The session sees them before commit: one transaction, one connection.
        assert session.get(OutboxEvent, 22) is not None
        session.rollback()
    with Session(engine) as session:
        assert session.get(OutboxEvent, 22) is None  # rolled back with the session
        direct_sql.within(session).execute_many(INSERT_EVENT_MANY, rows[:1])
        session.commit()
    with Session(engine) as session:
        event = session.get(OutboxEvent, 21)
        assert event is not None and event.payload == {"n": 21}

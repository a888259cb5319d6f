"""`rapport db migrate-from-sqlite`: an embedded installation copied into PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select
from sqlmodel import Session, SQLModel, col

from survey import db, demo, migrate
from survey.cli import main
from survey.models import CommentScore, Response, Stakeholder, User
from tests.builders import TEST_SECRET, make_user
from tests.conftest import PG_URL
from workers import scoring


@pytest.fixture(scope="module")
def embedded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the demo portfolio, scored comments and outbox events (built once)."""
    if not PG_URL:
        pytest.skip("needs PostgreSQL as the target: run under python -m tests.pg_cluster")
    path = tmp_path_factory.mktemp("embedded") / "rapport.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    with db.session_scope(url) as session:
        demo.seed(session, seed=3, secret_key=TEST_SECRET)
        session.commit()
        scoring.score_responses(session, list(session.exec(select(Response.id)).scalars()))
    db.dispose_engines()
    return path


def _embedded_installation(embedded_file: Path, tmp_path: Path) -> str:
    """A private copy of the embedded installation for one test."""
    copy = tmp_path / "embedded.db"
    shutil.copyfile(embedded_file, copy)
    return f"sqlite:///{copy}"


def _rows(url: str) -> dict[str, list[tuple]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        out = {
            t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key.columns))]
            for t in SQLModel.metadata.sorted_tables
        }
    engine.dispose()
    return out


def test_copy_into_postgresql_keeps_every_row_and_value(
    runner, database_url, embedded_file, tmp_path
):
    source = _embedded_installation(embedded_file, tmp_path)
    result = runner.invoke(main, ["db", "migrate-from-sqlite", "--from", source])
    assert result.exit_code == 0, result.output
    expected = _rows(source)
    assert sum(len(rows) for rows in expected.values()) > 100
    assert expected["comment_score"] and expected["outbox_event"]
    # Same rows, same values: aware UTC datetimes, JSON payloads, enums and booleans included.
    assert _rows(database_url) == expected
    assert f"response: {len(expected['response'])} rows" in result.output


def test_sequences_continue_after_the_copied_ids(runner, database_url, embedded_file, tmp_path):
    source = _embedded_installation(embedded_file, tmp_path)
    assert runner.invoke(main, ["db", "migrate-from-sqlite", "--from", source]).exit_code == 0
    with Session(db.get_engine(database_url)) as session:
        highest = max(session.exec(select(User.id)).scalars())
        assert make_user(session).id == highest + 1
        highest_score = max(session.exec(select(CommentScore.id)).scalars())
        stakeholder = Stakeholder(name="New person", email="new.person@example.com")
        session.add(stakeholder)
        session.commit()
        assert stakeholder.id is not None
        assert highest_score > 0


def test_a_target_with_data_is_refused_and_left_alone(
    runner, database_url, session, embedded_file, tmp_path
):
    source = _embedded_installation(embedded_file, tmp_path)
    make_user(session, email="already.here@example.com")
    result = runner.invoke(main, ["db", "migrate-from-sqlite", "--from", source])
    assert result.exit_code == 1
    assert "not empty" in result.output and "user" in result.output
    assert [u.email for u in session.exec(select(User)).scalars()] == ["already.here@example.com"]
    assert session.exec(select(col(Response.id))).all() == []


def test_a_source_that_is_not_a_sqlite_file_is_refused(runner, rapport_env, tmp_path):
    missing = runner.invoke(
        main, ["db", "migrate-from-sqlite", "--from", f"sqlite:///{tmp_path / 'none.db'}"]
    )
    assert missing.exit_code == 1 and "no SQLite database" in missing.output
    other = runner.invoke(main, ["db", "migrate-from-sqlite", "--from", "postgresql://x/y"])
    assert other.exit_code == 1 and "sqlite:///" in other.output

"""The migrated schema has exactly the indexes the models declare, and 0015 goes both ways."""

from __future__ import annotations

from alembic import command
from sqlalchemy import inspect
from sqlmodel import SQLModel

import survey.models  # noqa: F401  (every table on SQLModel.metadata)
from survey import db, migrate

REDUNDANT = {"ix_response_relationship_id", "ix_answer_response_id", "ix_outbox_event_kind"}


def _indexes(url: str) -> set[str]:
    inspector = inspect(db.get_engine(url))
    names = {
        index["name"]
        for table in inspector.get_table_names()
        for index in inspector.get_indexes(table)
    }
    db.dispose_engines()
    return {name for name in names if name and name.startswith("ix_")}


def test_migrations_create_the_indexes_the_models_declare(database_url):
    declared = {
        index.name for table in SQLModel.metadata.tables.values() for index in table.indexes
    }
    assert _indexes(database_url) == {name for name in declared if name.startswith("ix_")}
    assert not REDUNDANT & declared


def test_redundant_indexes_come_back_on_downgrade_and_go_again(database_url):
    before = _indexes(database_url)
    command.downgrade(migrate.alembic_config(database_url), "0015_redundant_indexes@-1")
    assert _indexes(database_url) == before | REDUNDANT
    migrate.upgrade(database_url)
    assert _indexes(database_url) == before

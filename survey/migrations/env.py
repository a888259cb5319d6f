"""Alembic environment: the URL comes from the caller (rapport db upgrade), metadata from models."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import survey.models  # noqa: F401  (registers every table)
from survey import db

config = context.config
target_metadata = SQLModel.metadata


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "the database URL must be set"
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.get_engine(url).connect() as connection:
        # Batch mode lets later migrations alter columns on SQLite too.
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations()

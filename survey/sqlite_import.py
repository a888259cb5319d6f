"""Copy an embedded (SQLite) installation into an empty PostgreSQL database."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table, create_engine, func, inspect, select
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import survey.models  # noqa: F401  (registers every table)
from survey import db, migrate

CHUNK_ROWS = 1000


class TargetNotEmpty(RuntimeError):
    """The target already holds data; copying into it would mix two installations."""


@dataclass(frozen=True)
class CopiedTable:
    name: str
    rows: int


def copy_database(source_url: str, target_url: str) -> list[CopiedTable]:
    """Migrate both ends to the same schema, then copy every table in foreign-key order."""
    if not source_url.startswith("sqlite:///"):
        raise ValueError("the source must be a sqlite:/// URL")
    if source_url == target_url:
        raise ValueError("the source and the target are the same database")
    migrate.upgrade(source_url)
    migrate.upgrade(target_url)
    source = create_engine(source_url)
    try:
        present = set(inspect(source).get_table_names())
        # sorted_tables puts every table after the tables its foreign keys point to.
        tables = [t for t in SQLModel.metadata.sorted_tables if t.name in present]
        with source.connect() as reader, db.get_engine(target_url).begin() as writer:
            for table in tables:
                if writer.execute(select(func.count()).select_from(table)).scalar_one():
                    raise TargetNotEmpty(
                        f"the target database is not empty (table {table.name} has rows): "
                        "migrate-from-sqlite only copies into a fresh database"
                    )
            copied = [CopiedTable(t.name, _copy_table(reader, writer, t)) for t in tables]
            if writer.dialect.name == "postgresql":
                _reset_sequences(writer, tables)
        return copied
    finally:
        source.dispose()


def _copy_table(reader: Connection, writer: Connection, table: Table) -> int:
    """Stream one table across in chunks; the column types convert values (UTC, JSON, enums)."""
    order = list(table.primary_key.columns)
    result = reader.execution_options(stream_results=True).execute(select(table).order_by(*order))
    total = 0
    for chunk in result.mappings().partitions(CHUNK_ROWS):
        writer.execute(table.insert(), [dict(row) for row in chunk])
        total += len(chunk)
    return total


def _reset_sequences(writer: Connection, tables: list[Table]) -> None:
    """Point each serial id's sequence past the copied ids, so new rows get fresh ones."""
    for table in tables:
        column = table.columns.get("id")
        if column is None or not column.primary_key or column.autoincrement is False:
            continue
        sequence = writer.execute(
            select(func.pg_get_serial_sequence(f'"{table.name}"', "id"))
        ).scalar_one()
        if sequence is None:
            continue
        highest = select(func.max(column)).scalar_subquery()
        has_rows = select(func.count() > 0).select_from(table).scalar_subquery()
        writer.execute(select(func.setval(sequence, func.coalesce(highest, 1), has_rows)))

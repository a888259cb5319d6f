"""Core statements run straight on a DB-API connection, for the survey POST.

SQLAlchemy's cost per execution (an execution context, parameter handling, a result object)
is several times what the database takes to run the survey POST's small statements, and a
POST runs six of them. A `Direct` statement is compiled once per dialect with SQLAlchemy's
own compiler and type processing (so values are stored exactly as the ORM stores them) and
then runs on a plain cursor. Errors come out as SQLAlchemy's exception classes, and a
connection the database dropped is invalidated, so callers and the 503 page treat them as
they treat any other.
"""

from __future__ import annotations

import os
import threading
from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import PoolProxiedConnection
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """A statement as one dialect runs it: SQL text, binds in order, value converters."""

    sql: str
    # Per bind parameter: name, converter, default.
    binds: tuple[tuple[str, Processor, Any], ...]
    # The same in the order a positional SQL text wants them (a name may come twice); None
    # if the SQL text names them.
    positional: tuple[tuple[str, Processor, Any], ...] | None
    row: type | None
    columns: tuple[Processor, ...]

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        get = given.get
        if self.positional is None:
            return {
                name: process(get(name, fixed)) if process else get(name, fixed)
                for name, process, fixed in self.binds
            }
        return [
            process(get(name, fixed)) if process else get(name, fixed)
            for name, process, fixed in self.positional
        ]

    def make_row(self, raw: Sequence[Any]) -> Any:
        assert self.row is not None
        return self.row(
            *(f(v) if f is not None else v for f, v in zip(self.columns, raw, strict=True))
        )


def _plan(statement: ClauseElement, dialect: Dialect) -> _Plan:
    compiled: Any = statement.compile(dialect=dialect)
    fixed = {name: bind.value for name, bind in compiled.binds.items()}
    # Columns left out of an INSERT or UPDATE get their defaults from SQLAlchemy's execution,
    # which this skips: constants are filled in here, and a computed one must be given.
    prefetch = [
        *getattr(compiled, "insert_prefetch", ()),
        *getattr(compiled, "update_prefetch", ()),
    ]
    for column in prefetch:
        if not column.default.is_scalar:
            raise ValueError(f"{statement}: give {column.key} a value")
        fixed[column.key] = column.default.arg
    order = tuple(compiled.positiontup) if compiled.positional else None
    binds = tuple(
        (name, bind.type.dialect_impl(dialect).bind_processor(dialect), fixed[name])
        for name, bind in compiled.binds.items()
    )
    returned = list(getattr(statement, "exported_columns", ()))
    row = namedtuple("Row", [c.key for c in returned]) if returned else None  # type: ignore[misc]
    columns = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned)
    by_name = {bind[0]: bind for bind in binds}
    positional = tuple(by_name[name] for name in order) if order is not None else None
    return _Plan(compiled.string, binds, positional, row, columns)


class Direct:
    """A Core statement with named bind parameters, compiled once per dialect."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._plans: dict[str, _Plan] = {}

    def plan(self, dialect: Dialect) -> _Plan:
        plan = self._plans.get(dialect.name)
        if plan is None:
            plan = self._plans[dialect.name] = _plan(self.statement, dialect)
        return plan


class Connection:
    """A DB-API connection: checked out of the pool for a unit of work (`connect`, `kept`),
    or a session's own, to run statements in its transaction (`within`)."""

    def __init__(self, engine: Engine, raw: PoolProxiedConnection) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._errors = self.dialect.loaded_dbapi.Error
        self.invalidated = False
        self._raw = raw
        self._cursor = raw.cursor()

    @classmethod
    def checkout(cls, engine: Engine) -> Connection:
        """A connection from the engine's pool; close it to give it back."""
        try:
            raw = engine.raw_connection()
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool lets a failed connect through as the driver's own error.
            dropped = engine.dialect.is_disconnect(error, None, None)
            raise _translated(engine.dialect, error, None, None, dropped) from error
        return cls(engine, raw)

    def _failed(self, error: Exception, sql: str, params: object) -> exc.DBAPIError:
        """The SQLAlchemy exception for a DB-API error; a dropped connection is invalidated."""
        dropped = self.dialect.is_disconnect(error, self._raw.dbapi_connection, self._cursor)
        if dropped:
            self._raw.invalidate(error)
            self.invalidated = True
        return _translated(self.dialect, error, sql, params, dropped)

    def execute(self, statement: Direct, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; returns the number of rows it changed."""
        plan = statement.plan(self.dialect)
        values = plan.parameters(params or {})
        try:
            self._cursor.execute(plan.sql, values)
        except self._errors as error:
            raise self._failed(error, plan.sql, values) from error
        return int(self._cursor.rowcount)

    def execute_many(self, statement: Direct, rows: Sequence[Mapping[str, Any]]) -> int:
        """Run a statement once per parameter set, in one call; returns the rows changed."""
        plan = statement.plan(self.dialect)
        values = [plan.parameters(row) for row in rows]
        try:
            self._cursor.executemany(plan.sql, values)
        except self._errors as error:
            raise self._failed(error, plan.sql, values) from error
        # Both drivers sum the executions' counts.
        return int(self._cursor.rowcount)

    def first(self, statement: Direct, params: Mapping[str, Any] | None = None) -> Any:
        """The first row a SELECT (or RETURNING) gives, as a named tuple; None if none."""
        plan = statement.plan(self.dialect)
        values = plan.parameters(params or {})
        try:
            self._cursor.execute(plan.sql, values)
            raw = self._cursor.fetchone()
            # Read to the end: SQLite finishes an INSERT ... RETURNING only then.
            self._cursor.fetchall()
        except self._errors as error:
            raise self._failed(error, plan.sql, values) from error
        return None if raw is None else plan.make_row(raw)

    def commit(self) -> None:
        try:
            self._raw.commit()
        except self._errors as error:
            raise self._failed(error, "COMMIT", ()) from error

    def rollback(self) -> None:
        try:
            self._raw.rollback()
        except self._errors as error:
            raise self._failed(error, "ROLLBACK", ()) from error

    def close(self) -> None:
        """Give the connection back to the pool, rolling back anything uncommitted."""
        try:
            self._cursor.close()
        finally:
            self._raw.close()


def _translated(
    dialect: Dialect, error: Exception, sql: str | None, params: object, dropped: bool
) -> exc.DBAPIError:
    return exc.DBAPIError.instance(
        sql,  # type: ignore[arg-type]
        params,  # type: ignore[arg-type]
        error,
        dialect.loaded_dbapi.Error,
        connection_invalidated=dropped,
        dialect=dialect,
    )


def within(session: Session) -> Connection:
    """The session's connection, to run statements in its transaction.

    The session commits or rolls back; the connection stays the session's (never close it).

    For a worker's batch statements over hundreds of rows, where SQLAlchemy's per-row
    parameter handling costs more than the database's work.
    """
    connection = session.connection()
    return Connection(connection.engine, connection.connection)


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection for one unit of work; anything not committed is rolled back."""
    conn = Connection.checkout(engine)
    try:
        yield conn
    finally:
        conn.close()


# Per thread (and process: a forked child must not share its parent's connections), the
# connections `kept` hands out, by engine.
_kept = threading.local()


def _kept_by_engine() -> dict[Engine, Connection]:
    if getattr(_kept, "pid", None) != os.getpid():
        _kept.pid = os.getpid()
        _kept.by_engine = {}
    return _kept.by_engine  # type: ignore[no-any-return]


@contextmanager
def kept(engine: Engine) -> Iterator[Connection]:
    """This thread's connection to `engine` for one unit of work, kept for the next one.

    Checking a connection out of the pool and back in costs more than the survey POST's
    statements, so the express lane keeps one per web thread. Anything left uncommitted is
    rolled back when the unit ends, and a connection the database dropped is let go.
    """
    by_engine = _kept_by_engine()
    conn = by_engine.get(engine)
    if conn is None:
        conn = by_engine[engine] = Connection.checkout(engine)
    try:
        yield conn
    finally:
        try:
            if not conn.invalidated:
                conn.rollback()
        except exc.DBAPIError:
            pass
        if conn.invalidated:
            del by_engine[engine]


def release_kept() -> None:
    """Give this thread's kept connections back (before their engines are disposed)."""
    by_engine = _kept_by_engine()
    for conn in by_engine.values():
        conn.close()
    by_engine.clear()

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

from collections import namedtuple
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql import ClauseElement

Processor = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    """A statement as one dialect runs it: SQL text, binds in order, value converters."""

    sql: str
    names: tuple[str, ...]
    positional: bool
    fixed: Mapping[str, Any]
    binds: Mapping[str, Processor]
    row: type | None
    columns: tuple[Processor, ...]

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        values = {}
        for name in self.names:
            value = given[name] if name in given else self.fixed[name]
            process = self.binds[name]
            values[name] = process(value) if process is not None else value
        if self.positional:
            return [values[name] for name in self.names]
        return values

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
    for column in [
        *getattr(compiled, "insert_prefetch", ()),
        *getattr(compiled, "update_prefetch", ()),
    ]:
        if not column.default.is_scalar:
            raise ValueError(f"{statement}: give {column.key} a value")
        fixed[column.key] = column.default.arg
    positional = bool(compiled.positional)
    names = tuple(compiled.positiontup) if positional else tuple(compiled.binds)
    binds = {
        name: compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        for name in set(names)
    }
    returned = list(getattr(statement, "exported_columns", ()))
    row = namedtuple("Row", [c.key for c in returned]) if returned else None  # type: ignore[misc]
    columns = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in returned)
    return _Plan(compiled.string, names, positional, fixed, binds, row, columns)


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
    """One pooled DB-API connection, checked out for a unit of work."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect
        self._raw = engine.raw_connection()
        self._cursor = self._raw.cursor()

    @contextmanager
    def _translated(self, sql: str, params: object) -> Iterator[None]:
        dbapi = self.dialect.loaded_dbapi
        try:
            yield
        except dbapi.Error as error:
            dropped = self.dialect.is_disconnect(error, self._raw.dbapi_connection, self._cursor)
            if dropped:
                self._raw.invalidate(error)
            raise exc.DBAPIError.instance(
                sql,
                params,  # type: ignore[arg-type]
                error,
                dbapi.Error,
                connection_invalidated=dropped,
                dialect=self.dialect,
            ) from error

    def execute(self, statement: Direct, params: Mapping[str, Any] | None = None) -> int:
        """Run a statement; returns the number of rows it changed."""
        plan = statement.plan(self.dialect)
        values = plan.parameters(params or {})
        with self._translated(plan.sql, values):
            self._cursor.execute(plan.sql, values)
        return int(self._cursor.rowcount)

    def execute_many(self, statement: Direct, rows: Sequence[Mapping[str, Any]]) -> None:
        """Run a statement once per parameter set, in one call."""
        plan = statement.plan(self.dialect)
        values = [plan.parameters(row) for row in rows]
        with self._translated(plan.sql, values):
            self._cursor.executemany(plan.sql, values)

    def first(self, statement: Direct, params: Mapping[str, Any] | None = None) -> Any:
        """The first row a SELECT (or RETURNING) gives, as a named tuple; None if none."""
        plan = statement.plan(self.dialect)
        values = plan.parameters(params or {})
        with self._translated(plan.sql, values):
            self._cursor.execute(plan.sql, values)
            raw = self._cursor.fetchone()
            # Read to the end: SQLite finishes an INSERT ... RETURNING only then.
            self._cursor.fetchall()
        return None if raw is None else plan.make_row(raw)

    def commit(self) -> None:
        with self._translated("COMMIT", ()):
            self._raw.commit()

    def rollback(self) -> None:
        with self._translated("ROLLBACK", ()):
            self._raw.rollback()

    def close(self) -> None:
        """Give the connection back to the pool, rolling back anything uncommitted."""
        try:
            self._cursor.close()
        finally:
            self._raw.close()


@contextmanager
def connect(engine: Engine) -> Iterator[Connection]:
    """A connection for one unit of work; anything not committed is rolled back."""
    conn = Connection(engine)  # a database that cannot be reached raises OperationalError
    try:
        yield conn
    finally:
        conn.close()

"""Engines and sessions. No Flask here: workers and the CLI use this module directly."""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, create_engine

from survey import direct_sql

_engines: dict[str, Engine] = {}
_lock = threading.Lock()

# How long a writer waits for SQLite's lock before the request gives up with a 503.
SQLITE_BUSY_TIMEOUT_MS = 5000


def _tune_sqlite(dbapi_connection, _record) -> None:
    # WAL lets readers proceed while one writer commits; NORMAL sync is durable in WAL mode.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def get_engine(url: str) -> Engine:
    """One engine per database URL per process."""
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            if url.startswith("sqlite"):
                engine = create_engine(url, connect_args={"check_same_thread": False})
                event.listen(engine, "connect", _tune_sqlite)
            else:
                engine = create_engine(url, pool_pre_ping=True)
            _engines[url] = engine
        return engine


# Per database file: this process's lock file descriptor (with the pid that opened it: a
# forked child must open its own) and the lock its threads queue on first.
_turns: dict[str, tuple[int, int, threading.Lock]] = {}


def _turn_for(path: str) -> tuple[int, threading.Lock]:
    with _lock:
        pid, fd, in_process = _turns.get(path, (0, -1, threading.Lock()))
        if pid != os.getpid():
            # A descriptor inherited across fork shares its lock with the parent: never use it.
            if pid:
                os.close(fd)
            fd = os.open(f"{path}-writers", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            in_process = threading.Lock()
            _turns[path] = (os.getpid(), fd, in_process)
        return fd, in_process


@contextmanager
def writer_turn(url: URL) -> Iterator[None]:
    """Run a short write transaction after other processes' ones, not against them.

    SQLite lets one writer in at a time and makes the others poll with sleeps of 1, 2, 5,
    10 ms and more, so two web processes saving answers at once lose milliseconds whenever
    they meet, for a lock held a fraction of one. Waiting on a `flock` of a file beside
    the database wakes the next writer the moment the previous one is done. Writers that
    do not take a turn (the workers) still meet SQLite's own lock and its busy timeout.
    Other databases lock rows, not the database: nothing to do.
    """
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        yield
        return
    fd, in_process = _turn_for(str(url.database))
    with in_process:
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)


def dispose_engines() -> None:
    """Close pooled connections and writer-turn lock files (after fork, and in tests)."""
    direct_sql.release_kept()
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        for path, (pid, fd, in_process) in list(_turns.items()):
            if pid != os.getpid():
                continue  # inherited: _turn_for closes it when this process first needs it
            # A turn in progress keeps its descriptor (closing it would end the turn early)
            # and its entry, so that it is closed next time.
            if in_process.acquire(blocking=False):
                os.close(fd)
                in_process.release()
                del _turns[path]


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(url), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def insert_missing(session: Session, model: Any, keys: tuple[str, ...], **values: object) -> None:
    """INSERT a row unless one with the same `keys` exists, without failing the transaction.

    The row is then there for `SELECT ... FOR UPDATE`: concurrent upserts queue on it
    instead of racing to insert duplicates.
    """
    upsert_insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(
        session.get_bind().dialect.name
    )
    if upsert_insert is not None:
        statement = upsert_insert(model).values(**values)
        session.execute(statement.on_conflict_do_nothing(index_elements=keys))
        return
    try:
        with session.begin_nested():
            session.execute(insert(model).values(**values))
    except IntegrityError:
        pass

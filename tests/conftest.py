"""Fixtures: a fresh database per test (SQLite file, or PostgreSQL when configured),
a real Redis (the embedded binary) flushed per test, the app, its client and a CLI runner."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from survey import create_app, db, migrate
from survey.embedded_redis import EmbeddedRedis
from tests.builders import TEST_SECRET
from workers import context

PG_URL = os.environ.get("RAPPORT_TEST_DATABASE_URL", "")


def pytest_collection_modifyitems(config, items):  # type: ignore[no-untyped-def]
    if os.environ.get("RAPPORT_SLOW_TESTS") == "1":
        return
    skip = pytest.mark.skip(reason="slow fault/load test: set RAPPORT_SLOW_TESTS=1")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One real redis-server for the session, on a unix socket."""
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A migrated PostgreSQL template database that each test copies (when configured)."""
    if not PG_URL:
        yield None
        return
    admin = create_engine(make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS rapport_template"))
        conn.execute(text("CREATE DATABASE rapport_template"))
    url = make_url(PG_URL).set(database="rapport_template").render_as_string(hide_password=False)
    migrate.upgrade(url)
    db.dispose_engines()
    yield "rapport_template"
    admin.dispose()


@pytest.fixture
def database_url(tmp_path: Path, pg_template: str | None) -> Iterator[str]:
    """A fresh, migrated database for this test."""
    if pg_template is None:
        url = f"sqlite:///{tmp_path / 'rapport.db'}"
        migrate.upgrade(url)
        yield url
        db.dispose_engines()
        return
    name = "t_" + uuid.uuid4().hex[:12]
    # pool_pre_ping: a test may restart the server, killing the pooled connection.
    admin = create_engine(
        make_url(PG_URL).set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE {pg_template}'))
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    db.dispose_engines()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def rapport_env(
    tmp_path: Path, database_url: str, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, str]:
    """RAPPORT_* settings for this test, exported so workers and the CLI see them too."""
    env = {
        "RAPPORT_HOME": str(tmp_path / "home"),
        "RAPPORT_DATABASE_URL": database_url,
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_SECRET_KEY": TEST_SECRET,
        "RAPPORT_BASE_URL": "http://rapport.test",
        "RAPPORT_ENV": "development",
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("RAPPORT_MAIL_URL", raising=False)
    context.settings.cache_clear()
    redis.Redis.from_url(redis_url).flushall()
    yield env
    context.settings.cache_clear()


@pytest.fixture
def app(rapport_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """The app on this test's database and Redis."""
    return create_app({**rapport_env, "TESTING": True})


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    return CliRunner()


@pytest.fixture
def session(database_url: str, rapport_env: dict[str, str]):  # type: ignore[no-untyped-def]
    """A session on the test database for builders and assertions."""
    from sqlmodel import Session

    with Session(db.get_engine(database_url), expire_on_commit=False) as s:
        yield s


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class AuthActions:
    """Log a user in and out through the real login form."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client

    def login(self, email: str = "pm@example.com", password: str = "demo"):  # type: ignore[no-untyped-def]
        page = self.client.get("/login")
        return self.client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": csrf_token(page.text)},
        )


@pytest.fixture
def auth(client) -> AuthActions:  # type: ignore[no-untyped-def]
    return AuthActions(client)

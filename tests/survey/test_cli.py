"""The `rapport` command line, the demo data it seeds and the configuration it refuses."""

from __future__ import annotations

import email
import email.policy
import re
import stat
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import inspect
from sqlmodel import Session, col, func, select

from survey import create_app, db, queries
from survey.cli import main
from survey.config import ConfigError, load_settings
from survey.models import (
    Answer,
    CommentScore,
    Invitation,
    Project,
    Rag,
    Relationship,
    RelationshipTrend,
    Response,
    Role,
    Stakeholder,
    StatusReport,
    User,
    Wave,
    WaveStatus,
)
from survey.passwords import check_password, token_hash
from tests.builders import make_user
from workers import context

UNREACHABLE_DB = "postgresql+psycopg://rapport:secret@127.0.0.1:1/rapport"
LINK = re.compile(r"https?://[^\s\"'<>]+/s/([A-Za-z0-9_-]+)")


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [prefix]
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def _one_line_error(result) -> str:  # type: ignore[no-untyped-def]
    """The error a user sees: exactly one line, exit status 1, no traceback."""
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("path", _command_paths(main), ids=lambda p: " ".join(p) or "rapport")
def test_every_command_has_help(path):
    result = CliRunner().invoke(main, [*path, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ")
    assert " ".join(("main", *path)) in result.output.splitlines()[0]
    assert "--help" in result.output


def test_the_command_tree_has_every_documented_command():
    paths = {" ".join(p) for p in _command_paths(main)}
    expected = {"up", "db upgrade", "demo", "user create", "token create", "worker", "scheduler"}
    expected |= {"user grant", "user revoke"}
    assert expected <= paths


# --- user create -------------------------------------------------------------------------


def test_user_create_stores_a_hashed_password(runner, session):
    result = runner.invoke(
        main, ["user", "create", "--email", "New.PM@Example.com", "--password", "s3cret-pass"]
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "created pm new.pm@example.com"
    user = session.exec(select(User).where(User.email == "new.pm@example.com")).one()
    assert user.role == Role.pm and user.name == "New.PM"
    assert "s3cret-pass" not in user.password_hash
    assert check_password(user.password_hash, "s3cret-pass")


def test_user_create_with_a_role_and_name(runner, session):
    args = ["user", "create", "--email", "boss@example.com", "--name", "Sam Okafor"]
    result = runner.invoke(main, [*args, "--role", "admin", "--password", "s3cret-pass"])
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "boss@example.com")).one()
    assert (user.role, user.name) == (Role.admin, "Sam Okafor")


def test_user_create_prompts_for_the_password_twice(runner, session):
    result = runner.invoke(
        main, ["user", "create", "--email", "typed@example.com"], input="abcd1234\nabcd1234\n"
    )
    assert result.exit_code == 0, result.output
    user = session.exec(select(User).where(User.email == "typed@example.com")).one()
    assert check_password(user.password_hash, "abcd1234")


def test_duplicate_user_is_a_one_line_error(runner, session):
    make_user(session, email="pm@example.com")
    result = runner.invoke(
        main, ["user", "create", "--email", "PM@example.com", "--password", "another-one"]
    )
    line = _one_line_error(result)
    assert "pm@example.com" in line and "already exists" in line
    assert len(session.exec(select(User)).all()) == 1


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not-an-email", "s3cret-pass", "email"), ("ok@example.com", "abc", "password")],
)
def test_invalid_user_input_is_a_one_line_error(runner, session, email, password, field):
    result = runner.invoke(main, ["user", "create", "--email", email, "--password", password])
    assert _one_line_error(result).startswith(f"Error: {field}:")
    assert session.exec(select(User)).all() == []


def test_unknown_role_is_a_usage_error(runner, session):
    result = runner.invoke(
        main, ["user", "create", "--email", "a@example.com", "--role", "god", "--password", "xxxx"]
    )
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert session.exec(select(User)).all() == []


# --- token create ------------------------------------------------------------------------


def test_token_for_an_unknown_email_is_a_clear_error(runner, session):
    result = runner.invoke(main, ["token", "create", "--email", "ghost@example.com"])
    assert _one_line_error(result) == "Error: no user with email ghost@example.com"


def test_created_token_opens_the_api(runner, client, session):
    make_user(session, email="pm@example.com")
    result = runner.invoke(main, ["token", "create", "--email", "pm@example.com", "--label", "ci"])
    assert result.exit_code == 0, result.output
    raw = result.output.strip()
    assert len(raw.splitlines()) == 1 and len(raw) >= 32
    response = client.get("/api/v1/projects", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert client.get("/api/v1/projects", headers={"Authorization": "Bearer x"}).status_code == 401


# --- db upgrade --------------------------------------------------------------------------


def test_db_upgrade_creates_the_schema_and_can_run_again(runner, rapport_env, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh' / 'rapport.db'}"
    env = {"RAPPORT_DATABASE_URL": url}
    for _ in range(2):
        result = runner.invoke(main, ["db", "upgrade"], env=env)
        assert result.exit_code == 0, result.output
        assert result.output.strip() == "database is up to date"
    tables = set(inspect(db.get_engine(url)).get_table_names())
    assert {"alembic_version", "user", "project", "relationship", "invitation"} <= tables


def test_db_upgrade_against_an_unreachable_database_is_one_line(runner, rapport_env):
    result = runner.invoke(main, ["db", "upgrade"], env={"RAPPORT_DATABASE_URL": UNREACHABLE_DB})
    assert "cannot reach the database" in _one_line_error(result)


@pytest.mark.parametrize(
    "command",
    [
        ["demo"],
        ["user", "create", "--email", "a@example.com", "--password", "abcdef"],
        ["token", "create", "--email", "a@example.com"],
    ],
    ids=["demo", "user create", "token create"],
)
def test_commands_against_an_unreachable_database_are_one_line(runner, rapport_env, command):
    result = runner.invoke(main, command, env={"RAPPORT_DATABASE_URL": UNREACHABLE_DB})
    assert "Connection refused" in _one_line_error(result)


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "changeme"])
def test_production_without_a_real_secret_key_refuses_to_start(tmp_path, secret):
    environ = {"RAPPORT_HOME": str(tmp_path), "RAPPORT_ENV": "production"}
    if secret is not None:
        environ["RAPPORT_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="RAPPORT_SECRET_KEY"):
        load_settings(environ)
    assert not (tmp_path / "secret_key").exists()


def test_production_with_a_secret_key_starts(tmp_path):
    environ = {
        "RAPPORT_HOME": str(tmp_path),
        "RAPPORT_ENV": "production",
        "RAPPORT_SECRET_KEY": "a-real-secret-that-nobody-guesses-42",
    }
    settings = load_settings(environ)
    assert settings.production
    assert settings.secret_key == "a-real-secret-that-nobody-guesses-42"


def test_app_refuses_production_without_a_secret_key(rapport_env):
    with pytest.raises(ConfigError):
        create_app({**rapport_env, "RAPPORT_ENV": "production", "RAPPORT_SECRET_KEY": ""})


@pytest.mark.parametrize("command", [["db", "upgrade"], ["up", "--port", "1"], ["demo"]])
def test_cli_in_production_without_a_secret_key_says_so_in_one_line(runner, rapport_env, command):
    env = {"RAPPORT_ENV": "production", "RAPPORT_SECRET_KEY": None}
    result = runner.invoke(main, command, env=env)
    assert _one_line_error(result).startswith("Error: RAPPORT_SECRET_KEY is not set")
    assert not (Path(rapport_env["RAPPORT_HOME"]) / "redis.sock").exists()


def test_unknown_environment_name_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="RAPPORT_ENV"):
        load_settings({"RAPPORT_HOME": str(tmp_path), "RAPPORT_ENV": "staging"})


def test_development_generates_a_secret_key_once_and_keeps_it(tmp_path):
    home = tmp_path / "home"
    first = load_settings({"RAPPORT_HOME": str(home)})
    key_file = home / "secret_key"
    assert key_file.read_text().strip() == first.secret_key
    assert len(first.secret_key) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_settings({"RAPPORT_HOME": str(home)}).secret_key == first.secret_key
    other = load_settings({"RAPPORT_HOME": str(tmp_path / "elsewhere")})
    assert other.secret_key != first.secret_key


def test_defaults_are_embedded(tmp_path):
    settings = load_settings({"RAPPORT_HOME": str(tmp_path)})
    assert settings.database_url == f"sqlite:///{tmp_path / 'rapport.db'}"
    assert settings.redis_embedded and settings.redis_url.startswith("unix://")
    assert settings.mail_url is None and settings.mailbox_dir == tmp_path / "mail"
    assert not settings.production


# --- demo --------------------------------------------------------------------------------


def _seed_demo(home: Path, redis_url: str, seed: int) -> tuple[str, str]:
    """Run `rapport demo --seed` into a fresh home; returns (database URL, output)."""
    url = f"sqlite:///{home / 'rapport.db'}"
    env = {
        "RAPPORT_HOME": str(home),
        "RAPPORT_DATABASE_URL": url,
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_SECRET_KEY": None,
        "RAPPORT_BASE_URL": "http://rapport.test",
        "RAPPORT_ENV": "development",
        "RAPPORT_MAIL_URL": None,
    }
    context.settings.cache_clear()
    try:
        result = CliRunner().invoke(main, ["demo", "--seed", str(seed)], env=env)
    finally:
        context.settings.cache_clear()
    assert result.exit_code == 0, result.output
    return url, result.output


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory, redis_url):  # type: ignore[no-untyped-def]
    """One demo seeded with --seed 3, shared by the read-only demo tests."""
    home = tmp_path_factory.mktemp("demo")
    url, output = _seed_demo(home, redis_url, 3)
    yield home, url, output
    db.dispose_engines()


@pytest.fixture
def demo_db(demo_home):  # type: ignore[no-untyped-def]
    _home, url, _output = demo_home
    with Session(db.get_engine(url)) as session:
        yield session


def _fingerprint(session: Session) -> dict:
    """What a seed decides: who is where, how many answers, what they said."""
    return {
        "projects": session.exec(select(Project.code).order_by(col(Project.code))).all(),
        "stakeholders": session.exec(select(Stakeholder.name).order_by(col(Stakeholder.id))).all(),
        "responses": session.exec(select(func.count(col(Response.id)))).one(),
        "answers": session.exec(
            select(Answer.question_id, Answer.value_int).order_by(col(Answer.id))
        ).all(),
        "comments": session.exec(select(Response.comment).order_by(col(Response.id))).all(),
    }


def test_demo_with_the_same_seed_is_the_same_demo(demo_db, tmp_path, redis_url):
    url, _output = _seed_demo(tmp_path / "again", redis_url, 3)
    with Session(db.get_engine(url)) as again:
        assert _fingerprint(again) == _fingerprint(demo_db)
    assert any(_fingerprint(demo_db)["comments"])


def test_demo_reports_what_it_seeded(demo_home, demo_db):
    home, _url, output = demo_home
    projects = len(demo_db.exec(select(Project)).all())
    stakeholders = len(demo_db.exec(select(Stakeholder)).all())
    assert f"{projects} projects, {stakeholders} stakeholders" in output
    assert str(home / "mail") in output


def test_demo_has_a_portfolio_worth_looking_at(demo_db):
    projects = demo_db.exec(select(Project)).all()
    stakeholders = demo_db.exec(select(Stakeholder)).all()
    assert len(projects) >= 3
    assert len(stakeholders) >= 12
    assert len({s.influence for s in stakeholders}) >= 3
    assert len({s.interest for s in stakeholders}) >= 3
    assert {s.kind.value for s in stakeholders} == {"business", "it_executive"}
    for project in projects:
        members = demo_db.exec(select(Relationship).where(Relationship.project_id == project.id))
        assert len(members.all()) >= 3, project.code


def test_demo_logins_work(demo_db):
    users = {u.email: u for u in demo_db.exec(select(User))}
    assert users["pm@example.com"].role == Role.pm
    assert users["admin@example.com"].role == Role.admin
    for login in ("pm@example.com", "admin@example.com"):
        assert check_password(users[login].password_hash, "demo")
    own = demo_db.exec(select(Project).where(Project.pm_id == users["pm@example.com"].id))
    assert len(own.all()) >= 3


def test_the_demo_viewer_reads_only_the_granted_projects(demo_db):
    viewer = demo_db.exec(select(User).where(User.email == "viewer@example.com")).one()
    assert viewer.role == Role.viewer and check_password(viewer.password_hash, "demo")
    visible = [p.code for p in queries.visible_projects(demo_db, user=viewer)]
    assert visible == ["DW-MOD", "FIN-ERP"]  # the watermelon, and one that is not
    assert len(demo_db.exec(select(Project)).all()) > len(visible)


def test_demo_has_six_scored_waves_of_history(demo_db):
    closed = demo_db.exec(
        select(Wave).where(Wave.status == WaveStatus.closed).order_by(col(Wave.closes_at))
    ).all()
    assert len(closed) == 6
    for wave in closed:
        points = demo_db.exec(select(RelationshipTrend).where(RelationshipTrend.wave_id == wave.id))
        points = points.all()
        assert points, wave.title
        assert all(p.satisfaction is not None and 1 <= p.satisfaction <= 5 for p in points)
    commented = demo_db.exec(select(Response.id).where(Response.comment != "")).all()
    scored = demo_db.exec(select(CommentScore.response_id)).all()
    assert commented and set(commented) <= set(scored)
    months = [w.opens_at for w in closed]
    gaps = [(b - a).days for a, b in zip(months, months[1:], strict=False)]
    assert all(25 <= gap <= 35 for gap in gaps), gaps


def test_demo_comments_read_like_real_stakeholders(demo_db):
    comments = [c for c in demo_db.exec(select(Response.comment)).all() if c]
    assert len(set(comments)) >= 15
    assert not any("lorem" in c.lower() or "ipsum" in c.lower() for c in comments)
    assert sum(len(c.split()) for c in comments) / len(comments) >= 8
    polarities = demo_db.exec(select(RelationshipTrend.sentiment)).all()
    assert min(p for p in polarities if p is not None) < 0 < max(p for p in polarities if p)


def _slope(values: list[float]) -> float:
    n = len(values)
    mean_x, mean_y = (n - 1) / 2, sum(values) / n
    num = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(values))
    return num / sum((x - mean_x) ** 2 for x in range(n))


def test_demo_has_a_watermelon_project(demo_db):
    """Reported green every month while measured trust and sentiment slide."""
    watermelons = []
    for project in demo_db.exec(select(Project)):
        statuses = demo_db.exec(
            select(StatusReport.status).where(StatusReport.project_id == project.id)
        ).all()
        trend = [  # the six closed months; the open wave is still collecting answers
            point
            for point in queries.project_trend(demo_db, project_id=project.id)
            if demo_db.get(Wave, point["wave_id"]).status == WaveStatus.closed  # type: ignore[union-attr]
        ]
        trust = [p["trust"] for p in trend]
        sentiment = [p["sentiment"] or 0.0 for p in trend]
        if (
            len(statuses) >= 6
            and set(statuses) == {Rag.green}
            and _slope(trust) < -0.1
            and _slope(sentiment) < 0
            and trust[-1] < trust[0] - 1
        ):
            watermelons.append(project.code)
    assert len(watermelons) >= 1


def test_demo_open_wave_invitations_wait_in_the_mailbox(demo_home, demo_db):
    home, _url, _output = demo_home
    wave = demo_db.exec(select(Wave).where(Wave.status == WaveStatus.open)).one()
    invitations = {
        i.token_hash: i
        for i in demo_db.exec(select(Invitation).where(Invitation.wave_id == wave.id))
    }
    files = sorted((home / "mail").glob("*.eml"))
    mailed = []
    for path in files:
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
        tokens = set(LINK.findall(text))
        if not tokens:
            continue  # not an invitation (an alert, say)
        assert len(tokens) == 1, path.name
        token = tokens.pop()
        assert f"http://rapport.test/s/{token}" in text
        invitation = invitations.get(token_hash(token))
        assert invitation is not None, f"{path.name} links to no open-wave invitation"
        mailed.append(invitation)
    # One file per message, each for a different invitation, and every sent one is there.
    assert len({i.id for i in mailed}) == len(mailed) >= 10
    sent = {i.id for i in invitations.values() if i.sent_at is not None}
    assert {i.id for i in mailed} == sent
    # Every project has someone whose invitation still waits, unanswered, in the mailbox.
    waiting = {
        demo_db.get(Relationship, i.relationship_id).project_id  # type: ignore[union-attr]
        for i in mailed
        if i.responded_at is None
    }
    assert waiting == {p.id for p in demo_db.exec(select(Project))}


def test_demo_does_not_seed_twice(demo_home, demo_db, redis_url):
    home, url, _output = demo_home
    before = _fingerprint(demo_db)
    env = {"RAPPORT_HOME": str(home), "RAPPORT_DATABASE_URL": url, "RAPPORT_REDIS_URL": redis_url}
    context.settings.cache_clear()
    result = CliRunner().invoke(main, ["demo", "--seed", "3"], env=env)
    context.settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "already has projects" in result.output
    demo_db.expire_all()
    assert _fingerprint(demo_db) == before

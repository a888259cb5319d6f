"""`rapport db upgrade`, `rapport db migrate-from-sqlite` and `rapport demo`."""

from __future__ import annotations

import click
from sqlalchemy.exc import OperationalError

from survey import db, migrate


@click.group("db")
def db_group() -> None:
    """Database schema commands."""


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Apply every migration to RAPPORT_DATABASE_URL (or the embedded SQLite file)."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    try:
        migrate.upgrade(settings.database_url)
    except OperationalError as exc:
        # Drivers add hint lines ("Is the server running...?"): the user gets the first one.
        reason = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
        raise click.ClickException(f"cannot reach the database: {reason}") from exc
    click.echo("database is up to date")


@db_group.command("migrate-from-sqlite")
@click.option(
    "--from",
    "source_url",
    required=True,
    metavar="sqlite:///PATH",
    help="The embedded installation's database, e.g. sqlite:///instance/rapport.db.",
)
def db_migrate_from_sqlite(source_url: str) -> None:
    """Copy an embedded SQLite installation into RAPPORT_DATABASE_URL (which must be empty)."""
    from pathlib import Path

    from survey import sqlite_import
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    if not source_url.startswith("sqlite:///"):
        raise click.ClickException("--from must be a sqlite:/// URL")
    if not Path(source_url.removeprefix("sqlite:///")).is_file():
        raise click.ClickException(f"no SQLite database at {source_url}")
    try:
        copied = sqlite_import.copy_database(source_url, settings.database_url)
    except (ValueError, sqlite_import.TargetNotEmpty) as exc:
        raise click.ClickException(str(exc)) from exc
    except OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc.orig}") from exc
    for table in copied:
        click.echo(f"{table.name}: {table.rows} rows")
    click.echo(f"copied {sum(t.rows for t in copied)} rows in {len(copied)} tables")


@click.command()
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same demo.")
@click.option("--force", is_flag=True, help="Seed even when the database already has projects.")
def demo(seed: int, force: bool) -> None:
    """Fill an empty database with a demo portfolio, history and an open wave."""
    from survey import demo as demo_data
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    migrate.upgrade(settings.database_url)
    with db.session_scope(settings.database_url) as session:
        if not force and not demo_data.is_empty(session):
            click.echo("the database already has projects: demo not seeded (use --force)")
            return
        summary = demo_data.seed(session, seed=seed, secret_key=settings.secret_key)
    finish_demo(summary.open_wave_id)
    click.echo(
        f"demo seeded: {summary.projects} projects, {summary.stakeholders} stakeholders, "
        f"{summary.responses} responses; invitations in {settings.mailbox_dir}"
    )


def finish_demo(open_wave_id: int) -> None:
    """Score the seeded history and mail the open wave's invitations, in this process."""
    # The CLI is the composition root: it may call the workers' functions directly.
    from workers import invitations, pipeline

    pipeline.drain_outbox()
    invitations.send_wave_invitations(open_wave_id)

"""`rapport up`, `web`, `worker` and `scheduler`: the processes of a running Rapport."""

from __future__ import annotations

import os
import sys

import click

from survey import db, migrate
from survey.config import Settings, warnings
from survey.queue import QUEUE_NAMES

DEMO_LOGINS = (
    ("pm@example.com", "demo", "project manager"),
    ("admin@example.com", "demo", "admin"),
    ("viewer@example.com", "demo", "viewer (reads FIN-ERP and DW-MOD)"),
)


def _python(*args: str) -> str:
    return " ".join([sys.executable, *args])


def _warn_about(settings: Settings) -> None:
    """Print configuration that works but is probably a mistake, where the operator looks."""
    for warning in warnings(settings):
        click.secho(f"WARNING: {warning}", fg="yellow", bold=True, err=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option(
    "--workers",
    "worker_count",
    default=1,
    show_default=True,
    type=int,
    help="How many RQ worker processes to start.",
)
@click.option(
    "--demo/--no-demo",
    default=True,
    show_default=True,
    help="Seed demo data when the database is empty.",
)
def up(host: str, port: int, worker_count: int, demo: bool) -> None:
    """Start Redis (embedded unless RAPPORT_REDIS_URL is set), web, workers and scheduler."""
    from honcho.manager import Manager

    from survey import demo as demo_data
    from survey.cli import settings_or_fail
    from survey.cli.database import finish_demo
    from survey.embedded_redis import EmbeddedRedis

    settings = settings_or_fail()
    embedded = EmbeddedRedis(settings.home) if settings.redis_embedded else None
    if embedded is not None:
        embedded.start()
    try:
        env = {
            **os.environ,
            "RAPPORT_HOME": str(settings.home),
            "RAPPORT_REDIS_URL": settings.redis_url,
            "RAPPORT_SECRET_KEY": settings.secret_key,
            "RAPPORT_BASE_URL": os.environ.get("RAPPORT_BASE_URL", f"http://{host}:{port}"),
        }
        os.environ.update(env)
        migrate.upgrade(settings.database_url)
        seeded = False
        if demo:
            with db.session_scope(settings.database_url) as session:
                if demo_data.is_empty(session):
                    summary = demo_data.seed(session, seed=7, secret_key=settings.secret_key)
                    seeded = True
            if seeded:
                finish_demo(summary.open_wave_id)
        db.dispose_engines()
        manager = Manager()
        manager.add_process(
            "web",
            _python(
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"{host}:{port}",
                "--access-logfile",
                "-",
                "--graceful-timeout",
                "20",
                "survey.wsgi:app",
            ),
            env=env,
        )
        for n in range(max(1, worker_count)):
            manager.add_process(f"worker.{n + 1}", _python("-m", "survey.cli", "worker"), env=env)
        manager.add_process("scheduler", _python("-m", "survey.cli", "scheduler"), env=env)
        _banner(host, port, settings, seeded or demo)
        _warn_about(settings)
        manager.loop()
    finally:
        if embedded is not None:
            embedded.stop()
    sys.exit(manager.returncode or 0)


def _banner(host: str, port: int, settings, demo: bool) -> None:
    click.echo("")
    click.echo(f"  Rapport is starting on http://{host}:{port}")
    if demo:
        for email, password, what in DEMO_LOGINS:
            click.echo(f"  Demo login ({what}): {email} / {password}")
    if settings.mail_url is None:
        click.echo(f"  Mailbox: http://{host}:{port}/dev/mail  (files in {settings.mailbox_dir})")
    click.echo("  Press Ctrl-C to stop everything.")
    click.echo("")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--processes", default=2, show_default=True, type=int)
def web(host: str, port: int, processes: int) -> None:
    """Serve the web app with gunicorn (SIGTERM lets requests in flight finish)."""
    from survey.cli import settings_or_fail

    _warn_about(settings_or_fail())
    os.execv(
        sys.executable,
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            str(processes),
            "--bind",
            f"{host}:{port}",
            "--graceful-timeout",
            "20",
            "survey.wsgi:app",
        ],
    )


@click.command()
@click.option(
    "--queues",
    default=",".join(QUEUE_NAMES),
    show_default=True,
    help="Comma-separated queues, most urgent first.",
)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
def worker(queues: str, burst: bool) -> None:
    """Run an RQ worker. It does not fork per job: jobs run in this warmed-up process."""
    from survey.cli import settings_or_fail
    from workers import warmup
    from workers.runner import run_worker

    settings = settings_or_fail()
    _warn_about(settings)
    names = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(names) - set(QUEUE_NAMES))
    if unknown:
        raise click.ClickException(
            f"unknown queue(s): {', '.join(unknown)}; known: {', '.join(QUEUE_NAMES)}"
        )
    warmup.preload()
    run_worker(settings.redis_url, names, burst=burst)


@click.command()
def scheduler() -> None:
    """Run the scheduler (outbox sweeper, wave opening and closing). One acts at a time."""
    from workers.scheduler import run_forever

    run_forever()

"""The `rapport` command line. User mistakes end in one clear line and exit status 1."""

from __future__ import annotations

import click

from survey.cli.accounts import token_group, user_group
from survey.cli.database import db_group, demo
from survey.cli.processes import scheduler, up, web, worker
from survey.cli.review import COMMANDS as REPORT_COMMANDS
from survey.cli.stakeholders import stakeholder_group
from survey.cli.stakeholders_import import stakeholders_import
from survey.cli.waves import wave_group
from survey.config import ConfigError, load_settings


class _Commands(click.Group):
    """The command group: a database that cannot be used is a one-line error, too."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        from sqlalchemy.exc import OperationalError

        try:
            return super().invoke(ctx)
        except OperationalError as exc:
            reason = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
            raise click.ClickException(f"database error: {reason}") from exc


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Rapport: pulse surveys and relationship health for IT project teams."""


for command in (up, web, worker, scheduler, db_group, demo, user_group, token_group):
    main.add_command(command)
stakeholder_group.add_command(stakeholders_import)
main.add_command(stakeholder_group)


@main.group("stakeholders")
def stakeholders_group() -> None:
    """Stakeholders in bulk (same as `rapport stakeholder import`)."""


stakeholders_group.add_command(stakeholders_import)
main.add_command(wave_group)
for command in REPORT_COMMANDS:
    main.add_command(command)

try:
    from survey.cli.evaluate import evaluate

    main.add_command(evaluate)
except ImportError:  # pragma: no cover - the evaluation harness is optional in slim installs
    pass


def settings_or_fail():
    """Settings, or a one-line error for a configuration mistake."""
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc

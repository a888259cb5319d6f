"""`rapport stakeholder import FILE.csv [--dry-run]`: bulk stakeholders from a spreadsheet."""

from __future__ import annotations

from pathlib import Path

import click

from survey import db


@click.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check every row and report; save nothing.")
def stakeholders_import(file: Path, dry_run: bool) -> None:
    """Import stakeholders from CSV (columns name,email,title,business_unit,kind,influence,
    interest,nervous,project_code,role), matched by email.

    Good rows are saved; each bad row is listed (row, field, reason) and the exit status is 1.
    Fix those rows and import the file again: people already imported are updated, not
    added twice.
    """
    from survey import stakeholder_csv
    from survey.cli import settings_or_fail
    from survey.models import Role, User
    from survey.pm_actions import InputError

    settings = settings_or_fail()
    # The command line acts with an admin's reach: every project and stakeholder.
    operator = User(email="", name="command line", role=Role.admin, password_hash="")
    with db.session_scope(settings.database_url) as session:
        try:
            plan = stakeholder_csv.plan_import(session, data=file.read_bytes(), user=operator)
        except InputError as exc:
            raise click.ClickException(f"{file}: {exc}; nothing was imported") from exc
        if plan.problem:
            raise click.ClickException(f"{file}: {plan.problem}; nothing was imported")
        for line in plan.errors:
            click.echo(f"{file}: {line}", err=True)
        summary = f"{plan.created} new, {plan.updated} updated, {plan.linked} put on projects"
        if dry_run:
            session.rollback()
            click.echo(f"check only, nothing saved: would import {summary}")
        else:
            stakeholder_csv.apply_import(session, plan=plan, actor=None)
            click.echo(f"imported {summary}")
    if plan.rejected:
        rows = plan.rejected_rows
        done = "would not be imported" if dry_run else "not imported"
        raise click.ClickException(
            f"{rows} row{'' if rows == 1 else 's'} of {file} {done} (listed above); fix "
            "them and import the file again: people already imported are updated, not duplicated"
        )

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
    interest,nervous,project_code,role). Matched by email; nothing is saved if any row is bad."""
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
            raise click.ClickException(f"{file}: {exc}") from exc
        if plan.errors:
            for line in plan.errors:
                click.echo(f"{file}: {line}", err=True)
            raise click.ClickException(
                f"{len(plan.errors)} problem(s) in {file}; nothing was imported"
            )
        summary = f"{plan.created} new, {plan.updated} updated, {plan.linked} put on projects"
        if dry_run:
            session.rollback()
            click.echo(f"check passed, nothing saved: would import {summary}")
            return
        stakeholder_csv.apply_import(session, plan=plan, actor=None)
    click.echo(f"imported {summary}")

"""`rapport stakeholder erase EMAIL`: the right to erasure."""

from __future__ import annotations

import click

from survey import db


@click.group("stakeholder")
def stakeholder_group() -> None:
    """Business stakeholders: bulk import, erasure."""


@stakeholder_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def stakeholder_erase(email: str, yes: bool) -> None:
    """Erase a stakeholder: answers, comments, links, mail, queued jobs and the person.

    Trend points of their relationships go with them; project views recompute from what is
    left. The audit log records the erasure by id only.
    """
    from survey.cli import settings_or_fail
    from survey.erasure import RedisUnavailable, erase_stakeholder

    settings = settings_or_fail()
    if not yes:
        click.confirm(
            f"Erase {email} and everything they answered? This cannot be undone", abort=True
        )
    with db.session_scope(settings.database_url) as session:
        try:
            erasure = erase_stakeholder(
                session,
                email_address=email,
                redis_url=settings.redis_url,
                mailbox=settings.mailbox_dir,
            )
        except RedisUnavailable as exc:
            raise click.ClickException(
                f"{exc}. Nothing was erased: start Redis (rapport up) and run this again."
            ) from exc
    if erasure is None:
        raise click.ClickException(f"no stakeholder with email {email.strip().lower()}")
    rows = sum(erasure.rows.values())
    click.echo(
        f"erased stakeholder {erasure.stakeholder_id}: {rows} rows, "
        f"{erasure.mail_files} mail files, {erasure.jobs} queued jobs; "
        f"{len(erasure.project_ids)} projects' trends now exclude them"
    )

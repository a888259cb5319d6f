"""`rapport review` (the quarterly pack to a file), `rapport digests` (send due digests now)
and `rapport lessons` (send the lessons-learned template, export lessons)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import click
from sqlmodel import Session, select

from survey import db, lessons, review_render, reviews, waves
from survey.models import Attribution, Project, utcnow
from survey.quarters import Quarter


def _project(session: Session, code: str) -> Project:
    project = session.exec(select(Project).where(Project.code == code.upper())).first()
    if project is None:
        raise click.ClickException(f"no project with code {code}")
    return project


@click.command("review")
@click.option("--project", "code", required=True, help="Project code, e.g. FIN-ERP.")
@click.option("--quarter", required=True, help="Quarter, e.g. 2026Q1.")
@click.option(
    "--format", "fmt", type=click.Choice(["html", "pdf", "csv"]), default="html", show_default=True
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def review(code: str, quarter: str, fmt: str, output: Path) -> None:
    """Write a project's quarterly relationship review pack as HTML, PDF or CSV."""
    from survey.cli import settings_or_fail

    try:
        chosen = Quarter.parse(quarter)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        pack = reviews.build(session, project=_project(session, code), quarter=chosen)
        if fmt == "pdf":
            output.write_bytes(review_render.pdf(pack))
        elif fmt == "csv":
            output.write_text(review_render.to_csv(pack), encoding="utf-8")
        else:
            output.write_text(review_render.html(pack), encoding="utf-8")
    click.echo(f"{pack.project.code} {pack.quarter} review pack written to {output}")


@click.command("digests")
@click.option("--project", "code", default="", help="Only this project (default: all).")
def digests_cmd(code: str) -> None:
    """Send the digests due now, in this process (the scheduler does this every 15 minutes)."""
    from survey.cli import settings_or_fail
    from workers import digests

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        query = select(Project)
        if code:
            query = query.where(Project.code == _project(session, code).code)
        projects = [(p.id, p.code) for p in session.exec(query).all()]
    for project_id, project_code in projects:
        outcomes = digests.send_project_digests(project_id)  # type: ignore[arg-type]
        summary = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items()))
        click.echo(f"{project_code}: {summary or 'nobody on the plan'}")


@click.group("lessons")
def lessons_group() -> None:
    """Lessons learned: send the template, export what came back."""


@lessons_group.command("send")
@click.option("--project", "code", required=True)
@click.option("--closes-in", default=14, show_default=True, type=click.IntRange(1, 365))
@click.option("--confidential", is_flag=True, help="Lessons shown without names.")
def lessons_send(code: str, closes_in: int, confidential: bool) -> None:
    """Open a lessons-learned wave for the project's stakeholders; prints its id."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    now = utcnow()
    with db.session_scope(settings.database_url) as session:
        project = _project(session, code)
        try:
            wave = waves.create_wave(
                session,
                projects=[project],
                opens_at=now,
                closes_at=now + timedelta(days=closes_in),
                secret_key=settings.secret_key,
                attribution=Attribution.confidential if confidential else Attribution.attributed,
                title=f"Lessons learned: {project.name}",
                template_id=lessons.lessons_template(session).id,
            )
            waves.open_now(session, wave=wave, now=now)
        except waves.WaveError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        click.echo(wave.id)


@lessons_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--project", "code", default="")
@click.option("--search", "text", default="", help="Words the lesson must contain.")
def lessons_export(output: Path, code: str, text: str) -> None:
    """Write lessons (all projects, or one) as CSV."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        lessons.collect(session)
        ids = [_project(session, code).id] if code else list(session.exec(select(Project.id)))
        rows = lessons.search(session, project_ids=[i for i in ids if i is not None], text=text)
        names = lessons.names_for(session, [lesson for lesson, _ in rows])
        output.write_text(lessons.to_csv(rows, names), encoding="utf-8")
    click.echo(f"{len(rows)} lessons written to {output}")


COMMANDS = (review, digests_cmd, lessons_group)

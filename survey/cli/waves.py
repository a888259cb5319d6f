"""`rapport wave create | preview | send | close`: run a pulse from the command line."""

from __future__ import annotations

from datetime import timedelta

import click
from sqlmodel import Session, select

from survey import db, distribution, waves
from survey.models import Attribution, Project, Wave, WaveStatus, utcnow


@click.group("wave")
def wave_group() -> None:
    """Pulse waves: create, preview, send and close."""


def _wave(session: Session, wave_id: int) -> Wave:
    wave = session.get(Wave, wave_id)
    if wave is None:
        raise click.ClickException(f"no wave with id {wave_id}")
    return wave


@wave_group.command("create")
@click.option("--project", "codes", multiple=True, required=True, help="Project code (repeat).")
@click.option("--open-now", is_flag=True, help="Open at once instead of leaving a draft.")
@click.option("--closes-in", default=10, show_default=True, type=click.IntRange(1, 365))
@click.option("--reminders", default="3,6", show_default=True, help="Days after the invitation.")
@click.option("--confidential", is_flag=True, help="The PM sees no names, only groups of 3+.")
@click.option("--title", default="", help="Defaults to the month, e.g. 'May 2026 pulse'.")
def wave_create(
    codes: tuple[str, ...],
    open_now: bool,
    closes_in: int,
    reminders: str,
    confidential: bool,
    title: str,
) -> None:
    """Create a wave for all active relationships of the projects; prints its id."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    now = utcnow()
    with db.session_scope(settings.database_url) as session:
        projects = []
        for code in codes:
            project = session.exec(select(Project).where(Project.code == code.upper())).first()
            if project is None:
                raise click.ClickException(f"no project with code {code}")
            projects.append(project)
        try:
            wave = waves.create_wave(
                session,
                projects=projects,
                opens_at=now,
                closes_at=now + timedelta(days=closes_in),
                secret_key=settings.secret_key,
                reminders=waves.parse_reminder_days(reminders),
                attribution=Attribution.confidential if confidential else Attribution.attributed,
                title=title,
            )
            if open_now:
                waves.open_now(session, wave=wave, now=now)
        except waves.WaveError as exc:
            raise click.ClickException(str(exc)) from exc
        session.commit()
        _print_preview(session, wave, settings.fatigue_days)
        click.echo(wave.id)


def _print_preview(session: Session, wave: Wave, fatigue_days: int) -> None:
    """Tell the PM on stderr who will not get the invitation now, and why."""
    decisions = distribution.plan_invitations(
        session, wave=wave, now=utcnow(), fatigue_days=fatigue_days
    )
    sending = sum(1 for d in decisions if d.action == "send")
    click.echo(f"wave {wave.id} ({wave.status}): {sending} to invite now", err=True)
    for d in decisions:
        if d.action == "defer":
            when = f"{d.until:%Y-%m-%d}" if d.until else "later"
            click.echo(f"  deferred to {when}: {d.stakeholder.name} ({d.reason})", err=True)
        elif d.action == "skip":
            click.echo(f"  skipped: {d.stakeholder.name} ({d.reason})", err=True)


@wave_group.command("preview")
@click.argument("wave_id", type=int)
def wave_preview(wave_id: int) -> None:
    """Show who would be invited now, deferred or skipped, without sending."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        _print_preview(session, _wave(session, wave_id), settings.fatigue_days)


@wave_group.command("send")
@click.argument("wave_id", type=int)
def wave_send(wave_id: int) -> None:
    """Open the wave if needed and send what it owes now, in this process."""
    from survey.cli import settings_or_fail
    from workers import deliveries

    settings = settings_or_fail()
    now = utcnow()
    with db.session_scope(settings.database_url) as session:
        wave = _wave(session, wave_id)
        try:
            waves.open_now(session, wave=wave, now=now)
        except waves.WaveError as exc:
            raise click.ClickException(str(exc)) from exc
        distribution.plan(session, wave=wave, now=now, fatigue_days=settings.fatigue_days)
        session.commit()
        total = len(distribution.pending_ids(session, wave_id=wave_id, now=now))
    with click.progressbar(
        length=total, label=f"wave {wave_id}", file=click.get_text_stream("stderr")
    ) as bar:
        outcomes = deliveries.send_due(
            settings, wave_id=wave_id, now=now, progress=bar.update, plan_first=False
        )
    summary = ", ".join(f"{n} {what}" for what, n in sorted(outcomes.items())) or "nothing due"
    click.echo(f"wave {wave_id}: {summary}")
    if outcomes["retry"] or outcomes["failed"]:
        raise click.ClickException(
            f"{outcomes['retry']} to retry and {outcomes['failed']} failed; "
            "the scheduler retries the temporary failures"
        )


@wave_group.command("close")
@click.argument("wave_id", type=int)
def wave_close(wave_id: int) -> None:
    """Close the wave now: no more answers, and reminders not yet sent are cancelled."""
    from survey.cli import settings_or_fail

    settings = settings_or_fail()
    with db.session_scope(settings.database_url) as session:
        wave = _wave(session, wave_id)
        if wave.status == WaveStatus.closed:
            raise click.ClickException(f"wave {wave_id} is already closed")
        waves.close(session, wave=wave, now=utcnow())
        counts = waves.counts(session, wave_id=wave_id)
    click.echo(f"wave {wave_id} closed: {counts.answered} of {counts.emailed} answered")

"""Waves for the PM: create (CSRF-protected form), preview who gets it, schedule, follow, close."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlmodel import Session, col, select

from survey import distribution, mail_problems, queries, wave_results, waves
from survey.dashboard import bp
from survey.models import (
    Attribution,
    Invitation,
    MailDelivery,
    MailSuppression,
    Relationship,
    Role,
    Stakeholder,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.web.session import get_session, settings


def _visible_wave(session: Session, wave_id: int) -> Wave:
    """The wave if the user may see one of its projects; 404 otherwise."""
    wave = session.get(Wave, wave_id)
    if wave is None:
        abort(404)
    mine = {p.id for p in queries.visible_projects(session, user=current_user)}
    if not mine & {p.id for p in waves.projects_of(session, wave_id=wave_id)}:
        abort(404)
    return wave


def _may_change() -> None:
    if current_user.role == Role.viewer:
        abort(403)


def _changeable_wave(session: Session, wave_id: int) -> Wave:
    """The wave if the user may schedule or close it: 404 when they may not see it, 403
    when it also mails people of projects they do not manage."""
    _may_change()
    wave = _visible_wave(session, wave_id)
    if not waves.may_change(current_user, waves.projects_of(session, wave_id=wave_id)):
        abort(403)
    return wave


@bp.get("/waves")
@login_required
def wave_list():  # type: ignore[no-untyped-def]
    """Waves covering the user's projects, newest first, with response rates."""
    session = get_session()
    mine = [p.id for p in queries.visible_projects(session, user=current_user)]
    found = session.exec(
        select(Wave)
        .join(WaveProject, col(WaveProject.wave_id) == col(Wave.id))
        .where(col(WaveProject.project_id).in_(mine))
        .distinct()
        .order_by(col(Wave.opens_at).desc())
    ).all()
    # A wave shared with other PMs' projects counts only the invitations of the user's own.
    rows = [
        (w, waves.counts(session, wave_id=w.id, project_ids=mine))  # type: ignore[arg-type]
        for w in found
    ]
    return render_template("dashboard/wave_list.html", rows=rows)


def _candidates(session: Session) -> list[tuple]:
    projects = queries.visible_projects(session, user=current_user)
    out = []
    for project in projects:
        people = session.exec(
            select(Relationship, Stakeholder)
            .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
            .where(Relationship.project_id == project.id, col(Relationship.active))
            .order_by(col(Stakeholder.name))
        ).all()
        out.append((project, people))
    return out


def _day(raw: str, default: date) -> date:
    try:
        return date.fromisoformat(raw) if raw else default
    except ValueError as exc:
        raise waves.WaveError(f"not a date: {raw!r} (use YYYY-MM-DD)") from exc


def _create_from_form(session: Session) -> Wave:
    form = request.form
    now = utcnow()
    project_ids = {int(p) for p in form.getlist("project") if p.isdigit()}
    projects = [
        p for p in queries.visible_projects(session, user=current_user) if p.id in project_ids
    ]
    opens = _day(form.get("opens_on", ""), now.date())
    closes = _day(form.get("closes_on", ""), now.date() + timedelta(days=10))
    opens_at = max(now, datetime.combine(opens, time(), UTC))
    chosen = None
    if form.get("recipients") == "chosen":
        chosen = [int(r) for r in form.getlist("relationship") if r.isdigit()]
    return waves.create_wave(
        session,
        projects=projects,
        opens_at=opens_at,
        closes_at=datetime.combine(closes + timedelta(days=1), time(), UTC),
        secret_key=settings().secret_key,
        relationship_ids=chosen,
        reminders=waves.parse_reminder_days(form.get("reminder_days", "3,6")),
        attribution=Attribution(form.get("attribution", "attributed")),
        title=form.get("title", "")[:200],
        created_by_id=current_user.id,
    )


@bp.route("/waves/new", methods=["GET", "POST"])
@login_required
def wave_new():  # type: ignore[no-untyped-def]
    """The new-wave form; a created wave is a draft until the PM confirms the preview."""
    _may_change()
    session = get_session()
    error = None
    if request.method == "POST":
        try:
            wave = _create_from_form(session)
        except (waves.WaveError, ValueError) as exc:
            session.rollback()
            error = str(exc)
        else:
            session.commit()
            return redirect(url_for("dashboard.wave_detail", wave_id=wave.id), code=303)
    today = utcnow().date()
    return render_template(
        "dashboard/wave_new.html",
        candidates=_candidates(session),
        error=error,
        form=request.form,
        today=today,
        default_close=today + timedelta(days=10),
    ), (400 if error else 200)


@bp.get("/waves/<int:wave_id>")
@login_required
def wave_detail(wave_id: int):  # type: ignore[no-untyped-def]
    """A wave: the preview (drafts), response rate, recipients and results."""
    session = get_session()
    wave = _visible_wave(session, wave_id)
    # A wave may cover projects the user cannot see: leave their people and results out.
    mine = {p.id for p in queries.visible_projects(session, user=current_user)}
    projects = waves.projects_of(session, wave_id=wave_id)
    all_mine = all(p.id in mine for p in projects)
    shown = [p for p in projects if p.id in mine]
    my_people = set(
        session.exec(
            select(Relationship.id).where(col(Relationship.project_id).in_([p.id for p in shown]))
        ).all()
    )
    preview = None
    if wave.status in (WaveStatus.draft, WaveStatus.scheduled):
        preview = [
            d
            for d in distribution.plan_invitations(
                session,
                wave=wave,
                now=max(utcnow(), wave.opens_at),
                fatigue_days=settings().fatigue_days,
            )
            if d.invitation.relationship_id in my_people
        ]
    keys, results = wave_results.results(session, wave=wave)
    troubles = mail_problems.for_wave(session, wave_id=wave_id, now=utcnow())
    return render_template(
        "dashboard/wave_detail.html",
        wave=wave,
        projects=shown,
        may_change=waves.may_change(current_user, projects),
        counts=waves.counts(session, wave_id=wave_id, project_ids=mine),
        preview=preview,
        recipients=[r for r in wave_results.recipients(session, wave=wave) if r.project.id in mine],
        keys=keys,
        results=[r for r in results if r.project_id in mine or (r.project_id is None and all_mine)],
        confidential=wave.attribution == Attribution.confidential,
        mail_problems=[t for t in troubles if t.project.id in mine],
    )


@bp.post("/waves/<int:wave_id>/schedule")
@login_required
def wave_schedule(wave_id: int):  # type: ignore[no-untyped-def]
    """Confirm the preview: the wave opens (and mails) at its opening time."""
    session = get_session()
    wave = _changeable_wave(session, wave_id)
    try:
        distribution.confirm(session, wave=wave, now=utcnow(), settings=settings())
    except waves.WaveError as exc:
        flash(str(exc))
        return redirect(url_for("dashboard.wave_detail", wave_id=wave_id), code=303)
    flash(
        "The wave is open and its invitations are on their way."
        if wave.status == "open"
        else f"The wave opens on {wave.opens_at:%-d %B %Y}."
    )
    return redirect(url_for("dashboard.wave_detail", wave_id=wave_id), code=303)


@bp.post("/waves/<int:wave_id>/close")
@login_required
def wave_close(wave_id: int):  # type: ignore[no-untyped-def]
    """Close the wave now; reminders not yet sent are cancelled."""
    session = get_session()
    waves.close(session, wave=_changeable_wave(session, wave_id), now=utcnow())
    session.commit()
    flash("The wave is closed.")
    return redirect(url_for("dashboard.wave_detail", wave_id=wave_id), code=303)


@bp.post("/waves/<int:wave_id>/bounces/<int:stakeholder_id>/clear")
@login_required
def bounce_clear(wave_id: int, stakeholder_id: int):  # type: ignore[no-untyped-def]
    """The PM fixed a bounced address: mail to it may go again."""
    _may_change()
    session = get_session()
    wave = _visible_wave(session, wave_id)
    mine = {p.id for p in queries.visible_projects(session, user=current_user)}
    if stakeholder_id not in {
        r.stakeholder.id
        for r in wave_results.recipients(session, wave=wave)
        if r.project.id in mine
    }:
        abort(404)
    for row in session.exec(
        select(MailSuppression).where(MailSuppression.stakeholder_id == stakeholder_id)
    ):
        session.delete(row)
    session.commit()
    flash("The address will be tried again.")
    return redirect(url_for("dashboard.wave_detail", wave_id=wave_id), code=303)


def _back_to_mail(wave_id: int):  # type: ignore[no-untyped-def]
    return redirect(
        url_for("dashboard.wave_detail", wave_id=wave_id, _anchor="mail-problems"), code=303
    )


@bp.post("/waves/<int:wave_id>/mail/<int:delivery_id>/send-again")
@login_required
def mail_send_again(wave_id: int, delivery_id: int):  # type: ignore[no-untyped-def]
    """Send one failed email of the wave again, through the mail queue like any other."""
    _may_change()
    session = get_session()
    _visible_wave(session, wave_id)
    delivery = session.get(MailDelivery, delivery_id)
    if delivery is None or delivery.wave_id != wave_id:
        abort(404)
    project_id = session.exec(
        select(Relationship.project_id)
        .join(Invitation, col(Invitation.relationship_id) == col(Relationship.id))
        .where(Invitation.id == delivery.invitation_id)
    ).one()
    if project_id not in {p.id for p in queries.visible_projects(session, user=current_user)}:
        abort(404)
    why_not = mail_problems.send_again(
        session, delivery=delivery, actor_id=current_user.id, now=utcnow()
    )
    session.commit()
    if why_not is not None:
        flash(f"The email was not sent again: {why_not}.")
        return _back_to_mail(wave_id)
    distribution.hand_to_mail_queue(settings().redis_url, wave_id=wave_id)
    flash("The email will be sent again in a moment.")
    return _back_to_mail(wave_id)


@bp.post("/waves/<int:wave_id>/mail/send-again")
@login_required
def mail_send_failed_again(wave_id: int):  # type: ignore[no-untyped-def]
    """Send every failed email of the wave's visible projects again."""
    _may_change()
    session = get_session()
    _visible_wave(session, wave_id)
    mine = {p.id for p in queries.visible_projects(session, user=current_user)}
    now = utcnow()
    outcomes = mail_problems.send_failed_again(
        session,
        problems=[
            p
            for p in mail_problems.for_wave(session, wave_id=wave_id, now=now)
            if p.project.id in mine
        ],
        actor_id=current_user.id,
        now=now,
    )
    session.commit()
    queued = outcomes.pop(None, 0)
    if queued:
        distribution.hand_to_mail_queue(settings().redis_url, wave_id=wave_id)
    held = "; ".join(f"{n} because {why}" for why, n in outcomes.most_common())
    if not queued and not held:
        flash("No failed email to send again.")
    else:
        flash(
            f"{queued} email{'' if queued == 1 else 's'} will be sent again in a moment."
            + (f" Not sent again: {held}." if held else "")
        )
    return _back_to_mail(wave_id)

"""POST /api/v1/waves creates a wave; GET /api/v1/waves/<id> reads its state and rate.

A wave may cover several PMs' projects: its document names, and counts, only those the
caller may see.
"""

from __future__ import annotations

from datetime import datetime

from flask import g, jsonify, request
from sqlmodel import Session, col, select

from survey import distribution, queries, waves
from survey.api import bp
from survey.api.paging import ApiError, forbidden, not_found
from survey.api.tokens import require_token
from survey.models import (
    Attribution,
    Project,
    Role,
    User,
    Wave,
    WaveProject,
    utcnow,
)
from survey.web.errors import error_body
from survey.web.session import get_session, settings


def _bad(message: str, field: str | None = None):  # type: ignore[no-untyped-def]
    fields = {field: message} if field else {}
    return jsonify(error_body("invalid", message, fields)), 400


def _when(raw: object, field: str) -> datetime:
    if not isinstance(raw, str):
        raise waves.WaveError(f"{field} must be an ISO 8601 date-time string")
    try:
        value = datetime.fromisoformat(raw)
    except ValueError as exc:
        raise waves.WaveError(f"{field} is not an ISO 8601 date-time: {raw!r}") from exc
    if value.utcoffset() is None:
        raise waves.WaveError(f"{field} needs a time zone, e.g. 2026-06-01T09:00:00Z")
    return value


def _projects(session: Session, *, wave_id: int, user: User) -> list[Project]:
    """The wave's projects the user may see, by code: a shared wave names no others."""
    query = (
        select(Project)
        .join(WaveProject, col(WaveProject.project_id) == col(Project.id))
        .where(WaveProject.wave_id == wave_id)
        .order_by(col(Project.code))
    )
    return list(session.exec(queries.only_visible(query, user=user)).all())


def _wave_json(wave: Wave, projects: list[Project]) -> dict:
    """The wave as `projects` (those the caller may see) see it: their codes and counts."""
    ids = [p.id for p in projects]
    counts = waves.counts(get_session(), wave_id=wave.id, project_ids=ids)  # type: ignore[arg-type]
    return {
        "id": wave.id,
        "title": wave.title,
        "status": wave.status,
        "attribution": wave.attribution,
        "opens_at": wave.opens_at.isoformat(),
        "closes_at": wave.closes_at.isoformat(),
        "reminder_days": list(waves.reminder_days(wave)),
        "projects": [p.code for p in projects],
        "counts": {
            k: getattr(counts, k)
            for k in ("invited", "emailed", "answered", "bounced", "unsubscribed", "deferred")
        },
    }


@bp.post("/waves")
@require_token
def wave_create():  # type: ignore[no-untyped-def]
    """Create a wave (a draft unless "schedule": true) and return it with the preview."""
    if g.api_user.role == Role.viewer:
        return jsonify(error_body("forbidden", "Viewers cannot create waves.")), 403
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _bad("send a JSON object")
    session = get_session()
    codes = body.get("projects")
    if not isinstance(codes, list) or not codes or not all(isinstance(c, str) for c in codes):
        return _bad("projects must be a non-empty list of project codes", "projects")
    projects = [queries.project_for(session, user=g.api_user, code=c) for c in codes]
    if any(p is None for p in projects):
        return _bad("unknown project (or not yours)", "projects")
    ids = body.get("relationship_ids")
    if ids is not None and not (isinstance(ids, list) and all(type(i) is int for i in ids)):
        return _bad("relationship_ids must be a list of integers", "relationship_ids")
    reminders = body.get("reminder_days", list(waves.DEFAULT_REMINDER_DAYS))
    try:
        if not (isinstance(reminders, list) and all(type(d) is int for d in reminders)):
            raise waves.WaveError("reminder_days must be a list of whole days")
        attribution = Attribution(body.get("attribution", "attributed"))
        now = utcnow()
        wave = waves.create_wave(
            session,
            projects=projects,  # type: ignore[arg-type]
            opens_at=_when(body["opens_at"], "opens_at") if "opens_at" in body else now,
            closes_at=_when(body.get("closes_at"), "closes_at"),
            secret_key=settings().secret_key,
            relationship_ids=ids,
            reminders=reminders,
            attribution=attribution,
            title=str(body.get("title", ""))[:200],
            created_by_id=g.api_user.id,
        )
        if body.get("schedule") is True:
            waves.schedule(session, wave=wave)
    except (waves.WaveError, ValueError) as exc:
        session.rollback()
        return _bad(str(exc))
    preview = distribution.plan_invitations(
        session, wave=wave, now=max(now, wave.opens_at), fatigue_days=settings().fatigue_days
    )
    if wave.status == "scheduled":
        distribution.start(
            session,
            wave=wave,
            now=now,
            settings=settings(),
        )
    session.commit()
    held = [
        {
            "stakeholder": d.stakeholder.name,
            "action": d.action,
            "reason": d.reason,
            "until": d.until.isoformat() if d.until else None,
        }
        for d in preview
        if d.action != "send"
    ]
    shown = _projects(session, wave_id=wave.id, user=g.api_user)  # type: ignore[arg-type]
    return jsonify({"wave": _wave_json(wave, shown), "not_invited_now": held}), 201


def _visible(session: Session, wave_id: int) -> tuple[Wave, list[Project]]:
    """The wave and its projects the caller may see; a 404 when there are none."""
    wave = session.get(Wave, wave_id)
    shown = _projects(session, wave_id=wave_id, user=g.api_user) if wave else []
    if wave is None or not shown:
        raise not_found("wave")
    return wave, shown


def _changeable(session: Session, wave_id: int) -> tuple[Wave, list[Project]]:
    """`_visible`, and a 403 unless the caller may change every project the wave mails."""
    wave, shown = _visible(session, wave_id)
    if not waves.may_change(g.api_user, waves.projects_of(session, wave_id=wave_id)):
        raise forbidden("Only an admin or the PM of every project of the wave can change it.")
    return wave, shown


@bp.get("/waves/<int:wave_id>")
@require_token
def wave_read(wave_id: int):  # type: ignore[no-untyped-def]
    """A wave's state and response rate, over the projects of it the caller may see."""
    wave, shown = _visible(get_session(), wave_id)
    return jsonify({"wave": _wave_json(wave, shown)})


@bp.post("/waves/<int:wave_id>/send")
@require_token
def wave_send(wave_id: int):  # type: ignore[no-untyped-def]
    """Confirm a draft: it opens, and its invitations go, at its opening time (or now)."""
    session = get_session()
    wave, shown = _changeable(session, wave_id)
    try:
        distribution.confirm(session, wave=wave, now=utcnow(), settings=settings())
    except waves.WaveError as exc:
        raise ApiError(409, "conflict", str(exc)) from exc
    return jsonify({"wave": _wave_json(wave, shown)})


@bp.post("/waves/<int:wave_id>/close")
@require_token
def wave_close(wave_id: int):  # type: ignore[no-untyped-def]
    """Close the wave now: no more answers, and reminders not yet sent are cancelled.
    Closing a closed wave changes nothing and answers the same."""
    session = get_session()
    wave, shown = _changeable(session, wave_id)
    waves.close(session, wave=wave, now=utcnow())
    session.commit()
    return jsonify({"wave": _wave_json(wave, shown)})

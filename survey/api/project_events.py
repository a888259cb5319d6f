"""POST /api/v1/projects/<code>/events: a project event that may trigger a pulse; GET lists them."""

from __future__ import annotations

from flask import g, jsonify, request

from survey import distribution, pm_actions, project_events
from survey.api import bp
from survey.api.portfolio import project_or_404
from survey.api.tokens import require_token
from survey.models import ProjectEvent, Wave
from survey.web.errors import error_body
from survey.web.session import get_session, settings


def event_json(event: ProjectEvent, wave: Wave | None) -> dict:
    """An event with the pulse it triggered (ids and dates; the note is the sender's own)."""
    return {
        "id": event.id,
        "kind": event.kind,
        "note": event.note,
        "occurred_at": event.occurred_at.isoformat(),
        "received_at": event.received_at.isoformat(),
        "idempotency_key": event.idempotency_key,
        "outcome": event.outcome,
        "wave": None
        if wave is None
        else {
            "id": wave.id,
            "status": wave.status,
            "opens_at": wave.opens_at.isoformat(),
            "closes_at": wave.closes_at.isoformat(),
        },
    }


@bp.post("/projects/<code>/events")
@require_token
def project_event_create(code: str):  # type: ignore[no-untyped-def]
    """Record a project event; with a matching rule it creates and schedules a pulse wave.

    Send an Idempotency-Key header (or "external_id"): a repeat returns the first event, 200.
    """
    session = get_session()
    project = project_or_404(code)
    if not pm_actions.can_change(g.api_user, project):
        return jsonify(error_body("forbidden", "Only the project's PM may post events.")), 403
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify(error_body("invalid", "send a JSON object")), 400
    key = request.headers.get("Idempotency-Key") or body.get("external_id")
    if key is not None and not isinstance(key, str):
        fields = {"external_id": "must be text"}
        return jsonify(error_body("invalid", "external_id must be text", fields)), 400
    try:
        received = project_events.receive(
            session,
            project=project,
            data=body,
            key=key.strip() if key else None,
            actor=g.api_user,
            secret_key=settings().secret_key,
        )
    except pm_actions.InputError as exc:
        session.rollback()
        return jsonify(error_body("invalid", str(exc), exc.fields)), 400
    if received.created and received.wave is not None:
        # Opens it (and queues its mail, fatigue permitting) when its time is now; commits.
        distribution.start(
            session,
            wave=received.wave,
            now=received.event.received_at,
            settings=settings(),
        )
    session.commit()
    status = 201 if received.created else 200
    return jsonify({"event": event_json(received.event, received.wave)}), status


@bp.get("/projects/<code>/events")
@require_token
def project_event_list(code: str):  # type: ignore[no-untyped-def]
    """The project's latest events, newest first, with the waves they triggered."""
    project = project_or_404(code)
    rows = project_events.recent(get_session(), project_id=project.id)  # type: ignore[arg-type]
    return jsonify({"project": project.code, "events": [event_json(e, w) for e, w in rows]})

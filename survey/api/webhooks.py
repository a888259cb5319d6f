"""Webhook endpoints over the API: list, create (the secret is returned once), change or
deactivate, and read the delivery log. Deleting one (with its log) is done on the page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import g, jsonify, request
from sqlmodel import Session

from survey import pm_actions, queries, webhooks
from survey.api import bp
from survey.api.paging import ApiError, not_found
from survey.api.tokens import require_token
from survey.models import Project, Role, WebhookEndpoint
from survey.web.errors import error_body
from survey.web.session import get_session, settings

Result = TypeVar("Result")


def _when(value):  # type: ignore[no-untyped-def]
    return value.isoformat() if value is not None else None


def endpoint_json(session: Session, endpoint: WebhookEndpoint) -> dict:
    """An endpoint as the API shows it: never its secret."""
    project = session.get(Project, endpoint.project_id) if endpoint.project_id else None
    return {
        "id": endpoint.id,
        "project": project.code if project else None,
        "url": endpoint.url,
        "events": list(endpoint.event_kinds),
        "description": endpoint.description,
        "active": endpoint.active,
        "created_at": endpoint.created_at.isoformat(),
    }


def _body() -> dict:
    """The request's JSON object, or a 400 (these endpoints' wording, kept for their clients)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid", "send a JSON object")
    return body


def _save_endpoint(write: Callable[..., Result], **arguments: object) -> Result:
    """Run `write` (create or update an endpoint) under this instance's URL rules and commit;
    bad input rolls back and is a 400 naming each field. Both writes must check URLs alike."""
    session = get_session()
    try:
        result = write(
            session,
            actor=g.api_user,
            production=settings().production,
            allow_private=settings().webhook_allow_private,
            **arguments,
        )
    except pm_actions.InputError as exc:
        raise ApiError(400, "invalid", str(exc), exc.fields) from exc
    session.commit()
    return result


@bp.get("/webhooks")
@require_token
def webhook_list():  # type: ignore[no-untyped-def]
    """Webhook endpoints you may manage (admins: all, PMs: their projects')."""
    session = get_session()
    endpoints = webhooks.visible_endpoints(session, user=g.api_user)
    return jsonify({"webhooks": [endpoint_json(session, e) for e in endpoints]})


@bp.post("/webhooks")
@require_token
def webhook_create():  # type: ignore[no-untyped-def]
    """Add an endpoint; the response carries its signing secret, which is never shown again."""
    if g.api_user.role == Role.viewer:
        return jsonify(error_body("forbidden", "Viewers cannot add webhooks.")), 403
    body = _body()
    session = get_session()
    project = None
    code = body.get("project")
    if code is not None:
        project = queries.project_for(session, user=g.api_user, code=str(code))
        if project is None or not pm_actions.can_change(g.api_user, project):
            fields = {"project": "unknown project (or not yours)"}
            return jsonify(error_body("invalid", "unknown project", fields)), 400
    endpoint, secret = _save_endpoint(webhooks.create_endpoint, project=project, data=body)
    return jsonify({"webhook": endpoint_json(session, endpoint), "secret": secret}), 201


def _owned(endpoint_id: int) -> WebhookEndpoint:
    """The endpoint if the token's user manages it; a 404 otherwise, as if it did not exist."""
    endpoint = webhooks.endpoint_for(get_session(), user=g.api_user, endpoint_id=endpoint_id)
    if endpoint is None:
        raise not_found("webhook endpoint")
    return endpoint


@bp.get("/webhooks/<int:endpoint_id>")
@require_token
def webhook_read(endpoint_id: int):  # type: ignore[no-untyped-def]
    """One endpoint (without its secret)."""
    endpoint = _owned(endpoint_id)
    return jsonify({"webhook": endpoint_json(get_session(), endpoint)})


@bp.post("/webhooks/<int:endpoint_id>")
@require_token
def webhook_update(endpoint_id: int):  # type: ignore[no-untyped-def]
    """Change url, events, description or active; keys left out stay as they are."""
    endpoint = _owned(endpoint_id)
    _save_endpoint(webhooks.update_endpoint, endpoint=endpoint, data=_body())
    return jsonify({"webhook": endpoint_json(get_session(), endpoint)})


@bp.get("/webhooks/<int:endpoint_id>/deliveries")
@require_token
def webhook_deliveries(endpoint_id: int):  # type: ignore[no-untyped-def]
    """The endpoint's latest attempts, newest first, and what still waits for a retry."""
    _owned(endpoint_id)  # another PM's log is a 404, like a missing one
    session = get_session()
    attempts = webhooks.recent_attempts(session, endpoint_id=endpoint_id)
    waiting = webhooks.pending_deliveries(session, endpoint_id=endpoint_id)
    return jsonify(
        {
            "attempts": [
                {
                    "delivery": delivery.uid,
                    "event": event.uid,
                    "type": event.kind,
                    "attempted_at": attempt.attempted_at.isoformat(),
                    "status_code": attempt.status_code,
                    "duration_ms": attempt.duration_ms,
                    "error": attempt.error,
                    "outcome": attempt.outcome,
                    "next_retry_at": _when(attempt.next_retry_at),
                }
                for attempt, delivery, event in attempts
            ],
            "pending": [
                {
                    "delivery": delivery.uid,
                    "event": event.uid,
                    "type": event.kind,
                    "attempts": delivery.attempts,
                    "next_attempt_at": delivery.next_attempt_at.isoformat(),
                }
                for delivery, event in waiting
            ],
        }
    )

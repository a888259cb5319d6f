"""Outgoing webhook endpoints: who may manage which, input checks, and recording events.

Keyword-only functions on a session; the caller commits. No Flask here: the workers record
events through `emit` inside the transaction that makes them true.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey import audit, webhook_targets
from survey.models import (
    Project,
    Role,
    User,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from survey.pm_actions import InputError

RESPONSE_SCORED = "response.scored"
ALERT_RAISED = "alert.raised"
WAVE_CLOSED = "wave.closed"
REVIEW_READY = "review.ready"
KINDS = (RESPONSE_SCORED, ALERT_RAISED, WAVE_CLOSED, REVIEW_READY)
KIND_LABELS = {
    RESPONSE_SCORED: "a response was scored",
    ALERT_RAISED: "an alert was raised",
    WAVE_CLOSED: "a wave closed",
    REVIEW_READY: "a review pack is ready",
}
URL_MAX = 500
DESCRIPTION_MAX = 120


def new_secret() -> str:
    """A fresh signing secret (shown to its creator once)."""
    return "whsec_" + secrets.token_urlsafe(32)


def new_uid(prefix: str) -> str:
    """A public id for an event or delivery, e.g. "dlv_3f2a..."."""
    return f"{prefix}_{uuid.uuid4().hex}"


# --- Access -----------------------------------------------------------------------------------


def visible_endpoints(session: Session, *, user: User) -> list[WebhookEndpoint]:
    """Admins see every endpoint, a PM those of their projects, viewers none."""
    query = select(WebhookEndpoint).order_by(col(WebhookEndpoint.id))
    if user.role == Role.pm:
        query = query.join(Project, col(Project.id) == col(WebhookEndpoint.project_id)).where(
            Project.pm_id == user.id
        )
    elif user.role != Role.admin:
        return []
    return list(session.exec(query).all())


def endpoint_for(session: Session, *, user: User, endpoint_id: int) -> WebhookEndpoint | None:
    """The endpoint if the user may manage it; None otherwise (callers 404)."""
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or user.role == Role.admin:
        return endpoint
    if user.role != Role.pm or endpoint.project_id is None:
        return None
    project = session.get(Project, endpoint.project_id)
    return endpoint if project is not None and project.pm_id == user.id else None


def manageable_projects(session: Session, *, user: User) -> list[Project]:
    """Projects the user may attach endpoints to."""
    query = select(Project).order_by(col(Project.code))
    if user.role == Role.pm:
        query = query.where(Project.pm_id == user.id)
    elif user.role != Role.admin:
        return []
    return list(session.exec(query).all())


# --- Input ------------------------------------------------------------------------------------


def check_url(value: object, *, production: bool, allow_private: bool | None = None) -> str:
    """An absolute http(s) URL (https only in production) whose host is not on a local or
    private network unless `allow_private` (default: outside production); raises ValueError."""
    url = value.strip() if isinstance(value, str) else ""
    parts = urlsplit(url)
    if not url or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// URL")
    if len(url) > URL_MAX:
        raise ValueError(f"must be at most {URL_MAX} characters")
    if production and parts.scheme != "https":
        raise ValueError("must use https")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    # Checked again right before every delivery: what a name resolves to can change.
    webhook_targets.check_url(
        url, allow_private=not production if allow_private is None else allow_private
    )
    return url


def check_events(value: object) -> str:
    """Subscribed kinds as stored ("a,b"); raises ValueError unless a non-empty known list."""
    items = value if isinstance(value, list | tuple) else []
    if not items or not all(isinstance(k, str) for k in items):
        raise ValueError(f"choose at least one of {', '.join(KINDS)}")
    unknown = sorted(set(items) - set(KINDS))
    if unknown:
        raise ValueError(f"unknown event kind {unknown[0]!r}")
    return ",".join(k for k in KINDS if k in items)


def _apply(
    endpoint: WebhookEndpoint,
    data: Mapping[str, object],
    *,
    production: bool,
    allow_private: bool | None,
    partial: bool,
) -> None:
    errors: dict[str, str] = {}
    if "url" in data or not partial:
        try:
            endpoint.url = check_url(
                data.get("url"), production=production, allow_private=allow_private
            )
        except ValueError as exc:
            errors["url"] = str(exc)
    if "events" in data or not partial:
        try:
            endpoint.events = check_events(data.get("events"))
        except ValueError as exc:
            errors["events"] = str(exc)
    if "description" in data:
        text = data.get("description")
        if not isinstance(text, str) or len(text.strip()) > DESCRIPTION_MAX:
            errors["description"] = f"must be text of at most {DESCRIPTION_MAX} characters"
        else:
            endpoint.description = text.strip()
    if "active" in data:
        if not isinstance(data["active"], bool):
            errors["active"] = "must be true or false"
        else:
            endpoint.active = data["active"]
    if errors:
        raise InputError(errors)


def create_endpoint(
    session: Session,
    *,
    project: Project | None,
    data: Mapping[str, object],
    actor: User,
    production: bool,
    allow_private: bool | None = None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its raw secret; project None (global) is for admins only."""
    if project is None and actor.role != Role.admin:
        raise InputError({"project": "only an admin may add a global endpoint"})
    secret = new_secret()
    endpoint = WebhookEndpoint(
        project_id=project.id if project else None,
        url="",
        secret=secret,
        events="",
        created_by_id=actor.id,
    )
    _apply(endpoint, data, production=production, allow_private=allow_private, partial=False)
    session.add(endpoint)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="webhook.create",
        target_kind="webhook_endpoint",
        target_id=endpoint.id,
        detail={"project_id": endpoint.project_id},
    )
    return endpoint, secret


def update_endpoint(
    session: Session,
    *,
    endpoint: WebhookEndpoint,
    data: Mapping[str, object],
    actor: User,
    production: bool,
    allow_private: bool | None = None,
) -> WebhookEndpoint:
    """Change the URL, events, description or active flag (only the keys given)."""
    _apply(endpoint, data, production=production, allow_private=allow_private, partial=True)
    session.add(endpoint)
    audit.record(
        session,
        actor_id=actor.id,
        action="webhook.update",
        target_kind="webhook_endpoint",
        target_id=endpoint.id,
        detail={"active": endpoint.active},
    )
    return endpoint


def delete_endpoint(session: Session, *, endpoint: WebhookEndpoint, actor: User) -> None:
    """Remove the endpoint with its deliveries and log."""
    endpoint_id = endpoint.id
    session.execute(delete(WebhookAttempt).where(col(WebhookAttempt.endpoint_id) == endpoint_id))
    session.execute(delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == endpoint_id))
    session.delete(endpoint)
    audit.record(
        session,
        actor_id=actor.id,
        action="webhook.delete",
        target_kind="webhook_endpoint",
        target_id=endpoint_id,
    )


def recent_attempts(session: Session, *, endpoint_id: int, limit: int = 25) -> list[tuple]:
    """The endpoint's latest attempts, newest first: (attempt, delivery, event)."""
    return list(
        session.exec(
            select(WebhookAttempt, WebhookDelivery, WebhookEvent)
            .join(WebhookDelivery, col(WebhookDelivery.id) == col(WebhookAttempt.delivery_id))
            .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
            .where(WebhookAttempt.endpoint_id == endpoint_id)
            .order_by(col(WebhookAttempt.id).desc())
            .limit(limit)
        ).all()
    )


def pending_deliveries(session: Session, *, endpoint_id: int, limit: int = 25) -> list[tuple]:
    """Deliveries still waiting for their (next) attempt: (delivery, event), oldest first."""
    return list(
        session.exec(
            select(WebhookDelivery, WebhookEvent)
            .join(WebhookEvent, col(WebhookEvent.id) == col(WebhookDelivery.event_id))
            .where(WebhookDelivery.endpoint_id == endpoint_id)
            .where(WebhookDelivery.status == "pending")
            .order_by(col(WebhookDelivery.next_attempt_at))
            .limit(limit)
        ).all()
    )


# --- Recording events -------------------------------------------------------------------------


def subscribers(session: Session, kind: str) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to `kind` (project and global ones)."""
    rows = session.exec(
        select(WebhookEndpoint)
        .where(col(WebhookEndpoint.active))
        .where(col(WebhookEndpoint.events).contains(kind))
    ).all()
    return [e for e in rows if kind in e.event_kinds]


def emit(
    session: Session,
    kind: str,
    *,
    project_id: int,
    dedupe_key: str,
    data: Mapping[str, object],
    endpoints: Sequence[WebhookEndpoint] | None = None,
) -> WebhookEvent | None:
    """Record an event and one delivery per subscribed endpoint, in the caller's transaction.

    `data` must hold ids and scores only. Returns None when nobody listens or the same fact
    (`dedupe_key`) was recorded before. Pass `endpoints` (from `subscribers`) in loops.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown webhook event kind {kind!r}")
    listening = [
        e
        for e in (subscribers(session, kind) if endpoints is None else endpoints)
        if e.project_id in (None, project_id)
    ]
    if not listening:
        return None
    project = session.get(Project, project_id)
    event = WebhookEvent(
        uid=new_uid("evt"),
        kind=kind,
        project_id=project_id,
        dedupe_key=dedupe_key[:160],
    )
    event.payload = {
        "id": event.uid,
        "type": kind,
        "created_at": event.created_at.isoformat(),
        "project": {"id": project_id, "code": project.code if project else None},
        "data": dict(data),
    }
    try:
        # A repeat of the same fact (a job run twice) is refused here, and only this insert
        # is undone.
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        return None
    now = utcnow()
    session.add_all(
        WebhookDelivery(
            uid=new_uid("dlv"),
            endpoint_id=e.id,  # type: ignore[arg-type]
            event_id=event.id,  # type: ignore[arg-type]
            next_attempt_at=now,
        )
        for e in listening
    )
    return event

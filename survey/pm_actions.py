"""What a PM records: status reports, alert handling, follow-up actions. No Flask here.

Each function validates its input (raising InputError with per-field messages), changes the
session and leaves the commit to the caller, like every view.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session

from survey import audit, webhook_targets
from survey.models import (
    ActionStatus,
    Alert,
    AlertStatus,
    FollowUpAction,
    Project,
    Rag,
    Role,
    StatusReport,
    User,
    utcnow,
)

NOTE_MAX = 2000
WHAT_MAX = 500
OWNER_MAX = 120
WEBHOOK_MAX = 500


class InputError(ValueError):
    """Input that cannot be saved; `fields` maps each bad field to what is wrong."""

    def __init__(self, fields: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = dict(fields)


def can_change(user: User, project: Project) -> bool:
    """Admins change everything, a PM their own projects, viewers nothing."""
    return user.role == Role.admin or (user.role == Role.pm and project.pm_id == user.id)


def _text(value: object, name: str, limit: int, errors: dict[str, str]) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = "must be text"
        return ""
    text = value.strip()
    if len(text) > limit:
        errors[name] = f"must be at most {limit} characters"
    return text


def _date(value: object, name: str, errors: dict[str, str]) -> date | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        errors[name] = "must be a date as YYYY-MM-DD"
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        errors[name] = "must be a date as YYYY-MM-DD"
        return None


def record_status(
    session: Session, *, project: Project, data: Mapping[str, object], actor: User
) -> StatusReport:
    """Add a status report from {"status", "note", "reported_on" (optional)}."""
    errors: dict[str, str] = {}
    raw = data.get("status")
    status = raw.strip().lower() if isinstance(raw, str) else ""
    if status not in {r.value for r in Rag}:
        errors["status"] = "must be green, amber or red"
    note = _text(data.get("note"), "note", NOTE_MAX, errors)
    reported_on = _date(data.get("reported_on"), "reported_on", errors)
    today = utcnow().date()
    # One day of slack for time zones ahead of UTC; a report from next week is a typo.
    if reported_on is not None and reported_on > today + timedelta(days=1):
        errors["reported_on"] = "must not be in the future"
    if errors:
        raise InputError(errors)
    report = StatusReport(
        project_id=project.id,  # type: ignore[arg-type]
        status=Rag(status),
        note=note,
        reported_on=reported_on or today,
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="status.recorded",
        target_kind="project",
        target_id=project.id,
        detail={"status": status},
    )
    return report


def acknowledge(session: Session, *, alert: Alert, note: str, actor: User) -> Alert:
    """Mark an open alert as seen; a note is optional."""
    errors: dict[str, str] = {}
    text = _text(note, "note", NOTE_MAX, errors)
    if alert.status == AlertStatus.resolved:
        errors["status"] = "a resolved alert cannot be acknowledged"
    if errors:
        raise InputError(errors)
    if alert.status == AlertStatus.open:
        alert.status = AlertStatus.acknowledged
        alert.acknowledged_at = utcnow()
        alert.acknowledged_by_id = actor.id
    if text:
        alert.note = text
    session.add(alert)
    audit.record(
        session,
        actor_id=actor.id,
        action="alert.acknowledged",
        target_kind="alert",
        target_id=alert.id,
    )
    return alert


def resolve(session: Session, *, alert: Alert, note: str, actor: User) -> Alert:
    """Close an alert with a note saying what was done; the same rule may raise it later."""
    errors: dict[str, str] = {}
    text = _text(note, "note", NOTE_MAX, errors)
    if not text:
        errors["note"] = "say what was done about it"
    if alert.status == AlertStatus.resolved:
        errors["status"] = "already resolved"
    if errors:
        raise InputError(errors)
    alert.status = AlertStatus.resolved
    alert.resolved_at = utcnow()
    alert.resolved_by_id = actor.id
    alert.note = text
    session.add(alert)
    audit.record(
        session, actor_id=actor.id, action="alert.resolved", target_kind="alert", target_id=alert.id
    )
    return alert


def add_action(
    session: Session,
    *,
    project: Project,
    data: Mapping[str, object],
    actor: User,
    alert_id: int | None = None,
    response_id: int | None = None,
) -> FollowUpAction:
    """Record what the team will do (what, owner, due date) about an alert or a comment."""
    errors: dict[str, str] = {}
    what = _text(data.get("what"), "what", WHAT_MAX, errors)
    if not what and "what" not in errors:
        errors["what"] = "say what will be done"
    owner = _text(data.get("owner"), "owner", OWNER_MAX, errors)
    due_on = _date(data.get("due_on"), "due_on", errors)
    if errors:
        raise InputError(errors)
    action = FollowUpAction(
        project_id=project.id,  # type: ignore[arg-type]
        alert_id=alert_id,
        response_id=response_id,
        what=what,
        owner=owner,
        due_on=due_on,
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="action.added",
        target_kind="follow_up_action",
        target_id=action.id,
    )
    return action


def set_action_status(
    session: Session, *, action: FollowUpAction, status: str, actor: User
) -> FollowUpAction:
    """Move an action to open / in progress / done / dropped."""
    if status not in {s.value for s in ActionStatus}:
        raise InputError({"status": "must be open, in_progress, done or dropped"})
    action.status = ActionStatus(status)
    closed = action.status in (ActionStatus.done, ActionStatus.dropped)
    action.closed_at = (action.closed_at or utcnow()) if closed else None
    session.add(action)
    audit.record(
        session,
        actor_id=actor.id,
        action="action.status",
        target_kind="follow_up_action",
        target_id=action.id,
        detail={"status": status},
    )
    return action


def set_webhook(
    session: Session, *, project: Project, url: str, actor: User, allow_private: bool = False
) -> Project:
    """Set (or clear, with "") the project's alert webhook URL; loopback and private-network
    hosts are refused unless `allow_private` (RAPPORT_WEBHOOK_ALLOW_PRIVATE)."""
    errors: dict[str, str] = {}
    text = _text(url, "webhook_url", WEBHOOK_MAX, errors)
    parts = urlsplit(text)
    if text and (parts.scheme not in ("http", "https") or not parts.netloc):
        errors["webhook_url"] = "must be an http:// or https:// URL"
    elif text:
        try:
            webhook_targets.check_url(text, allow_private=allow_private)
        except webhook_targets.UnsafeTarget as exc:
            errors["webhook_url"] = str(exc)
    if errors:
        raise InputError(errors)
    project.alert_webhook_url = text or None
    session.add(project)
    audit.record(
        session,
        actor_id=actor.id,
        action="project.webhook",
        target_kind="project",
        target_id=project.id,
    )
    return project

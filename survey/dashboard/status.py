"""Forms on the project page: status reports, follow-up actions, the alert webhook."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required

from survey import pm_actions, queries
from survey.dashboard import bp
from survey.dashboard.access import changeable_action, changeable_project
from survey.models import Project, Response
from survey.web.session import get_session, settings


def _to_project(project: Project, anchor: str):
    return redirect(url_for("dashboard.project", code=project.code, _anchor=anchor))


@bp.post("/projects/<code>/status")
@login_required
def record_status(code: str):
    """Record the project's RAG status with a note."""
    project = changeable_project(code)
    session = get_session()
    try:
        pm_actions.record_status(session, project=project, data=request.form, actor=current_user)
    except pm_actions.InputError as exc:
        flash(f"Status not saved: {exc}")
        return _to_project(project, "status")
    session.commit()
    flash("Status recorded.")
    return _to_project(project, "status")


def _int_field(name: str) -> int | None:
    raw = request.form.get(name, "")
    return int(raw) if raw.isdigit() else None


@bp.post("/projects/<code>/actions")
@login_required
def add_action(code: str):
    """Add a follow-up action, optionally about one alert or one comment of this project."""
    project = changeable_project(code)
    session = get_session()
    alert_id, response_id = _int_field("alert_id"), _int_field("response_id")
    if alert_id is not None:
        found = queries.alert_for(session, user=current_user, alert_id=alert_id)
        if found is None or found[1].id != project.id:
            abort(404)
    if response_id is not None:
        response = session.get(Response, response_id)
        relationship = (
            queries.relationship_for(
                session, user=current_user, relationship_id=response.relationship_id
            )
            if response
            else None
        )
        if relationship is None or relationship.project_id != project.id:
            abort(404)
    try:
        pm_actions.add_action(
            session,
            project=project,
            data=request.form,
            actor=current_user,
            alert_id=alert_id,
            response_id=response_id,
        )
    except pm_actions.InputError as exc:
        flash(f"Action not saved: {exc}")
        return _to_project(project, "actions")
    session.commit()
    flash("Follow-up action added.")
    return _to_project(project, "actions")


@bp.post("/actions/<int:action_id>/status")
@login_required
def action_status(action_id: int):
    """Move a follow-up action along (open, in progress, done, dropped)."""
    action, project = changeable_action(action_id)
    session = get_session()
    try:
        pm_actions.set_action_status(
            session, action=action, status=request.form.get("status", ""), actor=current_user
        )
    except pm_actions.InputError as exc:
        flash(f"Not saved: {exc}")
        return _to_project(project, "actions")
    session.commit()
    return _to_project(project, "actions")


@bp.post("/projects/<code>/webhook")
@login_required
def set_webhook(code: str):
    """Set or clear where this project's alerts are posted (Slack or Teams webhook)."""
    project = changeable_project(code)
    session = get_session()
    try:
        pm_actions.set_webhook(
            session,
            project=project,
            url=request.form.get("webhook_url", ""),
            actor=current_user,
            allow_private=settings().webhook_allow_private,
        )
    except pm_actions.InputError as exc:
        flash(f"Webhook not saved: {exc}")
        return _to_project(project, "settings")
    session.commit()
    flash("Alert webhook saved." if project.alert_webhook_url else "Alert webhook cleared.")
    return _to_project(project, "settings")

"""Webhook endpoints page: add (the secret is shown once), change, delete, read the log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import pm_actions, queries, webhooks
from survey.dashboard import bp
from survey.models import Project, Role, WebhookEndpoint
from survey.web.session import get_session, settings


def _form_data() -> dict[str, object]:
    return {
        "url": request.form.get("url", ""),
        "events": request.form.getlist("events"),
        "description": request.form.get("description", ""),
    }


def _list_page(status: int = 200, **extra: object):  # type: ignore[no-untyped-def]
    session = get_session()
    endpoints = webhooks.visible_endpoints(session, user=current_user)
    projects = {p.id: p for p in queries.visible_projects(session, user=current_user)}
    return (
        render_template(
            "dashboard/webhooks.html",
            endpoints=endpoints,
            projects=projects,
            manageable=webhooks.manageable_projects(session, user=current_user),
            kinds=webhooks.KIND_LABELS,
            **extra,
        ),
        status,
    )


@bp.get("/webhooks")
@login_required
def webhooks_page():  # type: ignore[no-untyped-def]
    """Endpoints the user manages, a form to add one, and links to event-triggered pulses."""
    return _list_page()


@bp.post("/webhooks")
@login_required
def webhook_add():  # type: ignore[no-untyped-def]
    """Add an endpoint and show its signing secret this once."""
    if current_user.role == Role.viewer:
        abort(403)
    session = get_session()
    project: Project | None = None
    code = request.form.get("project", "")
    if code:
        project = queries.project_for(session, user=current_user, code=code)
        if project is None or not pm_actions.can_change(current_user, project):
            abort(404)
    try:
        endpoint, secret = webhooks.create_endpoint(
            session,
            project=project,
            data=_form_data(),
            actor=current_user,
            production=settings().production,
            allow_private=settings().webhook_allow_private,
        )
    except pm_actions.InputError as exc:
        session.rollback()
        return _list_page(400, error=str(exc), form=request.form)
    session.commit()
    # Rendered, not flashed: the session cookie is signed, not encrypted.
    return _list_page(201, created=endpoint, secret=secret)


def _owned_endpoint(endpoint_id: int) -> WebhookEndpoint:
    found = webhooks.endpoint_for(get_session(), user=current_user, endpoint_id=endpoint_id)
    if found is None:
        abort(404)
    return found


@bp.get("/webhooks/<int:endpoint_id>")
@login_required
def webhook_detail(endpoint_id: int):  # type: ignore[no-untyped-def]
    """One endpoint: its settings and the delivery log of the last attempts."""
    endpoint = _owned_endpoint(endpoint_id)
    session = get_session()
    project = session.get(Project, endpoint.project_id) if endpoint.project_id else None
    return render_template(
        "dashboard/webhook_detail.html",
        endpoint=endpoint,
        project=project,
        kinds=webhooks.KIND_LABELS,
        attempts=webhooks.recent_attempts(session, endpoint_id=endpoint_id),
        pending=webhooks.pending_deliveries(session, endpoint_id=endpoint_id),
    )


@bp.post("/webhooks/<int:endpoint_id>")
@login_required
def webhook_edit(endpoint_id: int):  # type: ignore[no-untyped-def]
    """Change the URL, events, description and whether it is active."""
    endpoint = _owned_endpoint(endpoint_id)
    session = get_session()
    data = {**_form_data(), "active": request.form.get("active") == "on"}
    try:
        webhooks.update_endpoint(
            session,
            endpoint=endpoint,
            data=data,
            actor=current_user,
            production=settings().production,
            allow_private=settings().webhook_allow_private,
        )
    except pm_actions.InputError as exc:
        session.rollback()
        flash(f"Not saved: {exc}")
        return redirect(url_for("dashboard.webhook_detail", endpoint_id=endpoint_id))
    session.commit()
    flash("Webhook saved.")
    return redirect(url_for("dashboard.webhook_detail", endpoint_id=endpoint_id))


@bp.post("/webhooks/<int:endpoint_id>/delete")
@login_required
def webhook_remove(endpoint_id: int):  # type: ignore[no-untyped-def]
    """Delete an endpoint and its log (the form must confirm it)."""
    endpoint = _owned_endpoint(endpoint_id)
    if request.form.get("confirm") != "delete":
        flash("Tick the box to confirm the deletion.")
        return redirect(url_for("dashboard.webhook_detail", endpoint_id=endpoint_id))
    session = get_session()
    webhooks.delete_endpoint(session, endpoint=endpoint, actor=current_user)
    session.commit()
    flash("Webhook deleted.")
    return redirect(url_for("dashboard.webhooks_page"))

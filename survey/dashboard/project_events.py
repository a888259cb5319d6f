"""A project's events page: the PM's pulse rules per event kind, and what each event did."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import pm_actions, project_events
from survey.dashboard import bp
from survey.dashboard.access import changeable_project, project_or_404
from survey.web.session import get_session


@bp.get("/projects/<code>/events")
@login_required
def project_events_page(code: str):  # type: ignore[no-untyped-def]
    """Which events trigger a pulse, and the events received with the waves they created."""
    project = project_or_404(code)
    session = get_session()
    return render_template(
        "dashboard/project_events.html",
        project=project,
        rules=project_events.rules_for(session, project_id=project.id),  # type: ignore[arg-type]
        labels=project_events.KIND_LABELS,
        events=project_events.recent(session, project_id=project.id),  # type: ignore[arg-type]
        can_change=pm_actions.can_change(current_user, project),
    )


@bp.post("/projects/<code>/events/rules")
@login_required
def project_event_rules(code: str):  # type: ignore[no-untyped-def]
    """Save the project's pulse rules."""
    project = changeable_project(code)
    session = get_session()
    try:
        project_events.save_rules(session, project=project, data=request.form, actor=current_user)
    except pm_actions.InputError as exc:
        session.rollback()
        flash(f"Rules not saved: {exc}")
    else:
        session.commit()
        flash("Pulse rules saved.")
    return redirect(url_for("dashboard.project_events_page", code=project.code))

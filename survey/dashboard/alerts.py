"""The alerts inbox, and acknowledging, resolving and acting on alerts (POST forms)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import pm_actions, queries
from survey.alert_filters import RULES, SEVERITIES, STATUSES
from survey.dashboard import bp
from survey.web.session import get_session


def _choice(name: str, allowed: tuple[str, ...], default: str | None = None) -> str | None:
    value = request.args.get(name) or default
    return value if value in allowed else None


@bp.get("/alerts")
@login_required
def alerts():
    """Every alert on the projects the user may see, with filters."""
    session = get_session()
    projects = queries.visible_projects(session, user=current_user)
    codes = tuple(p.code for p in projects)
    chosen = _choice("project", codes)
    filters = {
        "status": _choice("status", STATUSES, "unresolved"),
        "severity": _choice("severity", SEVERITIES),
        "rule": _choice("rule", RULES),
        "project": chosen,
    }
    ids = [p.id for p in projects if chosen is None or p.code == chosen]
    rows = queries.alerts_for(
        session,
        project_ids=ids,  # type: ignore[arg-type]
        status=filters["status"],
        severity=filters["severity"],
        rule=filters["rule"],
    )
    return render_template(
        "dashboard/alerts.html",
        rows=rows,
        filters=filters,
        codes=codes,
        rules=RULES,
        severities=SEVERITIES,
        statuses=STATUSES,
        changeable={p.id for p in projects if pm_actions.can_change(current_user, p)},
    )


def _back(project_code: str, anchor: str = "alerts"):
    # Only our own pages: the form says where it came from, never an arbitrary URL.
    if request.form.get("back") == "inbox":
        return redirect(url_for("dashboard.alerts"))
    return redirect(url_for("dashboard.project", code=project_code, _anchor=anchor))


def _changeable_alert(alert_id: int):
    found = queries.alert_for(get_session(), user=current_user, alert_id=alert_id)
    if found is None:
        abort(404)
    if not pm_actions.can_change(current_user, found[1]):
        abort(403)
    return found


def _change_alert(alert_id: int, change, done: str):  # type: ignore[no-untyped-def]
    """Apply an alert state change from the form's note; commit, or say why not."""
    alert, project = _changeable_alert(alert_id)
    session = get_session()
    try:
        change(session, alert=alert, note=request.form.get("note", ""), actor=current_user)
    except pm_actions.InputError as exc:
        flash(f"Not saved: {exc}")
        return _back(project.code)
    session.commit()
    flash(done)
    return _back(project.code)


@bp.post("/alerts/<int:alert_id>/acknowledge")
@login_required
def acknowledge_alert(alert_id: int):
    """Mark an alert as seen (with an optional note)."""
    return _change_alert(alert_id, pm_actions.acknowledge, "Alert acknowledged.")


@bp.post("/alerts/<int:alert_id>/resolve")
@login_required
def resolve_alert(alert_id: int):
    """Resolve an alert with a note saying what was done."""
    return _change_alert(alert_id, pm_actions.resolve, "Alert resolved.")

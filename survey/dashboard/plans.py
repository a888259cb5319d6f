"""The communication plan of a project, and a preview of each audience's digest."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import digests, pm_actions, report_charts
from survey.dashboard import bp
from survey.dashboard.access import project_or_404
from survey.models import Audience, DigestLog, Frequency, utcnow
from survey.plans import plan_for, set_entry
from survey.web.session import get_session, settings

RECENT_LOG = 20


@bp.get("/projects/<code>/plan")
@login_required
def plan(code: str):
    """Who gets which digest and how often, and what the digest job did lately."""
    from sqlmodel import col, select

    project = project_or_404(code)
    session = get_session()
    log = session.exec(
        select(DigestLog)
        .where(DigestLog.project_id == project.id)
        .order_by(col(DigestLog.created_at).desc())
        .limit(RECENT_LOG)
    ).all()
    return render_template(
        "review/plan.html",
        project=project,
        lines=plan_for(session, project=project),
        audiences=list(Audience),
        frequencies=list(Frequency),
        log=log,
        can_change=pm_actions.can_change(current_user, project),
    )


@bp.post("/projects/<code>/plan")
@login_required
def plan_save(code: str):
    """Change one person's audience and frequency (including "none")."""
    project = project_or_404(code)
    if not pm_actions.can_change(current_user, project):
        abort(403)
    try:
        audience = Audience(request.form.get("audience", ""))
        frequency = Frequency(request.form.get("frequency", ""))
        set_entry(
            get_session(),
            project=project,
            recipient=request.form.get("recipient", ""),
            audience=audience,
            frequency=frequency,
        )
    except ValueError as exc:
        flash(f"Not saved: {exc}")
        return redirect(url_for("dashboard.plan", code=project.code))
    get_session().commit()
    flash("Communication plan saved.")
    return redirect(url_for("dashboard.plan", code=project.code))


@bp.get("/projects/<code>/digests/<audience>")
@login_required
def digest_preview(code: str, audience: str):
    """What this audience's digest would say now (over the last week), text and HTML."""
    project = project_or_404(code)
    try:
        chosen = Audience(audience)
    except ValueError:
        abort(404)
    if chosen == Audience.none:
        abort(404)
    now = utcnow()
    days = 1 if request.args.get("frequency") == "daily" else 7
    digest = digests.build(
        get_session(), project=project, audience=chosen, since=now - timedelta(days=days), now=now
    )
    images = {name: report_charts.data_uri(png) for name, png in digest.charts.items()}
    ctx = digests.template_context(
        digest,
        recipient_name="(preview)",
        dashboard_url=f"{settings().base_url}{url_for('dashboard.project', code=project.code)}",
        images=images,
    )
    text_name, html_name = digests.template_names(chosen)
    return render_template(
        "review/preview.html",
        project=project,
        audience=chosen,
        audiences=[a for a in Audience if a != Audience.none],
        digest=digest,
        text=render_template(text_name, **ctx),
        html=render_template(html_name, **ctx),
    )

"""Portfolio and project pages; a PM sees only their own projects."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from survey import charts, queries
from survey.dashboard import bp
from survey.models import Project, Stakeholder
from survey.web.session import get_session


@bp.get("/")
def index():
    """Send people to their portfolio (or the login page)."""
    return redirect(url_for("dashboard.portfolio"))


@bp.get("/portfolio")
@login_required
def portfolio():
    """Every project the user may see with reported status and latest measured scores."""
    session = get_session()
    cards = []
    for project in queries.visible_projects(session, user=current_user):
        trend = queries.project_trend(session, project_id=project.id)
        cards.append(
            {
                "project": project,
                "status": queries.latest_status(session, project_id=project.id),
                "latest": trend[-1] if trend else None,
                "previous": trend[-2] if len(trend) > 1 else None,
                "figure": charts.trend_figure(trend, title=project.name) if trend else None,
            }
        )
    return render_template("dashboard/portfolio.html", cards=cards)


@bp.get("/projects/<code>")
@login_required
def project(code: str):
    """One project: relationships, their latest scores, trend chart and recent comments."""
    session = get_session()
    found = queries.project_for(session, user=current_user, code=code)
    if found is None:
        abort(404)
    trend = queries.project_trend(session, project_id=found.id)
    return render_template(
        "dashboard/project.html",
        project=found,
        status=queries.latest_status(session, project_id=found.id),
        rows=queries.relationship_rows(session, project_id=found.id),
        comments=queries.recent_comments(session, project_id=found.id),
        figure=charts.trend_figure(trend, title=f"{found.name}: relationship trend")
        if trend
        else None,
    )


@bp.get("/relationships/<int:relationship_id>")
@login_required
def relationship(relationship_id: int):
    """One stakeholder on one project over time."""
    session = get_session()
    found = queries.relationship_for(session, user=current_user, relationship_id=relationship_id)
    if found is None:
        abort(404)
    stakeholder = session.get(Stakeholder, found.stakeholder_id)
    project = session.get(Project, found.project_id)
    points = [
        {**point.model_dump(), "title": wave.title, "closes_at": wave.closes_at}
        for point, wave in queries.trend_points(session, relationship_id=found.id)
    ]
    title = f"{stakeholder.name} on {project.name}"  # type: ignore[union-attr]
    return render_template(
        "dashboard/relationship.html",
        relationship=found,
        stakeholder=stakeholder,
        project=project,
        points=points,
        figure=charts.trend_figure(points, title=title) if points else None,
    )

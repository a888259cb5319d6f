"""Portfolio, project and relationship pages; a PM sees only their own projects."""

from __future__ import annotations

from flask import abort, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlmodel import col, select

from analysis import trends
from analysis.health import FORMULA_TEXT
from survey import attribution, charts, queries, snapshots, theme_trends
from survey.dashboard import bp
from survey.dashboard.access import project_or_404
from survey.models import Alert, FollowUpAction, Project, Stakeholder
from survey.pm_actions import can_change
from survey.web.session import get_session

TREND_LABELS = {
    snapshots.UP: "↑ improving",
    snapshots.DOWN: "↓ falling",
    snapshots.FLAT: "→ steady",
}


@bp.get("/")
def index():
    """Send people to their portfolio (or the login page)."""
    return redirect(url_for("dashboard.portfolio"))


@bp.get("/portfolio")
@login_required
def portfolio():
    """Every project the user may see: reported status against measured health."""
    session = get_session()
    projects = queries.visible_projects(session, user=current_user)
    open_alerts = queries.open_alert_counts(session, project_ids=[p.id for p in projects])
    cards = []
    for project in projects:
        health = snapshots.project_health(session, project=project)
        cards.append(
            {
                "project": project,
                "health": health,
                "status": health.reported,
                "open_alerts": open_alerts.get(project.id, 0),  # type: ignore[call-overload]
                "trend": TREND_LABELS[health.trend],
            }
        )
    quadrant = charts.portfolio_quadrant(
        [
            {
                "code": c["project"].code,
                "name": c["project"].name,
                "reported": c["status"].status.value if c["status"] else None,
                "health": c["health"].latest,
                "band": c["health"].band,
                "trend": c["trend"],
            }
            for c in cards
        ]
    )
    return render_template(
        "dashboard/portfolio.html",
        cards=cards,
        quadrant=quadrant if cards else None,
        formula=FORMULA_TEXT,
    )


@bp.get("/projects/<code>")
@login_required
def project(code: str):
    """One project: health next to reported status, stakeholder map, relationships, alerts."""
    session = get_session()
    found = project_or_404(code)
    health = snapshots.project_health(session, project=found)
    trend = queries.project_trend(session, project_id=found.id)
    history = snapshots.status_history(session, project_id=found.id)  # type: ignore[arg-type]
    alerts = queries.alerts_for(session, project_ids=[found.id], status="unresolved")  # type: ignore[list-item]
    resolved = queries.alerts_for(session, project_ids=[found.id], status="resolved", limit=10)  # type: ignore[list-item]
    rows = queries.relationship_rows(session, project_id=found.id)
    themes, theme_waves = theme_trends.themes_over_time(
        session,
        project_id=found.id,  # type: ignore[arg-type]
        points=trend,
    )
    by_rel = {r.relationship.id: r for r in health.relationships}
    health_figure = None
    if health.waves or history:
        health_figure = charts.health_figure(
            [
                (w.title or w.closes_at.strftime("%b %Y"), w.closes_at, h, rate[0])
                for w, h, rate in zip(health.waves, health.series, health.rates, strict=True)
            ],
            [(r.reported_on, r.status.value, r.note) for r in history],
            title=f"{found.name}: measured health and reported status",
        )
    stakeholder_map = charts.stakeholder_map(
        [
            {
                "name": r.stakeholder.name,
                "influence": r.stakeholder.influence,
                "interest": r.stakeholder.interest,
                "health": r.latest_health,
                "band": r.band,
                "nervous": r.stakeholder.nervous,
                "silent": r.silent,
            }
            for r in health.relationships
        ]
    )
    return render_template(
        "dashboard/project.html",
        project=found,
        status=health.reported,
        health=health,
        trend_label=TREND_LABELS[health.trend],
        rows=rows,
        by_rel=by_rel,
        sparkline=charts.sparkline,
        comments=queries.latest_comments(session, project_id=found.id),
        figure=charts.trend_figure(trend, title=f"{found.name}: relationship trend")
        if trend
        else None,
        withheld_waves=[p for p in trend if p["withheld"]],
        themes=themes,
        theme_waves=theme_waves,
        theme_chart=charts.theme_figure(
            themes, theme_waves, title=f"{found.name}: themes in comments per wave"
        )
        if themes
        else None,
        health_figure=health_figure,
        stakeholder_map=stakeholder_map if health.relationships else None,
        history=list(reversed(history)),
        alerts=alerts,
        resolved=resolved,
        actions=queries.actions_for(session, project_id=found.id),  # type: ignore[arg-type]
        can_change=can_change(current_user, found),
        formula=FORMULA_TEXT,
    )


@bp.get("/relationships/<int:relationship_id>")
@login_required
def relationship(relationship_id: int):
    """One stakeholder on one project: every wave, changes, comments, alerts and actions."""
    session = get_session()
    found = queries.relationship_for(session, user=current_user, relationship_id=relationship_id)
    if found is None:
        abort(404)
    stakeholder = session.get(Stakeholder, found.stakeholder_id)
    project = session.get(Project, found.project_id)
    assert stakeholder is not None and project is not None
    points = [
        {**point.model_dump(), "title": wave.title, "closes_at": wave.closes_at}
        for point, wave in queries.trend_points(session, relationship_id=found.id)
    ]
    dimension_trends = trends.relationship_trends([(p["wave_id"], [_ratings(p)]) for p in points])
    alerts = session.exec(
        select(Alert)
        .where(Alert.subject_kind == "relationship", Alert.subject_id == found.id)
        .where(attribution.NAMELESS_ALERTS)
        .order_by(col(Alert.raised_at).desc())
    ).all()
    alert_ids = [a.id for a in alerts]
    actions = session.exec(
        select(FollowUpAction).where(col(FollowUpAction.alert_id).in_(alert_ids))
    ).all()
    # Confidential waves promised not to name anyone: leave their comments off this page.
    comments = [
        c
        for c in queries.latest_comments(session, relationship_id=found.id, limit=100)
        if c.stakeholder is not None
    ]
    title = f"{stakeholder.name} on {project.name}"
    return render_template(
        "dashboard/relationship.html",
        relationship=found,
        stakeholder=stakeholder,
        project=project,
        points=points,
        dimension_trends=dimension_trends,
        comments=comments,
        alerts=alerts,
        actions=actions,
        can_change=can_change(current_user, project),
        figure=charts.trend_figure(points, title=title) if points else None,
    )


def _ratings(point: dict) -> dict[str, float | None]:
    names = ("satisfaction", "trust", "communication", "partnership", "sentiment")
    return {name: point.get(name) for name in names}

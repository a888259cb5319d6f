"""Read-only endpoints: projects, relationships with latest values, relationship trends."""

from __future__ import annotations

from flask import g, jsonify, request

from survey import alert_filters, pm_actions, queries, snapshots
from survey.api import bp, openapi
from survey.api.paging import json_body, not_found
from survey.api.portfolio import project_or_404, round1
from survey.api.tokens import require_token
from survey.models import Alert, RelationshipTrend, Stakeholder
from survey.web.errors import error_body
from survey.web.session import get_session

TREND_FIELDS = ("satisfaction", "trust", "communication", "partnership", "estimates", "sentiment")


def _point(point: RelationshipTrend | None) -> dict | None:
    if point is None:
        return None
    values = {name: getattr(point, name) for name in TREND_FIELDS}
    return {"wave_id": point.wave_id, "answers": point.answers, **values}


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document describing this API."""
    return jsonify(openapi.document())


@bp.get("/projects/<code>/relationships")
@require_token
def project_relationships(code: str):
    """Each relationship of a project with its latest trend values."""
    project = project_or_404(code)
    session = get_session()
    rows = queries.relationship_rows(session, project_id=project.id)
    return jsonify(
        {
            "project": project.code,
            "relationships": [
                {
                    "id": row.relationship.id,
                    "stakeholder": _stakeholder(row.stakeholder),
                    "role": row.relationship.role,
                    "latest": _point(row.latest),
                }
                for row in rows
            ],
        }
    )


def _stakeholder(stakeholder: Stakeholder) -> dict:
    return {
        "name": stakeholder.name,
        "title": stakeholder.title,
        "business_unit": stakeholder.business_unit,
        "influence": stakeholder.influence,
        "interest": stakeholder.interest,
    }


@bp.get("/relationships/<int:relationship_id>/trend")
@require_token
def relationship_trend(relationship_id: int):
    """A relationship's points over waves, with sentiment."""
    session = get_session()
    relationship = queries.relationship_for(
        session, user=g.api_user, relationship_id=relationship_id
    )
    if relationship is None:
        raise not_found("relationship")
    points = [
        {**_point(point), "wave": wave.title, "closes_at": wave.closes_at.isoformat()}  # type: ignore[dict-item]
        for point, wave in queries.trend_points(session, relationship_id=relationship_id)
    ]
    return jsonify({"relationship_id": relationship_id, "points": points})


@bp.get("/projects/<code>/health")
@require_token
def project_health(code: str):
    """Measured health per closed wave, per relationship, and the watermelon verdict."""
    project = project_or_404(code)
    session = get_session()
    health = snapshots.project_health(session, project=project)
    return jsonify(
        {
            "project": project.code,
            "health": round1(health.latest),
            "band": health.band,
            "trend": health.trend,
            "reported_status": health.reported.status if health.reported else None,
            "watermelon": health.watermelon,
            "verdict": {"kind": health.verdict.kind, "reason": health.verdict.reason},
            "waves": [
                {
                    "wave_id": wave.id,
                    "title": wave.title,
                    "closes_at": wave.closes_at.isoformat(),
                    "health": round1(value),
                    "answered": rate[0],
                    "invited": rate[1],
                    "withheld": withheld,
                }
                for wave, value, rate, withheld in zip(
                    health.waves, health.series, health.rates, health.withheld, strict=True
                )
            ],
            "relationships": [
                {
                    "id": r.relationship.id,
                    "stakeholder": {
                        **_stakeholder(r.stakeholder),
                        "nervous": r.stakeholder.nervous,
                    },
                    "health": round1(r.latest_health),
                    "band": r.band,
                    "silent": r.silent,
                    "series": [round1(v) for v in r.health],
                }
                for r in health.relationships
            ],
        }
    )


def _alert(alert: Alert, project_code: str) -> dict:
    return {
        "id": alert.id,
        "project": project_code,
        "key": alert.key,
        "rule": alert.rule,
        "subject_kind": alert.subject_kind,
        "subject_id": alert.subject_id,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "note": alert.note,
        "raised_at": alert.raised_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "resolved_at": alert.resolved_at.isoformat() if alert.resolved_at else None,
    }


@bp.get("/alerts")
@require_token
def alerts():
    """Alerts on the projects the token's user may see; ?status=, ?project=, ?severity=."""
    session = get_session()
    projects = queries.visible_projects(session, user=g.api_user)
    code = request.args.get("project")
    ids = [p.id for p in projects if code is None or p.code == code]
    chosen = {name: request.args.get(name) or None for name in alert_filters.FILTERS}
    wrong = {
        name: "one of " + ", ".join(alert_filters.FILTERS[name])
        for name, value in chosen.items()
        if value is not None and value not in alert_filters.FILTERS[name]
    }
    if wrong:
        return jsonify(error_body("invalid", "Unknown filter value; see fields.", wrong)), 400
    rows = queries.alerts_for(
        session,
        project_ids=ids,  # type: ignore[arg-type]
        limit=500,
        **chosen,
    )
    return jsonify({"alerts": [_alert(alert, project.code) for alert, project in rows]})


@bp.post("/projects/<code>/status")
@require_token
def record_status(code: str):
    """Record the project's RAG status: {"status", "note", "reported_on" (optional)}."""
    project = project_or_404(code)
    session = get_session()
    if not pm_actions.can_change(g.api_user, project):
        return jsonify(error_body("forbidden", "This token may read but not change.")), 403
    data = json_body()
    try:
        report = pm_actions.record_status(session, project=project, data=data, actor=g.api_user)
    except pm_actions.InputError as exc:
        return jsonify(error_body("invalid", "The status report is not valid.", exc.fields)), 400
    session.commit()
    return (
        jsonify(
            {
                "id": report.id,
                "project": project.code,
                "status": report.status,
                "note": report.note,
                "reported_on": report.reported_on.isoformat(),
            }
        ),
        201,
    )


@bp.get("/projects/<code>/status")
@require_token
def status_history(code: str):
    """Every status the PM reported for the project, oldest first."""
    project = project_or_404(code)
    session = get_session()
    reports = snapshots.status_history(session, project_id=project.id)  # type: ignore[arg-type]
    return jsonify(
        {
            "project": project.code,
            "reports": [
                {
                    "id": r.id,
                    "status": r.status,
                    "note": r.note,
                    "reported_on": r.reported_on.isoformat(),
                }
                for r in reports
            ],
        }
    )

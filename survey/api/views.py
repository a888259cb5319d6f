"""Read-only endpoints: projects, relationships with latest values, relationship trends."""

from __future__ import annotations

from flask import g, jsonify

from survey import queries
from survey.api import bp, openapi
from survey.api.tokens import require_token
from survey.models import RelationshipTrend, Stakeholder
from survey.web.errors import error_body
from survey.web.session import get_session

TREND_FIELDS = ("satisfaction", "trust", "communication", "partnership", "estimates", "sentiment")


def _not_found(what: str):
    return jsonify(error_body("not_found", f"No such {what}.")), 404


def _point(point: RelationshipTrend | None) -> dict | None:
    if point is None:
        return None
    values = {name: getattr(point, name) for name in TREND_FIELDS}
    return {"wave_id": point.wave_id, "answers": point.answers, **values}


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI document describing this API."""
    return jsonify(openapi.document())


@bp.get("/projects")
@require_token
def projects():
    """Projects the token's user may see."""
    session = get_session()
    out = []
    for project in queries.visible_projects(session, user=g.api_user):
        status = queries.latest_status(session, project_id=project.id)
        out.append(
            {
                "code": project.code,
                "name": project.name,
                "phase": project.phase,
                "reported_status": status.status if status else None,
            }
        )
    return jsonify({"projects": out})


@bp.get("/projects/<code>/relationships")
@require_token
def project_relationships(code: str):
    """Each relationship of a project with its latest trend values."""
    session = get_session()
    project = queries.project_for(session, user=g.api_user, code=code)
    if project is None:
        return _not_found("project")
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
        return _not_found("relationship")
    points = [
        {**_point(point), "wave": wave.title, "closes_at": wave.closes_at.isoformat()}  # type: ignore[dict-item]
        for point, wave in queries.trend_points(session, relationship_id=relationship_id)
    ]
    return jsonify({"relationship_id": relationship_id, "points": points})

"""Projects, stakeholders and relationships: list, read, create and change over the API."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from sqlmodel import col, select

from survey import pm_actions, portfolio_setup, queries, snapshots
from survey.api import bp
from survey.api.paging import (
    commit,
    created,
    forbidden,
    json_body,
    not_found,
    paginate,
)
from survey.api.tokens import require_token
from survey.models import Project, Relationship, Stakeholder
from survey.models.public import (
    ProjectPublic,
    RelationshipCreate,
    RelationshipPublic,
    StakeholderPublic,
)
from survey.web.session import get_session


def project_json(project: Project) -> dict[str, Any]:
    """A project as the API returns it."""
    return ProjectPublic.model_validate(project.model_dump()).model_dump(mode="json")


def stakeholder_json(stakeholder: Stakeholder) -> dict[str, Any]:
    """A stakeholder as the API returns it."""
    data = {**stakeholder.model_dump(), "unsubscribed": stakeholder.unsubscribed_at is not None}
    return StakeholderPublic.model_validate(data).model_dump(mode="json")


def relationship_json(relationship: Relationship, project_code: str) -> dict[str, Any]:
    """A relationship as the API returns it, naming its project by code."""
    data = {**relationship.model_dump(), "project": project_code}
    return RelationshipPublic.model_validate(data).model_dump(mode="json")


def round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def project_or_404(code: str) -> Project:
    project = queries.project_for(get_session(), user=g.api_user, code=code)
    if project is None:
        raise not_found("project")
    return project


def changeable(project: Project) -> Project:
    if not pm_actions.can_change(g.api_user, project):
        raise forbidden("Only the project's PM or an admin can change it.")
    return project


def require_setup_role() -> None:
    if not portfolio_setup.can_set_up(g.api_user):
        raise forbidden("Viewers can read but not change anything.")


# --- Projects ------------------------------------------------------------------------------


@bp.get("/projects")
@require_token
def projects():  # type: ignore[no-untyped-def]
    """Projects the token's user may see, with reported status and measured health."""
    session = get_session()
    query = select(Project).order_by(col(Project.code))
    query = queries.only_visible(query, user=g.api_user)
    page = paginate(session, query, updated_column=col(Project.updated_at))
    out = []
    for project in page.items:
        status = queries.latest_status(session, project_id=project.id)
        health = snapshots.project_health(session, project=project)
        out.append(
            {
                **project_json(project),
                "reported_status": status.status if status else None,
                "health": round1(health.latest),
                "watermelon": health.watermelon,
            }
        )
    return page.reply("projects", out)


@bp.get("/projects/<code>")
@require_token
def project_read(code: str):  # type: ignore[no-untyped-def]
    """One project."""
    return {"project": project_json(project_or_404(code))}


@bp.post("/projects")
@require_token
def project_create():  # type: ignore[no-untyped-def]
    """Create a project; a PM manages it, an admin may name its PM with pm_email."""
    require_setup_role()
    session = get_session()
    project = portfolio_setup.create_project(session, data=json_body(), actor=g.api_user)
    commit(session)
    return created(
        {"project": project_json(project)}, url_for("api.project_read", code=project.code)
    )


@bp.patch("/projects/<code>")
@require_token
def project_update(code: str):  # type: ignore[no-untyped-def]
    """Change a project's name, phase or (admins) PM."""
    project = changeable(project_or_404(code))
    session = get_session()
    portfolio_setup.update_project(session, project=project, data=json_body(), actor=g.api_user)
    commit(session)
    return {"project": project_json(project)}


# --- Stakeholders --------------------------------------------------------------------------


def _stakeholder(stakeholder_id: int) -> Stakeholder:
    found = portfolio_setup.stakeholder_for(
        get_session(), user=g.api_user, stakeholder_id=stakeholder_id
    )
    if found is None:
        raise not_found("stakeholder")
    return found


@bp.get("/stakeholders")
@require_token
def stakeholders():  # type: ignore[no-untyped-def]
    """Stakeholders the user may see: a PM's are on their projects or were added by them."""
    query = portfolio_setup.visible_stakeholders(user=g.api_user).order_by(col(Stakeholder.id))
    page = paginate(get_session(), query, updated_column=col(Stakeholder.updated_at))
    return page.reply("stakeholders", [stakeholder_json(s) for s in page.items])


@bp.get("/stakeholders/<int:stakeholder_id>")
@require_token
def stakeholder_read(stakeholder_id: int):  # type: ignore[no-untyped-def]
    """One stakeholder."""
    return {"stakeholder": stakeholder_json(_stakeholder(stakeholder_id))}


@bp.post("/stakeholders")
@require_token
def stakeholder_create():  # type: ignore[no-untyped-def]
    """Add a stakeholder; 409 when the email is already taken."""
    require_setup_role()
    session = get_session()
    person = portfolio_setup.create_stakeholder(session, data=json_body(), actor=g.api_user)
    commit(session)
    location = url_for("api.stakeholder_read", stakeholder_id=person.id)
    return created({"stakeholder": stakeholder_json(person)}, location)


@bp.patch("/stakeholders/<int:stakeholder_id>")
@require_token
def stakeholder_update(stakeholder_id: int):  # type: ignore[no-untyped-def]
    """Change some of a stakeholder's fields."""
    person = _stakeholder(stakeholder_id)
    require_setup_role()
    session = get_session()
    portfolio_setup.update_stakeholder(
        session, stakeholder=person, data=json_body(), actor=g.api_user
    )
    commit(session)
    return {"stakeholder": stakeholder_json(person)}


# --- Relationships -------------------------------------------------------------------------


def _relationship(relationship_id: int) -> tuple[Relationship, Project]:
    session = get_session()
    found = queries.relationship_for(session, user=g.api_user, relationship_id=relationship_id)
    if found is None:
        raise not_found("relationship")
    project = session.get(Project, found.project_id)
    assert project is not None
    return found, project


@bp.get("/relationships")
@require_token
def relationships():  # type: ignore[no-untyped-def]
    """Relationships on projects the user may see; ?project=CODE narrows to one project."""
    query = (
        select(Relationship, Project.code)
        .join(Project, col(Project.id) == col(Relationship.project_id))
        .order_by(col(Relationship.id))
    )
    query = queries.only_visible(query, user=g.api_user)
    if request.args.get("project"):
        query = query.where(Project.code == request.args["project"])
    page = paginate(get_session(), query, updated_column=col(Relationship.updated_at))
    return page.reply("relationships", [relationship_json(r, code) for r, code in page.items])


@bp.get("/relationships/<int:relationship_id>")
@require_token
def relationship_read(relationship_id: int):  # type: ignore[no-untyped-def]
    """One relationship."""
    relationship, project = _relationship(relationship_id)
    return {"relationship": relationship_json(relationship, project.code)}


@bp.post("/relationships")
@require_token
def relationship_create():  # type: ignore[no-untyped-def]
    """Put a stakeholder on a project with a role; 409 when they are already on it."""
    require_setup_role()
    session = get_session()
    values = portfolio_setup.parse(RelationshipCreate, json_body())
    project = changeable(project_or_404(values.project))
    person = _stakeholder(values.stakeholder_id)
    relationship = portfolio_setup.add_relationship(
        session, project=project, stakeholder=person, role=values.role, actor=g.api_user
    )
    commit(session)
    location = url_for("api.relationship_read", relationship_id=relationship.id)
    return created({"relationship": relationship_json(relationship, project.code)}, location)


@bp.patch("/relationships/<int:relationship_id>")
@require_token
def relationship_update(relationship_id: int):  # type: ignore[no-untyped-def]
    """Change a relationship's role, or set active to false to stop pulsing them."""
    relationship, project = _relationship(relationship_id)
    changeable(project)
    session = get_session()
    portfolio_setup.update_relationship(
        session, relationship=relationship, data=json_body(), actor=g.api_user
    )
    commit(session)
    return {"relationship": relationship_json(relationship, project.code)}

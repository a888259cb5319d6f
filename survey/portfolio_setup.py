"""Setting up a portfolio: projects, stakeholders and who is on which project. No Flask here.

Keyword-only functions on a session, shared by the setup pages, the API and the CSV import.
Each validates with the models' Create/Update classes (raising InputError with a message per
field, or Conflict for a duplicate), changes the session, audits, and leaves the commit to the
caller.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import or_
from sqlalchemy.sql import Select
from sqlmodel import Session, SQLModel, col, select

from survey import audit, queries
from survey.models import Project, Relationship, Role, Stakeholder, User
from survey.models.public import (
    ProjectCreate,
    ProjectUpdate,
    RelationshipUpdate,
    StakeholderCreate,
    StakeholderUpdate,
)
from survey.pm_actions import InputError

Model = TypeVar("Model", bound=SQLModel)


class Conflict(InputError):
    """The input duplicates something that must be unique (a project code, an email)."""


def _message(error: Mapping[str, Any]) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return "is required"
    if kind == "extra_forbidden":
        return "is not a field of this resource"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("greater_than_equal", "less_than_equal"):
        return (
            "must be from 1 to 5"
            if error["loc"][-1] in ("influence", "interest")
            else (error["msg"].lower())
        )
    if kind == "string_too_short" and ctx.get("min_length") == 1:
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "string_pattern_mismatch":
        return "use 2-20 capital letters, digits or dashes, e.g. FIN-ERP"
    if kind == "enum":
        return f"must be one of: {ctx.get('expected', '').replace(chr(39), '')}"
    if kind == "value_error" and "email" in error["msg"]:
        return "is not a valid email address"
    return error["msg"][:1].lower() + error["msg"][1:]


def field_errors(exc: ValidationError) -> dict[str, str]:
    """Pydantic's errors as {field: message}, the first message per field."""
    fields: dict[str, str] = {}
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"]) or "body"
        fields.setdefault(name, _message(error))
    return fields


def parse(model: type[Model], data: Mapping[str, object]) -> Model:
    """`data` validated by `model`, or InputError naming each bad field."""
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        raise InputError(field_errors(exc)) from exc


def can_set_up(user: User) -> bool:
    """Admins and PMs set up portfolios; viewers only read."""
    return user.role in (Role.admin, Role.pm)


# --- Projects ------------------------------------------------------------------------------


def _manager(session: Session, *, email: str | None, actor: User) -> int | None:
    """The PM id for a new or edited project: only an admin may name someone else."""
    if email is None:
        return None
    if actor.role != Role.admin:
        raise InputError({"pm_email": "only an admin can assign a project to a PM"})
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    if user is None or not user.active or user.role == Role.viewer:
        raise InputError({"pm_email": "no active PM or admin has this email"})
    return user.id


def create_project(session: Session, *, data: Mapping[str, object], actor: User) -> Project:
    """A new project; a PM manages what they create, an admin may assign it to a PM."""
    values = parse(ProjectCreate, data)
    if session.exec(select(Project).where(Project.code == values.code)).first():
        raise Conflict({"code": f"a project with code {values.code} already exists"})
    pm_id = _manager(session, email=values.pm_email, actor=actor)
    if pm_id is None and actor.role == Role.pm:
        pm_id = actor.id
    project = Project(
        code=values.code, name=values.name.strip(), phase=values.phase.strip(), pm_id=pm_id
    )
    session.add(project)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="project.create",
        target_kind="project",
        target_id=project.id,
        detail={"code": project.code, "pm_id": pm_id},
    )
    return project


def update_project(
    session: Session, *, project: Project, data: Mapping[str, object], actor: User
) -> Project:
    """Change a project's name, phase or (admins) PM; the code is its permanent key."""
    values = parse(ProjectUpdate, data)
    if values.name is not None:
        project.name = values.name.strip()
    if values.phase is not None:
        project.phase = values.phase.strip()
    if "pm_email" in values.model_fields_set:
        project.pm_id = _manager(session, email=values.pm_email, actor=actor)
    session.add(project)
    audit.record(
        session,
        actor_id=actor.id,
        action="project.update",
        target_kind="project",
        target_id=project.id,
        detail={"pm_id": project.pm_id},
    )
    return project


# --- Stakeholders --------------------------------------------------------------------------


def visible_stakeholders(*, user: User) -> Select:
    """A query for the stakeholders the user may see: an admin all, a PM those on their
    projects or added by them, a viewer those on the projects granted to them."""
    query = select(Stakeholder)
    if user.role == Role.admin:
        return query
    on_visible = queries.only_visible(
        select(Relationship.stakeholder_id).join(
            Project, col(Project.id) == col(Relationship.project_id)
        ),
        user=user,
    )
    if user.role == Role.pm:
        return query.where(
            or_(col(Stakeholder.id).in_(on_visible), Stakeholder.created_by_id == user.id)
        )
    return query.where(col(Stakeholder.id).in_(on_visible))


def stakeholder_for(session: Session, *, user: User, stakeholder_id: int) -> Stakeholder | None:
    """The stakeholder if the user may see them; None otherwise (callers 404)."""
    query = visible_stakeholders(user=user).where(Stakeholder.id == stakeholder_id)
    return session.exec(query).first()


def stakeholder_by_email(session: Session, *, email: str) -> Stakeholder | None:
    """Whoever has this email, visible or not (emails are unique across the instance)."""
    return session.exec(
        select(Stakeholder).where(Stakeholder.email == email.strip().lower())
    ).first()


def create_stakeholder(session: Session, *, data: Mapping[str, object], actor: User) -> Stakeholder:
    """A new stakeholder; the email must not be taken."""
    values = parse(StakeholderCreate, data)
    email = values.email.strip().lower()
    if stakeholder_by_email(session, email=email) is not None:
        raise Conflict({"email": "a stakeholder with this email already exists"})
    stakeholder = Stakeholder(**{**values.model_dump(), "email": email}, created_by_id=actor.id)
    _strip(stakeholder)
    session.add(stakeholder)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="stakeholder.create",
        target_kind="stakeholder",
        target_id=stakeholder.id,
    )
    return stakeholder


def update_stakeholder(
    session: Session, *, stakeholder: Stakeholder, data: Mapping[str, object], actor: User
) -> Stakeholder:
    """Change the given fields of a stakeholder; a new email must not be taken."""
    values = parse(StakeholderUpdate, data)
    changes = values.model_dump(exclude_unset=True)
    if changes.get("email") is not None:
        changes["email"] = changes["email"].strip().lower()
        other = stakeholder_by_email(session, email=changes["email"])
        if other is not None and other.id != stakeholder.id:
            raise Conflict({"email": "another stakeholder has this email"})
    for name, value in changes.items():
        if value is None:
            raise InputError({name: "must not be null"})
        setattr(stakeholder, name, value)
    _strip(stakeholder)
    session.add(stakeholder)
    audit.record(
        session,
        actor_id=actor.id,
        action="stakeholder.update",
        target_kind="stakeholder",
        target_id=stakeholder.id,
    )
    return stakeholder


def _strip(stakeholder: Stakeholder) -> None:
    for name in ("name", "title", "business_unit"):
        setattr(stakeholder, name, getattr(stakeholder, name).strip())
    if not stakeholder.name:
        raise InputError({"name": "must not be empty"})


# --- Relationships -------------------------------------------------------------------------


def relationships_of(
    session: Session, *, project_id: int
) -> list[tuple[Relationship, Stakeholder]]:
    """Everyone on a project, active first, then by name."""
    rows = session.exec(
        select(Relationship, Stakeholder)
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Relationship.project_id == project_id)
        .order_by(col(Relationship.active).desc(), col(Stakeholder.name))
    ).all()
    return list(rows)


def add_relationship(
    session: Session, *, project: Project, stakeholder: Stakeholder, role: object, actor: User
) -> Relationship:
    """Put a stakeholder on a project with a role; a second time is a Conflict."""
    values = parse(RelationshipUpdate, {"role": role if role is not None else ""})
    existing = session.exec(
        select(Relationship).where(
            Relationship.project_id == project.id, Relationship.stakeholder_id == stakeholder.id
        )
    ).first()
    if existing is not None:
        state = "active" if existing.active else "deactivated"
        raise Conflict({"stakeholder_id": f"already on {project.code} ({state})"})
    relationship = Relationship(
        project_id=project.id,  # type: ignore[arg-type]
        stakeholder_id=stakeholder.id,  # type: ignore[arg-type]
        role=(values.role or "").strip(),
    )
    session.add(relationship)
    session.flush()
    audit.record(
        session,
        actor_id=actor.id,
        action="relationship.add",
        target_kind="relationship",
        target_id=relationship.id,
        detail={"project_id": project.id, "stakeholder_id": stakeholder.id},
    )
    return relationship


def update_relationship(
    session: Session, *, relationship: Relationship, data: Mapping[str, object], actor: User
) -> Relationship:
    """Change a relationship's role, or (de)activate it: inactive ones get no more pulses."""
    values = parse(RelationshipUpdate, data)
    if "active" in values.model_fields_set and values.active is None:
        raise InputError({"active": "must be true or false"})
    if values.role is not None:
        relationship.role = values.role.strip()
    if values.active is not None:
        relationship.active = values.active
    session.add(relationship)
    audit.record(
        session,
        actor_id=actor.id,
        action="relationship.update",
        target_kind="relationship",
        target_id=relationship.id,
        detail={"active": relationship.active},
    )
    return relationship

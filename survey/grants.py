"""Viewers read the projects an admin grants them, and nothing else. No Flask here.

Keyword-only functions shared by the setup page and the command line. Each changes the
session and audits; the caller commits. Which projects a user may see is decided in
survey.queries (only_visible, may_see), which reads the grants written here.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from survey import audit
from survey.models import CommunicationPlanEntry, Project, ProjectGrant, Role, User


class GrantError(ValueError):
    """The grant cannot be given: the user is no viewer, or inactive."""


def viewers_of(session: Session, *, project_id: int) -> list[User]:
    """The viewers granted this project, by email."""
    return list(
        session.exec(
            select(User)
            .join(ProjectGrant, col(ProjectGrant.user_id) == col(User.id))
            .where(ProjectGrant.project_id == project_id)
            .order_by(col(User.email))
        ).all()
    )


def grantable_viewers(session: Session, *, project_id: int) -> list[User]:
    """Active viewers who cannot see this project yet."""
    granted = select(ProjectGrant.user_id).where(ProjectGrant.project_id == project_id)
    return list(
        session.exec(
            select(User)
            .where(User.role == Role.viewer, col(User.active), col(User.id).not_in(granted))
            .order_by(col(User.email))
        ).all()
    )


def projects_granted(session: Session, *, user_id: int) -> list[Project]:
    """The projects granted to a viewer, by code."""
    return list(
        session.exec(
            select(Project)
            .join(ProjectGrant, col(ProjectGrant.project_id) == col(Project.id))
            .where(ProjectGrant.user_id == user_id)
            .order_by(col(Project.code))
        ).all()
    )


def _existing(session: Session, *, project: Project, viewer: User) -> ProjectGrant | None:
    return session.exec(
        select(ProjectGrant).where(
            ProjectGrant.project_id == project.id, ProjectGrant.user_id == viewer.id
        )
    ).first()


def grant(
    session: Session, *, project: Project, viewer: User, actor: User | None
) -> tuple[ProjectGrant, bool]:
    """Let the viewer read the project; (grant, True) if new, (grant, False) if it existed.

    Only viewers get grants: a PM sees the projects they manage and an admin sees all, so a
    grant to either would say something the access rules do not do. `actor` None: the
    command line.
    """
    if viewer.role != Role.viewer:
        raise GrantError(
            f"{viewer.email} is a {viewer.role.value}: only viewers are granted projects"
        )
    if not viewer.active:
        raise GrantError(f"{viewer.email} is deactivated")
    found = _existing(session, project=project, viewer=viewer)
    if found is not None:
        return found, False
    made = ProjectGrant(
        user_id=viewer.id,  # type: ignore[arg-type]
        project_id=project.id,  # type: ignore[arg-type]
        granted_by_id=actor.id if actor is not None else None,
    )
    session.add(made)
    session.flush()
    _audit(session, "project.grant", project=project, viewer=viewer, actor=actor)
    return made, True


def revoke(session: Session, *, project: Project, viewer: User, actor: User | None) -> bool:
    """Take the project away from the viewer; False when they had no grant."""
    found = _existing(session, project=project, viewer=viewer)
    if found is None:
        return False
    session.delete(found)
    # A later grant starts without digests again, rather than resuming an old choice.
    for entry in session.exec(
        select(CommunicationPlanEntry).where(
            CommunicationPlanEntry.project_id == project.id,
            CommunicationPlanEntry.recipient == f"user:{viewer.id}",
        )
    ):
        session.delete(entry)
    _audit(session, "project.revoke", project=project, viewer=viewer, actor=actor)
    return True


def _audit(
    session: Session, action: str, *, project: Project, viewer: User, actor: User | None
) -> None:
    detail: dict[str, object] = {"code": project.code, "user_id": viewer.id}
    if actor is None:
        detail["via"] = "cli"
    audit.record(
        session,
        actor_id=actor.id if actor is not None else None,
        action=action,
        target_kind="project",
        target_id=project.id,
        detail=detail,
    )

"""Admins grant viewers read access to a project, and take it back (on the project's setup page).

The rules live in survey.grants; these views turn the two forms into calls and flash the result.
"""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_login import current_user, login_required
from sqlmodel import select

from survey import grants
from survey.dashboard import bp
from survey.models import Project, Role, User
from survey.web.session import get_session


def _admin_and_project(code: str) -> Project:
    """The project for an admin; anyone else is refused before the project is looked up."""
    if current_user.role != Role.admin:
        abort(403)
    project = get_session().exec(select(Project).where(Project.code == code)).first()
    if project is None:
        abort(404)
    return project


def _back(project: Project):  # type: ignore[no-untyped-def]
    return redirect(url_for("dashboard.setup_project_edit", code=project.code, _anchor="viewers"))


@bp.post("/setup/projects/<code>/viewers")
@login_required
def grant_viewer(code: str):  # type: ignore[no-untyped-def]
    """Let a viewer read this project: its pages, API, exports and digests."""
    project = _admin_and_project(code)
    session = get_session()
    raw_id = request.form.get("user_id", "")
    viewer = session.get(User, int(raw_id)) if raw_id.isdigit() else None
    if viewer is None:
        flash("Choose a viewer to grant access to.")
        return _back(project)
    try:
        _grant, new = grants.grant(session, project=project, viewer=viewer, actor=current_user)
    except grants.GrantError as exc:
        session.rollback()
        flash(f"Not granted: {exc}.")
        return _back(project)
    session.commit()
    if new:
        flash(f"{viewer.name} can now read {project.code}.")
    else:
        flash(f"{viewer.name} could already read {project.code}.")
    return _back(project)


@bp.post("/setup/projects/<code>/viewers/<int:user_id>/revoke")
@login_required
def revoke_viewer(code: str, user_id: int):  # type: ignore[no-untyped-def]
    """Take the project away from a viewer; their open pages stop working at the next click."""
    project = _admin_and_project(code)
    session = get_session()
    viewer = session.get(User, user_id)
    if viewer is None or not grants.revoke(
        session, project=project, viewer=viewer, actor=current_user
    ):
        abort(404)
    session.commit()
    flash(f"{viewer.name} can no longer read {project.code}.")
    return _back(project)

"""Who may see or change a project or action, as every dashboard page checks it: a 404 when
the user may not see it (another PM's project looks the same as one that does not exist), a
403 when they may only read it."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from survey import pm_actions, queries
from survey.models import FollowUpAction, Project
from survey.web.session import get_session


def project_or_404(code: str) -> Project:
    """The project if the user may see it; a 404 otherwise, so that another PM's project looks
    the same as one that does not exist."""
    project = queries.project_for(get_session(), user=current_user, code=code)
    if project is None:
        abort(404)
    return project


def changeable_project(code: str) -> Project:
    """The project if the user may change it: 404 when they may not see it, 403 when they may
    only read it. Every form that changes a project checks it the same way."""
    project = project_or_404(code)
    if not pm_actions.can_change(current_user, project):
        abort(403)
    return project


def changeable_action(action_id: int) -> tuple[FollowUpAction, Project]:
    """The follow-up action and its project if the user may change it (404, or 403 to a
    reader), checked the same way wherever a form changes an action."""
    found = queries.action_for(get_session(), user=current_user, action_id=action_id)
    if found is None:
        abort(404)
    action, project = found
    if not pm_actions.can_change(current_user, project):
        abort(403)
    return action, project

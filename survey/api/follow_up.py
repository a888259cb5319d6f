"""Follow-up actions ("you said, we did") and a project's trend over waves, over the API."""

from __future__ import annotations

from typing import Any

from flask import g, request, url_for
from sqlmodel import col, select

from survey import pm_actions, queries
from survey.api import bp
from survey.api.paging import ApiError, commit, created, json_body, not_found, paginate
from survey.api.portfolio import changeable, project_or_404, require_setup_role, round1
from survey.api.tokens import require_token
from survey.models import ActionStatus, FollowUpAction, Project
from survey.models.public import ActionCreate, ActionPublic, ActionUpdate
from survey.portfolio_setup import parse
from survey.web.session import get_session


def action_json(action: FollowUpAction, project_code: str) -> dict[str, Any]:
    """A follow-up action as the API returns it."""
    data = {**action.model_dump(), "project": project_code}
    return ActionPublic.model_validate(data).model_dump(mode="json")


def _action(action_id: int) -> tuple[FollowUpAction, Project]:
    found = queries.action_for(get_session(), user=g.api_user, action_id=action_id)
    if found is None:
        raise not_found("action")
    return found


@bp.get("/actions")
@require_token
def actions():  # type: ignore[no-untyped-def]
    """Follow-up actions on projects the user may see; ?project=CODE, ?status=open|…"""
    query = (
        select(FollowUpAction, Project.code)
        .join(Project, col(Project.id) == col(FollowUpAction.project_id))
        .order_by(col(FollowUpAction.id))
    )
    query = queries.only_visible(query, user=g.api_user)
    if request.args.get("project"):
        query = query.where(Project.code == request.args["project"])
    status = request.args.get("status")
    if status:
        if status not in {s.value for s in ActionStatus}:
            choices = ", ".join(s.value for s in ActionStatus)
            raise ApiError(400, "invalid", f"status must be one of {choices}.", {"status": choices})
        query = query.where(FollowUpAction.status == status)
    page = paginate(get_session(), query, updated_column=col(FollowUpAction.updated_at))
    return page.reply("actions", [action_json(a, code) for a, code in page.items])


@bp.get("/actions/<int:action_id>")
@require_token
def action_read(action_id: int):  # type: ignore[no-untyped-def]
    """One follow-up action."""
    action, project = _action(action_id)
    return {"action": action_json(action, project.code)}


@bp.post("/actions")
@require_token
def action_create():  # type: ignore[no-untyped-def]
    """Record what the team will do, optionally about one of the project's alerts."""
    require_setup_role()
    session = get_session()
    values = parse(ActionCreate, json_body())
    project = changeable(project_or_404(values.project))
    if values.alert_id is not None:
        found = queries.alert_for(session, user=g.api_user, alert_id=values.alert_id)
        if found is None or found[1].id != project.id:
            raise ApiError(
                400, "invalid", "No such alert on this project.", {"alert_id": "unknown"}
            )
    data = values.model_dump(include={"what", "owner"})
    data["due_on"] = values.due_on.isoformat() if values.due_on else None
    action = pm_actions.add_action(
        session, project=project, data=data, actor=g.api_user, alert_id=values.alert_id
    )
    commit(session)
    location = url_for("api.action_read", action_id=action.id)
    return created({"action": action_json(action, project.code)}, location)


@bp.patch("/actions/<int:action_id>")
@require_token
def action_update(action_id: int):  # type: ignore[no-untyped-def]
    """Move an action along (status) or share it with stakeholders when done."""
    action, project = _action(action_id)
    changeable(project)
    session = get_session()
    values = parse(ActionUpdate, json_body())
    if values.status is not None:
        pm_actions.set_action_status(
            session, action=action, status=values.status.value, actor=g.api_user
        )
    if values.share_with_stakeholders is not None:
        action.share_with_stakeholders = values.share_with_stakeholders
        session.add(action)
    commit(session)
    return {"action": action_json(action, project.code)}


@bp.get("/projects/<code>/trend")
@require_token
def project_trend(code: str):  # type: ignore[no-untyped-def]
    """Per wave: the project's mean of each dimension and of sentiment, and answer count."""
    project = project_or_404(code)
    points = queries.project_trend(get_session(), project_id=project.id)  # type: ignore[arg-type]
    names = ("satisfaction", "trust", "communication", "partnership", "sentiment")
    return {
        "project": project.code,
        "points": [
            {
                "wave_id": p["wave_id"],
                "wave": p["title"],
                "closes_at": p["closes_at"].isoformat(),
                "answers": int(p["answers"] or 0),
                **{n: round1(p[n]) if n != "sentiment" else p[n] for n in names},
                "withheld": p["withheld"],
            }
            for p in points
        ],
    }

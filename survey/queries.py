"""Queries the views, API and CLI share. Keyword-only; access rules live here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.sql import Select
from sqlmodel import Session, col, func, select

from survey import attribution
from survey.models import (
    Alert,
    AlertStatus,
    CommentScore,
    FollowUpAction,
    Invitation,
    Project,
    ProjectGrant,
    Relationship,
    RelationshipTrend,
    Response,
    Role,
    Stakeholder,
    StatusReport,
    User,
    Wave,
)


def only_visible(query: Select, *, user: User) -> Select:
    """Narrow a query over Project (selected or joined) to the projects the user may see.

    An admin sees all, a PM their own, a viewer those an admin granted. Any other role sees
    nothing, so a role added later starts without access rather than with all of it.
    """
    if user.role == Role.admin:
        return query
    if user.role == Role.pm:
        return query.where(Project.pm_id == user.id)
    granted = select(ProjectGrant.project_id).where(ProjectGrant.user_id == user.id)
    return query.where(col(Project.id).in_(granted))


def may_see(session: Session, *, user: User, project: Project) -> bool:
    """Whether the user may read this project (changing it is pm_actions.can_change).

    `only_visible` for one project already loaded: the same rules, answered without a
    query for admins and PMs, since every project page asks."""
    if user.role == Role.admin:
        return True
    if user.role == Role.pm:
        return project.pm_id == user.id
    return (
        session.exec(
            select(ProjectGrant.id).where(
                ProjectGrant.user_id == user.id, ProjectGrant.project_id == project.id
            )
        ).first()
        is not None
    )


def visible_projects(session: Session, *, user: User) -> list[Project]:
    """Projects the user may see: a PM their own, a viewer those granted, an admin all."""
    query = only_visible(select(Project).order_by(col(Project.code)), user=user)
    return list(session.exec(query).all())


def project_for(session: Session, *, user: User, code: str) -> Project | None:
    """The project with `code` if the user may see it; None otherwise (callers 404)."""
    project = session.exec(select(Project).where(Project.code == code)).first()
    if project is None or not may_see(session, user=user, project=project):
        return None
    return project


def relationship_for(session: Session, *, user: User, relationship_id: int) -> Relationship | None:
    """A relationship the user may see, or None."""
    relationship = session.get(Relationship, relationship_id)
    if relationship is None:
        return None
    project = session.get(Project, relationship.project_id)
    if project is None or not may_see(session, user=user, project=project):
        return None
    return relationship


def latest_status(session: Session, *, project_id: int) -> StatusReport | None:
    """The PM's most recent reported status."""
    return session.exec(
        select(StatusReport)
        .where(StatusReport.project_id == project_id)
        .order_by(col(StatusReport.reported_on).desc(), col(StatusReport.id).desc())
    ).first()


@dataclass
class RelationshipRow:
    """One relationship as the project page and API show it."""

    relationship: Relationship
    stakeholder: Stakeholder
    latest: RelationshipTrend | None


def relationship_rows(session: Session, *, project_id: int) -> list[RelationshipRow]:
    """Each relationship of a project with its latest trend point from an attributed wave."""
    pairs = session.exec(
        select(Relationship, Stakeholder)
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Relationship.project_id == project_id)
        .order_by(col(Stakeholder.influence).desc(), col(Stakeholder.name))
    ).all()
    ids = [r.id for r, _ in pairs]
    latest: dict[int, RelationshipTrend] = {}
    for point in session.exec(
        select(RelationshipTrend)
        .join(Wave, col(Wave.id) == col(RelationshipTrend.wave_id))
        .where(col(RelationshipTrend.relationship_id).in_(ids), attribution.ATTRIBUTED)
        .order_by(col(RelationshipTrend.wave_closes_at))
    ):
        latest[point.relationship_id] = point  # ordered, so the last one wins
    return [RelationshipRow(r, s, latest.get(r.id)) for r, s in pairs]  # type: ignore[arg-type]


def trend_points(session: Session, *, relationship_id: int) -> list[tuple[RelationshipTrend, Wave]]:
    """A relationship's trend points from attributed waves, in wave order."""
    return list(
        session.exec(
            select(RelationshipTrend, Wave)
            .join(Wave, col(Wave.id) == col(RelationshipTrend.wave_id))
            .where(RelationshipTrend.relationship_id == relationship_id, attribution.ATTRIBUTED)
            .order_by(col(RelationshipTrend.wave_closes_at))
        ).all()
    )


def project_trend(session: Session, *, project_id: int) -> list[dict]:
    """Per wave: the mean of each dimension over the project's relationships, and answers.

    A confidential wave too small (or still open) to show has its values None and `withheld`
    set to the reason; `withheld` is None on every other point.
    """
    rows = session.exec(
        select(
            Wave.id,
            Wave.title,
            Wave.closes_at,
            func.avg(RelationshipTrend.satisfaction),
            func.avg(RelationshipTrend.trust),
            func.avg(RelationshipTrend.communication),
            func.avg(RelationshipTrend.partnership),
            func.avg(RelationshipTrend.sentiment),
            func.sum(RelationshipTrend.answers),
        )
        .join(RelationshipTrend, col(RelationshipTrend.wave_id) == col(Wave.id))
        .join(Relationship, col(Relationship.id) == col(RelationshipTrend.relationship_id))
        .where(Relationship.project_id == project_id)
        .group_by(col(Wave.id), col(Wave.title), col(Wave.closes_at))
        .order_by(col(Wave.closes_at))
    ).all()
    keys = ("wave_id", "title", "closes_at", "satisfaction", "trust", "communication")
    keys += ("partnership", "sentiment", "answers")
    points = [dict(zip(keys, row, strict=True)) for row in rows]
    return attribution.withhold_wave_means(session, project_id=project_id, points=points)


def recent_comments(session: Session, *, project_id: int, limit: int = 20) -> list[tuple]:
    """Latest non-empty comments with their scores (None while not yet scored)."""
    return list(
        session.exec(
            select(Response, Stakeholder, CommentScore)
            .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
            .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
            .join(CommentScore, col(CommentScore.response_id) == col(Response.id), isouter=True)
            .where(Relationship.project_id == project_id, Response.comment != "")
            .order_by(col(Response.updated_at).desc())
            .limit(limit)
        ).all()
    )


def response_rate(session: Session, *, project_id: int, wave_id: int) -> tuple[int, int]:
    """(responded, invited) for one project in one wave."""
    row = session.exec(
        select(func.count(col(Invitation.id)), func.count(col(Invitation.responded_at)))
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .where(Relationship.project_id == project_id, Invitation.wave_id == wave_id)
    ).one()
    return int(row[1]), int(row[0])


# --- Alerts, follow-up actions and comments for the PM view ---------------------------------

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}


def alerts_for(
    session: Session,
    *,
    project_ids: list[int],
    status: str | None = None,
    severity: str | None = None,
    rule: str | None = None,
    limit: int = 200,
) -> list[tuple[Alert, Project]]:
    """Alerts of the given projects, unresolved first, newest first; filters are optional."""
    if not project_ids:
        return []
    query = (
        select(Alert, Project)
        .join(Project, col(Project.id) == col(Alert.project_id))
        .where(col(Alert.project_id).in_(project_ids), attribution.NAMELESS_ALERTS)
    )
    if status == "unresolved":
        query = query.where(col(Alert.status) != AlertStatus.resolved)
    elif status:
        query = query.where(Alert.status == status)
    if severity:
        query = query.where(Alert.severity == severity)
    if rule:
        query = query.where(Alert.rule == rule)
    rows = session.exec(query.order_by(col(Alert.raised_at).desc()).limit(limit)).all()
    return sorted(
        rows,
        key=lambda r: (r[0].status == AlertStatus.resolved, SEVERITY_ORDER.get(r[0].severity, 3)),
    )


def alert_for(session: Session, *, user: User, alert_id: int) -> tuple[Alert, Project] | None:
    """An alert on a project the user may see, or None."""
    alert = session.exec(
        select(Alert).where(Alert.id == alert_id, attribution.NAMELESS_ALERTS)
    ).first()
    if alert is None:
        return None
    project = session.get(Project, alert.project_id)
    if project is None or not may_see(session, user=user, project=project):
        return None
    return alert, project


def open_alert_counts(session: Session, *, project_ids: list[int]) -> dict[int, int]:
    """Unresolved alerts per project."""
    if not project_ids:
        return {}
    rows = session.exec(
        select(Alert.project_id, func.count(col(Alert.id)))
        .where(col(Alert.project_id).in_(project_ids), attribution.NAMELESS_ALERTS)
        .where(col(Alert.status) != AlertStatus.resolved)
        .group_by(col(Alert.project_id))
    ).all()
    return {project_id: int(n) for project_id, n in rows}


def actions_for(session: Session, *, project_id: int) -> list[FollowUpAction]:
    """A project's follow-up actions, open ones first, by due date."""
    rows = session.exec(
        select(FollowUpAction)
        .where(FollowUpAction.project_id == project_id)
        .order_by(col(FollowUpAction.created_at).desc())
    ).all()
    closed = ("done", "dropped")
    return sorted(rows, key=lambda a: (a.status in closed, a.due_on is None, a.due_on or 0))  # type: ignore[arg-type,return-value]


def action_for(
    session: Session, *, user: User, action_id: int
) -> tuple[FollowUpAction, Project] | None:
    """A follow-up action on a project the user may see, or None."""
    action = session.get(FollowUpAction, action_id)
    if action is None:
        return None
    project = session.get(Project, action.project_id)
    if project is None or not may_see(session, user=user, project=project):
        return None
    return action, project


@dataclass
class CommentRow:
    """A comment as the PM sees it: no name when the wave was confidential."""

    response: Response
    stakeholder: Stakeholder | None  # None: confidential wave
    score: CommentScore | None
    wave: Wave
    key_sentence: str | None

    def parts(self) -> tuple[str, str, str]:
        """The comment split around its weight-carrying sentence (before, key, after)."""
        text = self.response.comment
        if self.key_sentence and self.key_sentence in text:
            start = text.index(self.key_sentence)
            end = start + len(self.key_sentence)
            return text[:start], text[start:end], text[end:]
        return text, "", ""


def key_sentence(score: CommentScore | None) -> str | None:
    """The sentence with the strongest polarity, when the comment has more than one."""
    sentences = (score.detail or {}).get("sentences") if score is not None else None
    if not isinstance(sentences, list) or len(sentences) < 2:
        return None
    scored = [s for s in sentences if isinstance(s, dict) and isinstance(s.get("text"), str)]
    if not scored:
        return None
    strongest = max(scored, key=lambda s: abs(float(s.get("polarity") or 0.0)))
    return strongest["text"] if float(strongest.get("polarity") or 0.0) else None


def latest_comments(
    session: Session,
    *,
    project_id: int | None = None,
    relationship_id: int | None = None,
    limit: int = 20,
) -> list[CommentRow]:
    """Latest non-empty comments of a project (or one relationship) with scores.

    Confidential waves' comments come without a name, and only from waves whose project
    results may be shown (closed, enough people answering).
    """
    query = (
        select(Response, Stakeholder, CommentScore, Wave)
        .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(Wave, col(Wave.id) == col(Response.wave_id))
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id), isouter=True)
        .where(Response.comment != "")
    )
    if project_id is not None:
        query = query.where(Relationship.project_id == project_id)
    if relationship_id is not None:
        query = query.where(Response.relationship_id == relationship_id)
    rows = session.exec(query.order_by(col(Response.updated_at).desc()).limit(limit)).all()
    return [
        CommentRow(
            response=response,
            stakeholder=None if attribution.is_confidential(wave) else person,
            score=score,
            wave=wave,
            key_sentence=key_sentence(score),
        )
        for response, person, score, wave in _shown_comment_rows(session, rows)
    ]


def _shown_comment_rows(session: Session, rows: Sequence[tuple]) -> list[tuple]:
    """Drop comments of confidential waves whose project results are withheld."""
    shown: dict[tuple[int, int], bool] = {}
    out = []
    for row in rows:
        response, person, _score, wave = row
        if attribution.is_confidential(wave):
            relationship = session.get(Relationship, response.relationship_id)
            key = (relationship.project_id, wave.id)  # type: ignore[union-attr]
            if key not in shown:
                ids = attribution.shown_wave_ids(session, project_id=key[0], waves=[wave])
                shown[key] = wave.id in ids
            if not shown[key]:
                continue
        out.append(row)
    return out

"""Queries the views, API and CLI share. Keyword-only; access rules live here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from survey.models import (
    CommentScore,
    Invitation,
    Project,
    Relationship,
    RelationshipTrend,
    Response,
    Role,
    Stakeholder,
    StatusReport,
    User,
    Wave,
)


def visible_projects(session: Session, *, user: User) -> list[Project]:
    """Projects the user may see: a PM their own, admins and viewers all."""
    query = select(Project).order_by(col(Project.code))
    if user.role == Role.pm:
        query = query.where(Project.pm_id == user.id)
    return list(session.exec(query).all())


def project_for(session: Session, *, user: User, code: str) -> Project | None:
    """The project with `code` if the user may see it; None otherwise (callers 404)."""
    project = session.exec(select(Project).where(Project.code == code)).first()
    if project is None:
        return None
    if user.role == Role.pm and project.pm_id != user.id:
        return None
    return project


def relationship_for(session: Session, *, user: User, relationship_id: int) -> Relationship | None:
    """A relationship the user may see, or None."""
    relationship = session.get(Relationship, relationship_id)
    if relationship is None:
        return None
    project = session.get(Project, relationship.project_id)
    if project is None or (user.role == Role.pm and project.pm_id != user.id):
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
    """Each relationship of a project with its latest trend point."""
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
        .where(col(RelationshipTrend.relationship_id).in_(ids))
        .order_by(col(RelationshipTrend.wave_closes_at))
    ):
        latest[point.relationship_id] = point  # ordered, so the last one wins
    return [RelationshipRow(r, s, latest.get(r.id)) for r, s in pairs]  # type: ignore[arg-type]


def trend_points(session: Session, *, relationship_id: int) -> list[tuple[RelationshipTrend, Wave]]:
    """A relationship's trend points in wave order."""
    return list(
        session.exec(
            select(RelationshipTrend, Wave)
            .join(Wave, col(Wave.id) == col(RelationshipTrend.wave_id))
            .where(RelationshipTrend.relationship_id == relationship_id)
            .order_by(col(RelationshipTrend.wave_closes_at))
        ).all()
    )


def project_trend(session: Session, *, project_id: int) -> list[dict]:
    """Per wave: the mean of each dimension over the project's relationships, and answers."""
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
    return [dict(zip(keys, row, strict=True)) for row in rows]


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

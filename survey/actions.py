"""Follow-up actions as digests, reviews and invitations read them (pm_actions writes them)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from survey.models import (
    ActionStatus,
    FollowUpAction,
    Wave,
    WaveProject,
)

OPEN = (ActionStatus.open, ActionStatus.in_progress)
CLOSED = (ActionStatus.done, ActionStatus.dropped)
# At most this many "you said, we did" lines in one invitation: it is a pulse, not a report.
SHARED_IN_INVITATION = 5


def open_actions(session: Session, *, project_id: int) -> list[FollowUpAction]:
    """Open and in-progress actions, soonest due first (undated last)."""
    rows = session.exec(
        select(FollowUpAction)
        .where(FollowUpAction.project_id == project_id, col(FollowUpAction.status).in_(OPEN))
        .order_by(col(FollowUpAction.created_at))
    ).all()
    return sorted(rows, key=lambda a: (a.due_on is None, a.due_on or date.max, a.id))


def actions_active_between(
    session: Session, *, project_id: int, start: datetime, end: datetime
) -> list[FollowUpAction]:
    """Actions that existed at some point in [start, end) and were not closed before it."""
    return list(
        session.exec(
            select(FollowUpAction)
            .where(FollowUpAction.project_id == project_id, FollowUpAction.created_at < end)
            .where(
                col(FollowUpAction.closed_at).is_(None) | (col(FollowUpAction.closed_at) >= start)
            )
            .order_by(col(FollowUpAction.created_at), col(FollowUpAction.id))
        ).all()
    )


def shared_for_invitation(
    session: Session, *, project_id: int, wave: Wave, limit: int = SHARED_IN_INVITATION
) -> list[FollowUpAction]:
    """Done actions marked for sharing, closed since the project's previous wave opened."""
    previous = session.exec(
        select(Wave.opens_at)
        .join(WaveProject, col(WaveProject.wave_id) == col(Wave.id))
        .where(WaveProject.project_id == project_id, Wave.id != wave.id)
        .where(col(Wave.opens_at) < wave.opens_at)
        .order_by(col(Wave.opens_at).desc())
    ).first()
    query = select(FollowUpAction).where(
        FollowUpAction.project_id == project_id,
        FollowUpAction.status == ActionStatus.done,
        col(FollowUpAction.share_with_stakeholders),
    )
    if previous is not None:
        query = query.where(col(FollowUpAction.closed_at) >= previous)
    return list(session.exec(query.order_by(col(FollowUpAction.closed_at).desc()).limit(limit)))

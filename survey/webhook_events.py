"""The four webhook events, each recorded where it becomes true, with an ids-and-scores payload.

Nothing here puts a name, an email address or comment text into a payload (the GDPR rule):
receivers get ids to look things up through the API, and numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from sqlmodel import Session, col, func, select

from survey import webhooks
from survey.models import (
    Alert,
    Answer,
    Attribution,
    CommentScore,
    Invitation,
    Question,
    Relationship,
    Response,
    Wave,
    WaveProject,
)

if TYPE_CHECKING:
    from survey.reviews import ReviewPack


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def responses_scored(session: Session, response_ids: Iterable[int]) -> int:
    """Record `response.scored` for each response whose score is stored; returns how many."""
    endpoints = webhooks.subscribers(session, webhooks.RESPONSE_SCORED)
    ids = sorted(set(response_ids))
    if not endpoints or not ids:
        return 0
    rows = session.exec(
        select(Response, Relationship.project_id, Wave.attribution, CommentScore)
        .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
        .join(Wave, col(Wave.id) == col(Response.wave_id))
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id))
        .where(col(Response.id).in_(ids))
    ).all()
    ratings: dict[int, dict[str, int]] = {}
    for response_id, key, value in session.exec(
        select(Answer.response_id, Question.key, Answer.value_int)
        .join(Question, col(Question.id) == col(Answer.question_id))
        .where(col(Answer.response_id).in_(ids), col(Answer.value_int).is_not(None))
    ).all():
        ratings.setdefault(response_id, {})[key] = value  # type: ignore[assignment]
    recorded = 0
    for response, project_id, attribution, score in rows:
        data: dict[str, object] = {
            "response_id": response.id,
            "wave_id": response.wave_id,
            "ratings": ratings.get(response.id, {}),  # type: ignore[call-overload]
            "sentiment": {
                "polarity": _round(score.polarity),
                "subjectivity": _round(score.subjectivity),
                "label": score.label,
                "themes": [t for t in score.themes.split(",") if t],
            },
            "analyzer_version": score.analyzer_version,
        }
        # In a confidential wave the PM may not learn who said what: no relationship id.
        if attribution != Attribution.confidential:
            data["relationship_id"] = response.relationship_id
        revision = f"{score.scored_revision.isoformat()}:{score.analyzer_version}"
        event = webhooks.emit(
            session,
            webhooks.RESPONSE_SCORED,
            project_id=project_id,
            dedupe_key=f"{webhooks.RESPONSE_SCORED}:{response.id}:{revision}",
            data=data,
            endpoints=endpoints,
        )
        recorded += event is not None
    return recorded


def alert_raised(session: Session, alert: Alert) -> None:
    """Record `alert.raised` (rule, severity and subject ids; the message text stays home)."""
    webhooks.emit(
        session,
        webhooks.ALERT_RAISED,
        project_id=alert.project_id,
        dedupe_key=f"{webhooks.ALERT_RAISED}:{alert.id}",
        data={
            "alert_id": alert.id,
            "rule": alert.rule,
            "severity": alert.severity,
            "subject": {"kind": alert.subject_kind, "id": alert.subject_id},
            "wave_id": alert.wave_id,
            "raised_at": alert.raised_at.isoformat(),
        },
    )


def wave_closed(session: Session, wave: Wave) -> None:
    """Record `wave.closed` once per project the wave covers, with its response counts."""
    endpoints = webhooks.subscribers(session, webhooks.WAVE_CLOSED)
    if not endpoints:
        return
    project_ids = session.exec(
        select(WaveProject.project_id).where(WaveProject.wave_id == wave.id)
    ).all()
    counts = {
        project_id: (invited, answered)
        for project_id, invited, answered in session.exec(
            select(
                Relationship.project_id,
                func.count(col(Invitation.id)),
                func.count(col(Invitation.responded_at)),
            )
            .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
            .where(Invitation.wave_id == wave.id)
            .group_by(col(Relationship.project_id))
        ).all()
    }
    for project_id in project_ids:
        invited, answered = counts.get(project_id, (0, 0))
        webhooks.emit(
            session,
            webhooks.WAVE_CLOSED,
            project_id=project_id,
            dedupe_key=f"{webhooks.WAVE_CLOSED}:{wave.id}:{project_id}",
            data={
                "wave_id": wave.id,
                "closed_at": wave.closes_at.isoformat(),
                "invited": invited,
                "answered": answered,
                "response_rate": _round(answered / invited) if invited else None,
            },
            endpoints=endpoints,
        )


def review_ready(session: Session, pack: ReviewPack) -> None:
    """Record `review.ready` for a built quarterly pack, with the project's headline numbers."""
    this, last = pack.project_row.this, pack.project_row.last
    webhooks.emit(
        session,
        webhooks.REVIEW_READY,
        project_id=pack.project.id,  # type: ignore[arg-type]
        dedupe_key=f"{webhooks.REVIEW_READY}:{pack.project.id}:{pack.quarter}",
        data={
            "quarter": str(pack.quarter),
            "health": _round(this.health) if this.shown else None,
            "previous_health": _round(last.health) if last.shown else None,
            "sentiment": _round(this.sentiment) if this.shown else None,
            "answers": this.answers,
            "alerts_raised": len(pack.alerts_raised),
            "alerts_resolved": len(pack.alerts_resolved),
            "path": f"/projects/{pack.project.code}/reviews/{pack.quarter}",
        },
    )

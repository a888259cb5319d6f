"""Builders for digest and review tests: closed waves on given dates, answers with fixed scores."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from sqlmodel import Session

from survey.models import (
    Answer,
    Attribution,
    CommentScore,
    Invitation,
    Project,
    Relationship,
    Stakeholder,
    Wave,
    WaveProject,
    WaveStatus,
)
from survey.passwords import new_salt
from survey.pulse_templates import questions_of, relationship_pulse

_seq = count(1)


def person(
    session: Session,
    *,
    project: Project,
    name: str,
    influence: int = 3,
    unit: str = "",
    role: str = "",
) -> Relationship:
    """A stakeholder on the project with a role (the communication plan reads it)."""
    n = next(_seq)
    stakeholder = Stakeholder(
        name=name, email=f"r{n}@example.com", influence=influence, business_unit=unit
    )
    session.add(stakeholder)
    session.flush()
    relationship = Relationship(project_id=project.id, stakeholder_id=stakeholder.id, role=role)
    session.add(relationship)
    session.commit()
    return relationship


def closed_wave(
    session: Session,
    *,
    project: Project,
    closes: datetime,
    invite: list[Relationship],
    confidential: bool = False,
    status: WaveStatus = WaveStatus.closed,
) -> Wave:
    """A wave that ran for ten days up to `closes`, with everyone in `invite` invited."""
    wave = Wave(
        template_id=relationship_pulse(session).id,
        title=closes.strftime("%B %Y pulse"),
        opens_at=closes - timedelta(days=10),
        closes_at=closes,
        status=status,
        attribution=Attribution.confidential if confidential else Attribution.attributed,
    )
    session.add(wave)
    session.flush()
    session.add(WaveProject(wave_id=wave.id, project_id=project.id))
    for rel in invite:
        session.add(
            Invitation(
                wave_id=wave.id,
                relationship_id=rel.id,
                token_salt=new_salt(),
                token_hash=f"h{next(_seq)}-{new_salt()}",
                sent_at=wave.opens_at,
            )
        )
    session.commit()
    return wave


def answer(
    session: Session,
    *,
    wave: Wave,
    relationship: Relationship,
    ratings: tuple[int, int, int, int],
    comment: str = "",
    polarity: float | None = None,
    themes: str = "",
    when: datetime | None = None,
):  # type: ignore[no-untyped-def]
    """A response with (satisfaction, trust, communication, partnership) and a fixed score."""
    from sqlmodel import select

    from survey.models import Response

    invitation = session.exec(
        select(Invitation).where(
            Invitation.wave_id == wave.id, Invitation.relationship_id == relationship.id
        )
    ).one()
    when = when or wave.closes_at - timedelta(days=5)
    response = Response(
        invitation_id=invitation.id,
        wave_id=wave.id,
        relationship_id=relationship.id,
        comment=comment,
        submitted_at=when,
        updated_at=when,
    )
    session.add(response)
    session.flush()
    questions = {q.key: q for q in questions_of(session, wave.template_id)}
    for key, value in zip(("satisfaction", "trust", "communication", "partnership"), ratings):
        session.add(Answer(response_id=response.id, question_id=questions[key].id, value_int=value))
    if comment:
        session.add(
            Answer(response_id=response.id, question_id=questions["comment"].id, value_text=comment)
        )
        label = (
            "positive"
            if (polarity or 0) > 0.05
            else "negative"
            if (polarity or 0) < -0.05
            else "neutral"
        )
        session.add(
            CommentScore(
                response_id=response.id,
                polarity=polarity or 0.0,
                subjectivity=0.5,
                label=label,
                themes=themes,
                analyzer_version="fixture",
                scored_revision=when,
            )
        )
    invitation.responded_at = when
    session.add(invitation)
    session.commit()
    return response


def utc(year: int, month: int, day: int, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)

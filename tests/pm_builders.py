"""Builders for the PM view: closed waves whose answers went through the real scoring."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import count

from sqlmodel import Session

from survey import events, outbox
from survey.models import (
    Answer,
    Attribution,
    Invitation,
    Project,
    Rag,
    Relationship,
    Response,
    StatusReport,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.passwords import new_salt, token_hash
from survey.pulse_templates import questions_of, relationship_pulse
from workers.pipeline import drain_outbox

_seq = count(1)
RATINGS = ("satisfaction", "trust", "communication", "partnership")


def all_ratings(value: int, comment: str = "") -> dict:
    """The same rating on all four dimensions."""
    return {**{name: value for name in RATINGS}, "comment": comment}


def add_wave(
    session: Session,
    *,
    projects: list[Project],
    answers: list[tuple[Relationship, dict | None]],
    months_ago: int,
    status: WaveStatus = WaveStatus.closed,
    drain: bool = True,
    attribution: Attribution = Attribution.attributed,
    title: str | None = None,
) -> Wave:
    """A wave covering `projects`; each (relationship, answers) pair is invited and answers the
    given {dimension: 1-5, "comment": text} (None: invited, no answer). The answers are
    scored by the real outbox pipeline unless `drain` is False."""
    template = relationship_pulse(session)
    questions = {q.key: q for q in questions_of(session, template.id)}  # type: ignore[arg-type]
    opens = utcnow() - timedelta(days=30 * months_ago + 12)
    wave = Wave(
        template_id=template.id,  # type: ignore[arg-type]
        title=title or f"Pulse {next(_seq)}",
        opens_at=opens,
        closes_at=opens + timedelta(days=10 if status == WaveStatus.closed else 40),
        status=status,
        attribution=attribution,
    )
    session.add(wave)
    session.flush()
    for project in projects:
        session.add(WaveProject(wave_id=wave.id, project_id=project.id))  # type: ignore[arg-type]
    for relationship, given in answers:
        answered_at = opens + timedelta(days=2)
        invitation = Invitation(
            wave_id=wave.id,  # type: ignore[arg-type]
            relationship_id=relationship.id,  # type: ignore[arg-type]
            token_salt=new_salt(),
            token_hash=token_hash(f"token-{next(_seq)}-{new_salt()}"),
            sent_at=opens,
            responded_at=answered_at if given is not None else None,
        )
        session.add(invitation)
        session.flush()
        if given is None:
            continue
        response = Response(
            invitation_id=invitation.id,  # type: ignore[arg-type]
            wave_id=wave.id,  # type: ignore[arg-type]
            relationship_id=relationship.id,  # type: ignore[arg-type]
            comment=given.get("comment", ""),
            submitted_at=answered_at,
            updated_at=answered_at,
        )
        session.add(response)
        session.flush()
        for name in RATINGS:
            if given.get(name) is not None:
                session.add(
                    Answer(
                        response_id=response.id,  # type: ignore[arg-type]
                        question_id=questions[name].id,  # type: ignore[arg-type]
                        value_int=given[name],
                    )
                )
        outbox.record(session, events.RESPONSE_SUBMITTED.name, response_id=response.id)  # type: ignore[arg-type]
    session.commit()
    if drain:
        drain_outbox()
    return wave


def report_status(
    session: Session, *, project: Project, status: str, days_ago: int = 1, note: str = ""
) -> StatusReport:
    """A status report the PM filed `days_ago` days ago."""
    report = StatusReport(
        project_id=project.id,  # type: ignore[arg-type]
        status=Rag(status),
        note=note,
        reported_on=date.today() - timedelta(days=days_ago),
    )
    session.add(report)
    session.commit()
    return report

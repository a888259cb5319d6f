"""Save a stakeholder's answers and the outbox event in one transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey import events, outbox
from survey.capture.pulse import PulseForm
from survey.models import (
    Answer,
    Invitation,
    OutboxEvent,
    Question,
    QuestionKind,
    Response,
    utcnow,
)


def find_response(session: Session, invitation_id: int) -> Response | None:
    """The saved response to an invitation, if any."""
    return session.exec(select(Response).where(Response.invitation_id == invitation_id)).first()


def saved_answers(session: Session, response: Response, questions: Sequence[Question]) -> dict:
    """A response's answers keyed by question key, as form strings."""
    by_id = {q.id: q for q in questions}
    out: dict[str, str] = {}
    for answer in session.exec(select(Answer).where(Answer.response_id == response.id)):
        question = by_id.get(answer.question_id)
        if question is not None:
            value = answer.value_int if answer.value_int is not None else answer.value_text
            out[question.key] = "" if value is None else str(value)
    return out


def _write(
    session: Session, invitation: Invitation, questions: Sequence[Question], form: PulseForm
) -> OutboxEvent:
    now = utcnow()
    # Concurrent POSTs for one invitation queue up on its row (FOR UPDATE; SQLite's single
    # writer does the same), so each sees the response the previous one committed.
    session.execute(
        select(Invitation.id).where(col(Invitation.id) == invitation.id).with_for_update()
    )
    response = find_response(session, invitation.id)  # type: ignore[arg-type]
    if response is None:
        response = Response(
            invitation_id=invitation.id,  # type: ignore[arg-type]
            wave_id=invitation.wave_id,
            relationship_id=invitation.relationship_id,
        )
        session.add(response)
        session.flush()  # Raises IntegrityError here if a concurrent POST got in first.
    else:
        session.execute(delete(Answer).where(col(Answer.response_id) == response.id))
    comment_parts = []
    for question in questions:
        value = form.values.get(question.key)
        if value is None:
            continue
        if question.kind == QuestionKind.text:
            comment_parts.append(str(value))
        session.add(
            Answer(
                response_id=response.id,  # type: ignore[arg-type]
                question_id=question.id,  # type: ignore[arg-type]
                value_int=value if isinstance(value, int) else None,
                value_text=value if isinstance(value, str) else None,
            )
        )
    response.comment = "\n\n".join(comment_parts)
    response.updated_at = now
    invitation.responded_at = invitation.responded_at or now
    session.add_all([response, invitation])
    event = outbox.record(session, events.RESPONSE_SUBMITTED.name, response_id=response.id)
    session.commit()
    return event


def save(
    session: Session, invitation: Invitation, questions: Sequence[Question], form: PulseForm
) -> int:
    """Store the answers (creating or replacing the response); returns the outbox event id."""
    try:
        event = _write(session, invitation, questions, form)
    except IntegrityError:
        # Two submissions raced for the same invitation: the loser becomes an update.
        session.rollback()
        event = _write(session, invitation, questions, form)
    return event.id  # type: ignore[return-value]

"""Save a stakeholder's answers and the outbox event in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from survey import db, events, outbox
from survey.capture.pulse import PulseForm
from survey.models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Response,
    utcnow,
)

# Built once with bound parameters: constructing and keying a statement costs several times
# more than running it, and these run on every submission.
_invitations = Invitation.__table__  # type: ignore[attr-defined]
_responses = Response.__table__  # type: ignore[attr-defined]
_answers = Answer.__table__  # type: ignore[attr-defined]
_MARK_RESPONDED = (
    update(_invitations)
    .where(_invitations.c.id == bindparam("invitation_id"))
    .values(
        responded_at=func.coalesce(
            _invitations.c.responded_at,
            bindparam("now", type_=_invitations.c.responded_at.type),
        )
    )
)
_RESPONSE_ID = select(_responses.c.id).where(
    _responses.c.invitation_id == bindparam("invitation_id")
)
_INSERT_RESPONSE = insert(_responses)
_UPDATE_RESPONSE = (
    update(_responses)
    .where(_responses.c.id == bindparam("response_id"))
    .values(comment=bindparam("comment"), updated_at=bindparam("now"))
)
_DELETE_ANSWERS = delete(_answers).where(_answers.c.response_id == bindparam("response_id"))
_INSERT_ANSWERS = insert(_answers)


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


def _answer_rows(
    questions: Sequence[Question], form: PulseForm
) -> tuple[list[dict[str, object]], str]:
    """The answer rows (without their response) and the comment, the text answers joined."""
    rows: list[dict[str, object]] = []
    comment_parts = []
    for question in questions:
        value = form.values.get(question.key)
        if value is None:
            continue
        if question.kind == QuestionKind.text:
            comment_parts.append(str(value))
        rows.append(
            {
                "question_id": question.id,
                "value_int": value if isinstance(value, int) else None,
                "value_text": value if isinstance(value, str) else None,
            }
        )
    return rows, "\n\n".join(comment_parts)


class Invited(Protocol):
    """What saving reads of an invitation: an `Invitation`, or a row of its columns."""

    @property
    def id(self) -> int | None: ...
    @property
    def wave_id(self) -> int: ...
    @property
    def relationship_id(self) -> int: ...


def _write(
    session: Session, invited: Invited, questions: Sequence[Question], form: PulseForm
) -> int:
    now = utcnow()
    rows, comment = _answer_rows(questions, form)
    ids = {"invitation_id": invited.id}
    # Write the invitation row first: concurrent POSTs for one invitation queue up on its row
    # lock (on SQLite's single write lock), so each sees the response the previous one
    # committed, and SQLite never has to turn a read transaction into a write one midway.
    # Core statements on the session's connection: the ORM adds nothing to these and would
    # cost more than the statements themselves.
    conn = session.connection()
    conn.execute(_MARK_RESPONDED, {**ids, "now": now})
    response_id = conn.execute(_RESPONSE_ID, ids).scalar()
    if response_id is None:
        created = conn.execute(
            _INSERT_RESPONSE,
            {
                **ids,
                "wave_id": invited.wave_id,
                "relationship_id": invited.relationship_id,
                "comment": comment,
                "submitted_at": now,
                "updated_at": now,
            },
        )
        response_id = created.inserted_primary_key[0]  # type: ignore[attr-defined]
    else:
        changed = {"response_id": response_id, "comment": comment, "now": now}
        conn.execute(_UPDATE_RESPONSE, changed)
        conn.execute(_DELETE_ANSWERS, changed)
    if rows:
        conn.execute(_INSERT_ANSWERS, [{**row, "response_id": response_id} for row in rows])
    event_id = outbox.record_dispatched(
        session, events.RESPONSE_SUBMITTED.name, response_id=response_id
    )
    session.commit()
    return event_id


def submit(
    session: Session, invited: Invited, questions: Sequence[Question], form: PulseForm
) -> int:
    """Store the answers (creating or replacing the response); returns the outbox event's id.

    The event is stamped as dispatched: the caller must hand it over with
    `outbox.keep_promise` once this returns (see `survey.outbox`).
    """
    with db.writer_turn(session):
        try:
            return _write(session, invited, questions, form)
        except IntegrityError:
            # Two submissions raced for the same invitation: the loser becomes an update.
            session.rollback()
            return _write(session, invited, questions, form)

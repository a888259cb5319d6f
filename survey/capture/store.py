"""Save a stakeholder's answers and the outbox event in one transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from sqlalchemy import bindparam, delete, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from survey import db, direct_sql, events, outbox
from survey.capture.pulse import PulseForm
from survey.direct_sql import Direct
from survey.models import (
    Answer,
    Invitation,
    Question,
    QuestionKind,
    Response,
    Wave,
    utcnow,
)

# Run on the DB-API connection itself (see `survey.direct_sql`): SQLAlchemy's cost per
# execution is several times that of these statements, and every submission runs them.
_invitations = Invitation.__table__  # type: ignore[attr-defined]
_responses = Response.__table__  # type: ignore[attr-defined]
_answers = Answer.__table__  # type: ignore[attr-defined]
_waves = Wave.__table__  # type: ignore[attr-defined]
# A submission needs columns, not entities: `Invited` names what it reads.
BY_TOKEN = Direct(
    select(
        _invitations.c.id,
        _invitations.c.wave_id,
        _invitations.c.relationship_id,
        _waves.c.template_id,
        _waves.c.status,
        _waves.c.closes_at,
    )
    .join(_waves, _waves.c.id == _invitations.c.wave_id)
    .where(_invitations.c.token_hash == bindparam("token_hash"))
)
_MARK_RESPONDED = Direct(
    update(_invitations)
    .where(_invitations.c.id == bindparam("invitation_id"))
    .values(
        responded_at=func.coalesce(
            _invitations.c.responded_at,
            bindparam("now", type_=_invitations.c.responded_at.type),
        )
    )
)
_RESPONSE_ID = Direct(
    select(_responses.c.id).where(_responses.c.invitation_id == bindparam("invitation_id"))
)
_INSERT_RESPONSE = Direct(
    insert(_responses)
    .values(
        invitation_id=bindparam("invitation_id"),
        wave_id=bindparam("wave_id"),
        relationship_id=bindparam("relationship_id"),
        comment=bindparam("comment"),
        submitted_at=bindparam("now", type_=_responses.c.submitted_at.type),
        updated_at=bindparam("now", type_=_responses.c.updated_at.type),
    )
    .returning(_responses.c.id)
)
_UPDATE_RESPONSE = Direct(
    update(_responses)
    .where(_responses.c.id == bindparam("response_id"))
    .values(comment=bindparam("comment"), updated_at=bindparam("now"))
)
_DELETE_ANSWERS = Direct(delete(_answers).where(_answers.c.response_id == bindparam("response_id")))
_INSERT_ANSWERS = Direct(
    insert(_answers).values(
        response_id=bindparam("response_id"),
        question_id=bindparam("question_id"),
        value_int=bindparam("value_int"),
        value_text=bindparam("value_text"),
    )
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
    conn: direct_sql.Connection, invited: Invited, questions: Sequence[Question], form: PulseForm
) -> int:
    now = utcnow()
    rows, comment = _answer_rows(questions, form)
    ids = {"invitation_id": invited.id}
    # Write the invitation row first: concurrent POSTs for one invitation queue up on its row
    # lock (on SQLite's single write lock), so each sees the response the previous one
    # committed, and SQLite never has to turn a read transaction into a write one midway.
    conn.execute(_MARK_RESPONDED, {**ids, "now": now})
    found = conn.first(_RESPONSE_ID, ids)
    if found is None:
        created = conn.first(
            _INSERT_RESPONSE,
            {
                **ids,
                "wave_id": invited.wave_id,
                "relationship_id": invited.relationship_id,
                "comment": comment,
                "now": now,
            },
        )
        response_id = created.id
    else:
        response_id = found.id
        changed = {"response_id": response_id, "comment": comment, "now": now}
        conn.execute(_UPDATE_RESPONSE, changed)
        conn.execute(_DELETE_ANSWERS, changed)
    if rows:
        conn.execute_many(_INSERT_ANSWERS, [{**row, "response_id": response_id} for row in rows])
    event_id = outbox.record_dispatched(
        conn, events.RESPONSE_SUBMITTED.name, response_id=response_id
    )
    conn.commit()
    return event_id


def submit(
    conn: direct_sql.Connection, invited: Invited, questions: Sequence[Question], form: PulseForm
) -> int:
    """Store the answers (creating or replacing the response); returns the outbox event's id.

    The event is stamped as dispatched: the caller must hand it over with
    `outbox.keep_promise` once this returns (see `survey.outbox`).
    """
    with db.writer_turn(conn.engine.url):
        try:
            return _write(conn, invited, questions, form)
        except IntegrityError:
            # Two submissions raced for the same invitation: the loser becomes an update.
            conn.rollback()
            return _write(conn, invited, questions, form)

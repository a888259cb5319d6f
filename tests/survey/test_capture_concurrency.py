"""Concurrent submissions for one invitation, with real connections to the test database."""

from __future__ import annotations

import threading

from sqlmodel import select

from survey.models import Answer, OutboxEvent, Response
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token

CLIENTS = 6
ROUNDS = 4
RATINGS = ("satisfaction", "trust", "communication", "partnership")


def _race(app, raw: str, answers: list[dict]) -> list[int]:  # type: ignore[no-untyped-def]
    """POST every answer set for one token at the same instant; the status codes."""
    barrier = threading.Barrier(len(answers))
    statuses: list[int] = []
    errors: list[BaseException] = []

    def submit(data: dict) -> None:
        try:
            client = app.test_client()
            token = csrf_token(client.get(f"/s/{raw}").text)
            barrier.wait(timeout=20)
            statuses.append(
                client.post(f"/s/{raw}", data={**data, "csrf_token": token}).status_code
            )
        except BaseException as exc:  # surfaced below: a thread must not fail silently
            errors.append(exc)

    threads = [threading.Thread(target=submit, args=(a,)) for a in answers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return statuses


def test_simultaneous_first_submissions_leave_exactly_one_response(app, session):
    for _ in range(ROUNDS):
        invitation, raw, _project = make_invited(session)
        variants = [
            {**GOOD_ANSWERS, "trust": str(1 + n % 5), "comment": f"Answer number {n}."}
            for n in range(CLIENTS)
        ]
        statuses = _race(app, raw, variants)
        assert statuses == [303] * CLIENTS
        session.expire_all()
        responses = session.exec(
            select(Response).where(Response.invitation_id == invitation.id)
        ).all()
        assert len(responses) == 1
        saved = responses[0]
        answers = session.exec(select(Answer).where(Answer.response_id == saved.id)).all()
        # One complete set of answers, all from the same submission (the last to commit).
        assert len(answers) == 5
        winner = next(v for v in variants if v["comment"] == saved.comment)
        ratings = sorted(a.value_int for a in answers if a.value_int is not None)
        assert ratings == sorted(int(winner[k]) for k in RATINGS)
        events = session.exec(select(OutboxEvent)).all()
        assert sum(e.payload == {"response_id": saved.id} for e in events) == CLIENTS


def test_simultaneous_changes_to_a_saved_response_keep_one_answer_set(app, session):
    invitation, raw, _project = make_invited(session)
    assert _race(app, raw, [GOOD_ANSWERS]) == [303]
    variants = [{**GOOD_ANSWERS, "comment": f"Changed {n}."} for n in range(CLIENTS)]
    assert _race(app, raw, variants) == [303] * CLIENTS
    session.expire_all()
    saved = session.exec(select(Response).where(Response.invitation_id == invitation.id)).one()
    assert saved.comment in {v["comment"] for v in variants}
    answers = session.exec(select(Answer).where(Answer.response_id == saved.id)).all()
    assert len(answers) == 5
    assert [a.value_text for a in answers if a.value_text] == [saved.comment]

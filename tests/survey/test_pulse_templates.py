"""A template's questions: in order, read once per process and database."""

from __future__ import annotations

from sqlalchemy import event
from sqlmodel import Session

from survey import db, migrate
from survey.models import QuestionKind
from survey.pulse_templates import (
    PULSE_QUESTIONS,
    ensure_template,
    questions_of,
    relationship_pulse,
    template_questions,
)


def _one_question(key: str) -> list[dict]:
    return [{"key": key, "prompt": f"{key}?", "kind": QuestionKind.scale_1_5}]


def test_template_questions_are_read_once_and_in_order(session, database_url):
    template = relationship_pulse(session)
    session.commit()
    statements: list[str] = []
    engine = db.get_engine(database_url)

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        first = template_questions(session, template.id)  # type: ignore[arg-type]
        again = template_questions(session, template.id)  # type: ignore[arg-type]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert [q.key for q in first] == [key for key, *_ in PULSE_QUESTIONS]
    assert [q.id for q in first] == [q.id for q in questions_of(session, template.id)]  # type: ignore[arg-type]
    assert again is first
    assert len([s for s in statements if "FROM question" in s]) == 1


def test_each_database_keeps_its_own_questions(session, tmp_path):
    # Ids start again in every database: one database's template 1 is not another's.
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    migrate.upgrade(other_url)
    here = ensure_template(session, name="Here", intro="", questions=_one_question("alpha"))
    session.commit()
    with Session(db.get_engine(other_url)) as other:
        there = ensure_template(other, name="There", intro="", questions=_one_question("beta"))
        other.commit()
        assert there.id == here.id
        assert [q.key for q in template_questions(other, there.id)] == ["beta"]  # type: ignore[arg-type]
    assert [q.key for q in template_questions(session, here.id)] == ["alpha"]  # type: ignore[arg-type]

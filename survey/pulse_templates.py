"""The built-in survey templates."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from survey.models import Dimension, Question, QuestionKind, SurveyTemplate

RELATIONSHIP_PULSE = "Relationship pulse"
# Per process: (database URL, template id) -> its questions; see `template_questions`.
_QUESTIONS: dict[tuple[str, int], tuple[Question, ...]] = {}
_QUESTIONS_KEPT = 256

# (key, prompt, kind, dimension, required)
PULSE_QUESTIONS = (
    (
        "satisfaction",
        "Overall, how satisfied are you with how the project is going?",
        QuestionKind.scale_1_5,
        Dimension.satisfaction,
        True,
    ),
    (
        "trust",
        "How much do you trust the status and estimates the project team gives you?",
        QuestionKind.scale_1_5,
        Dimension.trust,
        True,
    ),
    (
        "communication",
        "Do you get the right information at the right frequency?",
        QuestionKind.scale_1_5,
        Dimension.communication,
        True,
    ),
    (
        "partnership",
        "Does the IT team work with you, rather than just for you?",
        QuestionKind.scale_1_5,
        Dimension.partnership,
        True,
    ),
    (
        "comment",
        "What is one thing we should start, stop or keep doing?",
        QuestionKind.text,
        Dimension.other,
        False,
    ),
)


def ensure_template(
    session: Session, *, name: str, intro: str, questions: Sequence[dict[str, Any]]
) -> SurveyTemplate:
    """The template called `name`, created with `questions` (Question fields) on first use."""
    template = session.exec(select(SurveyTemplate).where(SurveyTemplate.name == name)).first()
    if template is not None:
        return template
    template = SurveyTemplate(name=name, intro=intro)
    session.add(template)
    session.flush()
    for order, fields in enumerate(questions):
        session.add(Question(template_id=template.id, order=order, **fields))  # type: ignore[arg-type]
    session.flush()
    return template


def relationship_pulse(session: Session) -> SurveyTemplate:
    """The default template, created on first use."""
    return ensure_template(
        session,
        name=RELATIONSHIP_PULSE,
        intro="Four ratings and one question: about a minute.",
        questions=[
            {"key": k, "prompt": p, "kind": kind, "dimension": d, "required": r}
            for k, p, kind, d, r in PULSE_QUESTIONS
        ],
    )


def questions_of(session: Session, template_id: int) -> list[Question]:
    """A template's questions in order."""
    return list(
        session.exec(
            select(Question)
            .where(Question.template_id == template_id)
            .order_by(col(Question.order), col(Question.id))
        ).all()
    )


def template_questions(session: Session, template_id: int) -> Sequence[Question]:
    """A template's questions in order, read once per process and database.

    A template is written whole by `ensure_template` and nothing edits or deletes its
    questions afterwards, so every pulse page can share one read-only copy instead of
    querying for it. The copies are detached from `session`: read them, never add them.
    """
    return kept_questions(session.get_bind(), template_id, session)  # type: ignore[arg-type]


def kept_questions(
    engine: Engine, template_id: int, session: Session | None = None
) -> Sequence[Question]:
    """`template_questions` by engine: a session is opened only when they are not kept yet."""
    key = (str(engine.url), template_id)
    kept = _QUESTIONS.get(key)
    if kept is not None:
        return kept
    if session is None:
        with Session(engine) as own:
            return kept_questions(engine, template_id, own)
    questions = questions_of(session, template_id)
    for question in questions:
        session.expunge(question)
    kept = tuple(questions)
    if kept:  # a template still being written is not kept
        if len(_QUESTIONS) >= _QUESTIONS_KEPT:
            _QUESTIONS.clear()
        _QUESTIONS[key] = kept
    return kept

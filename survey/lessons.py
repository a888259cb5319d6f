"""Lessons learned: the template sent like any wave, lessons read from its answers (themed and
sentiment-scored like comments), search across projects and CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlmodel import Session, col, or_, select

from analysis import sentiment
from survey.csv_safety import neutralise
from survey.measures import LESSONS_TEMPLATE
from survey.models import (
    Answer,
    Attribution,
    Lesson,
    LessonKind,
    Project,
    Question,
    QuestionKind,
    Response,
    SurveyTemplate,
    Wave,
)
from survey.pulse_templates import ensure_template

WORK_AGAIN_CHOICES = ("Yes", "Maybe", "No")
# (key, prompt, kind, required, choices); text keys name the LessonKind they become.
LESSON_QUESTIONS = (
    ("went_well", "What went well on this project or phase?", QuestionKind.text, False, ""),
    ("should_change", "What should we change next time?", QuestionKind.text, False, ""),
    (
        "work_again",
        "Would you work with this team again?",
        QuestionKind.choice,
        True,
        "|".join(WORK_AGAIN_CHOICES),
    ),
    ("comment", "Anything else you want us to learn from?", QuestionKind.text, False, ""),
)
CSV_HEADER = (
    "project", "recorded", "kind", "text", "work again", "label", "polarity", "themes", "who",
)  # fmt: skip


def lessons_template(session: Session) -> SurveyTemplate:
    """The lessons-learned template, created on first use."""
    return ensure_template(
        session,
        name=LESSONS_TEMPLATE,
        intro="At the end of a phase or of the project: what should we learn, together?",
        questions=[
            {"key": k, "prompt": p, "kind": kind, "required": r, "choices": c}
            for k, p, kind, r, c in LESSON_QUESTIONS
        ],
    )


def _score(lesson: Lesson) -> None:
    reading = sentiment.score(lesson.text)
    lesson.polarity = reading.polarity
    lesson.subjectivity = reading.subjectivity
    lesson.label = reading.label
    lesson.themes = ",".join(reading.themes)[:300]
    lesson.analyzer_version = sentiment.ANALYZER_VERSION


def collect(session: Session, *, since: datetime | None = None) -> int:
    """Turn lessons-template responses into scored lessons; unchanged ones are skipped, so
    running twice writes nothing new. Returns how many responses were (re)read."""
    query = (
        select(Response, Wave)
        .join(Wave, col(Wave.id) == col(Response.wave_id))
        .join(SurveyTemplate, col(SurveyTemplate.id) == col(Wave.template_id))
        .where(SurveyTemplate.name == LESSONS_TEMPLATE)
    )
    if since is not None:
        query = query.where(Response.updated_at >= since)
    read = 0
    for response, wave in session.exec(query.order_by(col(Response.id))).all():
        existing = {
            lesson.kind: lesson
            for lesson in session.exec(select(Lesson).where(Lesson.response_id == response.id))
        }
        if existing and all(e.source_revision == response.updated_at for e in existing.values()):
            continue
        _read_response(session, response, wave, existing)
        read += 1
    return read


def _read_response(
    session: Session, response: Response, wave: Wave, existing: dict[LessonKind, Lesson]
) -> None:
    from survey.models import Relationship

    relationship = session.get(Relationship, response.relationship_id)
    answers = {
        key: text
        for key, text in session.exec(
            select(Question.key, Answer.value_text)
            .join(Question, col(Question.id) == col(Answer.question_id))
            .where(Answer.response_id == response.id)
        ).all()
    }
    for kind in (LessonKind.went_well, LessonKind.should_change, LessonKind.comment):
        text = (answers.get(kind.value) or "").strip()
        lesson = existing.get(kind)
        if not text:
            if lesson is not None:
                session.delete(lesson)
            continue
        lesson = lesson or Lesson(
            project_id=relationship.project_id,  # type: ignore[union-attr]
            response_id=response.id,
            relationship_id=response.relationship_id,
            kind=kind,
            text=text,
        )
        lesson.text = text[:2000]
        lesson.work_again = answers.get("work_again")
        lesson.confidential = wave.attribution == Attribution.confidential
        lesson.source_revision = response.updated_at
        lesson.recorded_at = response.submitted_at
        _score(lesson)
        session.add(lesson)


def add_note(session: Session, *, project: Project, text: str) -> Lesson:
    """A lesson the PM records directly (e.g. agreed at a review meeting)."""
    text = text.strip()
    if not text:
        raise ValueError("write the lesson")
    lesson = Lesson(project_id=project.id, kind=LessonKind.note, text=text[:2000])  # type: ignore[arg-type]
    _score(lesson)
    session.add(lesson)
    return lesson


def search(
    session: Session,
    *,
    project_ids: Sequence[int],
    text: str = "",
    theme: str = "",
    label: str = "",
) -> list[tuple[Lesson, Project]]:
    """Lessons on the given projects, newest first, filtered by words, theme and label."""
    query = (
        select(Lesson, Project)
        .join(Project, col(Project.id) == col(Lesson.project_id))
        .where(col(Lesson.project_id).in_(project_ids))
    )
    for word in text.split()[:8]:
        query = query.where(col(Lesson.text).ilike(f"%{_like(word)}%", escape="\\"))
    if theme:
        # Themes are stored comma-joined; match a whole entry, not a prefix of another.
        query = query.where(
            or_(
                Lesson.themes == theme,
                col(Lesson.themes).like(f"{_like(theme)},%", escape="\\"),
                col(Lesson.themes).like(f"%,{_like(theme)}", escape="\\"),
                col(Lesson.themes).like(f"%,{_like(theme)},%", escape="\\"),
            )
        )
    if label:
        query = query.where(Lesson.label == label)
    return list(session.exec(query.order_by(col(Lesson.recorded_at).desc()).limit(500)).all())


def _like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def who(lesson: Lesson, names: dict[int, str]) -> str:
    """The stakeholder's name, or nobody's in confidential waves and PM notes."""
    if lesson.kind == LessonKind.note:
        return "project team"
    if lesson.confidential or lesson.relationship_id is None:
        return "anonymous"
    return names.get(lesson.relationship_id, "anonymous")


def to_csv(rows: Iterable[tuple[Lesson, Project]], names: dict[int, str]) -> str:
    """The lessons as CSV, every cell neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for lesson, project in rows:
        row = (
            project.code,
            lesson.recorded_at.date().isoformat(),
            lesson.kind.value if isinstance(lesson.kind, LessonKind) else lesson.kind,
            lesson.text,
            lesson.work_again or "",
            lesson.label,
            round(lesson.polarity, 3),
            lesson.themes.replace(",", "; "),
            who(lesson, names),
        )
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def names_for(session: Session, lessons: Iterable[Lesson]) -> dict[int, str]:
    """Stakeholder names of the lessons' relationships (used only where attributed)."""
    from survey.models import Relationship, Stakeholder

    ids = {lesson.relationship_id for lesson in lessons if lesson.relationship_id}
    if not ids:
        return {}
    return {
        rid: name
        for rid, name in session.exec(
            select(Relationship.id, Stakeholder.name)
            .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
            .where(col(Relationship.id).in_(ids))
        ).all()
        if rid is not None
    }

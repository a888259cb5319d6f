"""Lessons learned: read from the template's answers, scored, searchable, exported safely."""

from __future__ import annotations

import csv
import io

from sqlmodel import select

from survey import lessons
from survey.models import Answer, Lesson, Response
from survey.pulse_templates import questions_of
from tests.builders import make_project, make_user
from tests.report_builders import closed_wave, person, utc


def _lessons_response(session, *, confidential=False, texts=None):  # type: ignore[no-untyped-def]
    pm = make_user(session)
    project = make_project(session, pm=pm)
    rel = person(session, project=project, name="Wren Talbot")
    wave = closed_wave(session, project=project, closes=utc(2026, 2, 1), invite=[rel],
                       confidential=confidential)  # fmt: skip
    wave.template_id = lessons.lessons_template(session).id
    session.add(wave)
    session.commit()
    from survey.models import Invitation

    invitation = session.exec(select(Invitation).where(Invitation.wave_id == wave.id)).one()
    response = Response(invitation_id=invitation.id, wave_id=wave.id, relationship_id=rel.id,
                        submitted_at=utc(2026, 1, 28), updated_at=utc(2026, 1, 28))  # fmt: skip
    session.add(response)
    session.flush()
    questions = {q.key: q for q in questions_of(session, wave.template_id)}
    texts = texts or {
        "went_well": "The weekly demos were excellent and the team was very helpful.",
        "should_change": "Estimates were always late and the schedule kept slipping.",
        "work_again": "Yes",
    }
    for key, value in texts.items():
        session.add(
            Answer(response_id=response.id, question_id=questions[key].id, value_text=value)
        )
    session.commit()
    return project, response


def test_lessons_are_read_scored_and_read_once(session):
    project, _response = _lessons_response(session)
    assert lessons.collect(session) == 1
    session.commit()
    assert lessons.collect(session) == 0  # unchanged: nothing written again
    rows = {item.kind.value: item for item in session.exec(select(Lesson)).all()}
    assert set(rows) == {"went_well", "should_change"}
    assert rows["went_well"].label == "positive" and rows["should_change"].label == "negative"
    assert rows["should_change"].themes  # themed like comments
    assert rows["went_well"].work_again == "Yes"


def test_search_across_projects_by_words_and_theme(session):
    project, _ = _lessons_response(session)
    lessons.collect(session)
    other = make_project(session, pm=make_user(session), name="Other")
    lessons.add_note(session, project=other, text="Demos to finance helped a lot.")
    session.commit()
    both = [project.id, other.id]
    found = lessons.search(session, project_ids=both, text="demos")
    assert {p.id for _l, p in found} == {project.id, other.id}
    theme = next(t for item in session.exec(select(Lesson)) for t in item.themes.split(",") if t)
    assert all(
        theme in item.themes.split(",")
        for item, _p in lessons.search(session, project_ids=both, theme=theme)
    )
    assert lessons.search(session, project_ids=[other.id], text="estimates") == []


def test_export_neutralises_and_hides_names_in_confidential_waves(session):
    _project, _ = _lessons_response(
        session,
        confidential=True,
        texts={"went_well": "=CMD() demos were good", "work_again": "No"},
    )
    lessons.collect(session)
    session.commit()
    rows = lessons.search(
        session, project_ids=[item.project_id for item in session.exec(select(Lesson))]
    )
    text = lessons.to_csv(rows, lessons.names_for(session, [item for item, _ in rows]))
    [header, row] = list(csv.reader(io.StringIO(text)))
    assert row[header.index("text")] == "'=CMD() demos were good"
    assert row[header.index("who")] == "anonymous" and "Wren Talbot" not in text


def test_lessons_page_and_csv(client, auth, session):
    project, _ = _lessons_response(session)
    lessons.collect(session)
    session.commit()
    from survey.models import Project, User

    pm = session.get(User, session.get(Project, project.id).pm_id)
    auth.login(pm.email)
    page = client.get(f"/lessons?q=demos&project={project.code}")
    assert page.status_code == 200 and "weekly demos were excellent" in page.text
    export = client.get(f"/lessons.csv?project={project.code}")
    assert export.mimetype == "text/csv" and "Wren Talbot" in export.text

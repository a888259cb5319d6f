"""Lessons learned across projects (search, CSV export, PM notes) and sharing actions."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from survey import lessons, queries
from survey.dashboard import bp
from survey.dashboard.access import changeable_action, changeable_project
from survey.web.session import get_session

LABELS = ("positive", "negative", "neutral")


def _results():
    session = get_session()
    projects = queries.visible_projects(session, user=current_user)
    code = request.args.get("project", "")
    chosen = [p for p in projects if p.code == code] if code else projects
    label = request.args.get("label", "")
    rows = lessons.search(
        session,
        project_ids=[p.id for p in chosen if p.id is not None],
        text=request.args.get("q", "")[:200],
        theme=request.args.get("theme", "")[:40],
        label=label if label in LABELS else "",
    )
    return projects, rows, lessons.names_for(session, [lesson for lesson, _ in rows])


@bp.get("/lessons")
@login_required
def lessons_search():
    """Lessons learned on every project the user may see, searchable by words and theme."""
    projects, rows, names = _results()
    return render_template(
        "review/lessons.html",
        projects=projects,
        rows=rows,
        who={lesson.id: lessons.who(lesson, names) for lesson, _ in rows},
        args=request.args,
        labels=LABELS,
    )


@bp.get("/lessons.csv")
@login_required
def lessons_csv():
    """The lessons matching the same filters, as CSV."""
    _projects, rows, names = _results()
    response = Response(lessons.to_csv(rows, names), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = 'attachment; filename="lessons-learned.csv"'
    return response


@bp.post("/projects/<code>/lessons")
@login_required
def lesson_add(code: str):
    """The PM records a lesson directly, e.g. one agreed at the review meeting."""
    project = changeable_project(code)
    session = get_session()
    try:
        lessons.add_note(session, project=project, text=request.form.get("text", ""))
    except ValueError as exc:
        flash(f"Not saved: {exc}")
    else:
        session.commit()
        flash("Lesson recorded.")
    return redirect(url_for("dashboard.lessons_search", project=project.code))


@bp.post("/actions/<int:action_id>/share")
@login_required
def action_share(action_id: int):
    """Say whether a done action goes into the next invitation's "you said, we did"."""
    action, project = changeable_action(action_id)
    session = get_session()
    action.share_with_stakeholders = request.form.get("share") == "1"
    session.add(action)
    session.commit()
    return redirect(url_for("dashboard.project", code=project.code) + "#actions")

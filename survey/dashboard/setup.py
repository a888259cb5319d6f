"""Setup pages: a PM's projects, stakeholders and who is on which project; CSV in and out.

A PM sees and changes only their own projects (another's is a 404), viewers read only.
The rules live in survey.portfolio_setup and survey.stakeholder_csv; these views only turn
forms into data and errors back into forms.
"""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from survey import grants, pm_actions, portfolio_setup, queries, stakeholder_csv
from survey.dashboard import bp
from survey.dashboard.access import project_or_404
from survey.models import Project, Role, Stakeholder, StakeholderKind, User
from survey.pm_actions import InputError
from survey.web.session import get_session

PROJECT_FIELDS = ("code", "name", "phase")
STAKEHOLDER_FIELDS = ("name", "email", "title", "business_unit", "kind", "influence", "interest")


def _require_setup_role() -> None:
    if not portfolio_setup.can_set_up(current_user):
        abort(403)


def _managers() -> list[User]:
    """Who an admin can assign a project to."""
    return list(
        get_session().exec(
            select(User)
            .where(col(User.role).in_([Role.pm, Role.admin]), col(User.active))
            .order_by(col(User.email))
        )
    )


def _commit_or_conflict(field: str) -> dict[str, str]:
    """Commit; a duplicate that slipped past the checks (a concurrent save) is a field error."""
    session = get_session()
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return {field: "was just taken by someone else; choose another"}
    return {}


# --- Projects ------------------------------------------------------------------------------


@bp.get("/setup/projects")
@login_required
def setup_projects():
    """The projects the user may see, with links to set each one up."""
    projects = queries.visible_projects(get_session(), user=current_user)
    return render_template(
        "dashboard/setup_projects.html",
        projects=projects,
        can_set_up=portfolio_setup.can_set_up(current_user),
    )


def _project_form(form) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {name: form.get(name, "").strip() for name in PROJECT_FIELDS}
    data["code"] = str(data["code"]).upper()
    if current_user.role == Role.admin:
        data["pm_email"] = form.get("pm_email", "").strip() or None
    return data


@bp.route("/setup/projects/new", methods=["GET", "POST"])
@login_required
def setup_project_new():
    """Create a project: a PM manages the projects they create; an admin may choose the PM."""
    _require_setup_role()
    form, errors = request.form, {}
    if request.method == "POST":
        session = get_session()
        try:
            project = portfolio_setup.create_project(
                session, data=_project_form(request.form), actor=current_user
            )
            errors = _commit_or_conflict("code")
        except InputError as exc:
            session.rollback()
            errors = exc.fields
        if not errors:
            flash(f"Project {project.code} created. Now add its stakeholders.")
            return redirect(url_for("dashboard.setup_project_edit", code=project.code))
    page = render_template(
        "dashboard/setup_project_form.html",
        project=None,
        form=form,
        errors=errors,
        managers=_managers(),
        can_change=True,
    )
    return page, 400 if errors else 200


@bp.route("/setup/projects/<code>/edit", methods=["GET", "POST"])
@login_required
def setup_project_edit(code: str):
    """A project's name, phase and PM, and the people on it."""
    project = project_or_404(code)
    can_change = pm_actions.can_change(current_user, project)
    session = get_session()
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else None
    if request.method == "POST":
        if not can_change:
            abort(403)
        data = _project_form(request.form)
        data.pop("code")
        try:
            portfolio_setup.update_project(session, project=project, data=data, actor=current_user)
            session.commit()
            flash("Project saved.")
            return redirect(url_for("dashboard.setup_project_edit", code=project.code))
        except InputError as exc:
            session.rollback()
            errors = exc.fields
    return _project_page(project, can_change, form=form, errors=errors)


def _project_page(  # type: ignore[no-untyped-def]
    project: Project, can_change: bool, *, form=None, errors=None, add_form=None, add_errors=None
):
    session = get_session()
    members = portfolio_setup.relationships_of(session, project_id=project.id)  # type: ignore[arg-type]
    on_project = {person.id for _rel, person in members}
    candidates = [
        s
        for s in session.exec(
            portfolio_setup.visible_stakeholders(user=current_user).order_by(col(Stakeholder.name))
        )
        if s.id not in on_project
    ]
    pm = session.get(User, project.pm_id) if project.pm_id else None
    # Who else reads the project: its PM and admins see the list, admins change it.
    viewers = grants.viewers_of(session, project_id=project.id) if can_change else []  # type: ignore[arg-type]
    grantable = []
    if current_user.role == Role.admin:
        grantable = grants.grantable_viewers(session, project_id=project.id)  # type: ignore[arg-type]
    values = form or {
        "name": project.name,
        "phase": project.phase,
        "pm_email": pm.email if pm else "",
    }
    page = render_template(
        "dashboard/setup_project_form.html",
        project=project,
        form=values,
        errors=errors or {},
        managers=_managers(),
        members=members,
        candidates=candidates,
        add_form=add_form or {},
        add_errors=add_errors or {},
        can_change=can_change,
        viewers=viewers,
        grantable=grantable,
    )
    return page, 400 if (errors or add_errors) else 200


@bp.post("/setup/projects/<code>/relationships")
@login_required
def setup_relationship_add(code: str):
    """Put a stakeholder on the project with a role."""
    project = project_or_404(code)
    if not pm_actions.can_change(current_user, project):
        abort(403)
    session = get_session()
    raw_id = request.form.get("stakeholder_id", "")
    person = None
    if raw_id.isdigit():
        person = portfolio_setup.stakeholder_for(
            session, user=current_user, stakeholder_id=int(raw_id)
        )
    errors: dict[str, str] = {}
    if person is None:
        errors = {"stakeholder_id": "choose a stakeholder"}
    else:
        try:
            portfolio_setup.add_relationship(
                session,
                project=project,
                stakeholder=person,
                role=request.form.get("role", ""),
                actor=current_user,
            )
            errors = _commit_or_conflict("stakeholder_id")
        except InputError as exc:
            session.rollback()
            errors = exc.fields
    if errors:
        return _project_page(project, True, add_form=request.form, add_errors=errors)
    flash(f"{person.name} added to {project.code}.")  # type: ignore[union-attr]
    return redirect(url_for("dashboard.setup_project_edit", code=project.code, _anchor="people"))


@bp.post("/setup/relationships/<int:relationship_id>")
@login_required
def setup_relationship_update(relationship_id: int):
    """Change someone's role on a project, or (de)activate them: inactive people get no pulse."""
    session = get_session()
    relationship = queries.relationship_for(
        session, user=current_user, relationship_id=relationship_id
    )
    if relationship is None:
        abort(404)
    project = session.get(Project, relationship.project_id)
    assert project is not None
    if not pm_actions.can_change(current_user, project):
        abort(403)
    data = {k: request.form[k] for k in ("role", "active") if k in request.form}
    if not data:
        flash("Nothing to change.")
    else:
        try:
            portfolio_setup.update_relationship(
                session, relationship=relationship, data=data, actor=current_user
            )
            session.commit()
            flash("Saved.")
        except InputError as exc:
            session.rollback()
            flash(f"Not saved: {exc}")
    return redirect(url_for("dashboard.setup_project_edit", code=project.code, _anchor="people"))


# --- Stakeholders --------------------------------------------------------------------------


@bp.get("/setup/stakeholders")
@login_required
def setup_stakeholders():
    """Stakeholders the user may see, with import and export."""
    people = get_session().exec(
        portfolio_setup.visible_stakeholders(user=current_user).order_by(col(Stakeholder.name))
    )
    return render_template(
        "dashboard/setup_stakeholders.html",
        people=list(people),
        can_set_up=portfolio_setup.can_set_up(current_user),
    )


def _stakeholder_form(form) -> dict[str, object]:  # type: ignore[no-untyped-def]
    data: dict[str, object] = {name: form.get(name, "").strip() for name in STAKEHOLDER_FIELDS}
    data["nervous"] = form.get("nervous") == "yes"
    return data


def _changeable_projects() -> list[Project]:
    projects = queries.visible_projects(get_session(), user=current_user)
    return [p for p in projects if pm_actions.can_change(current_user, p)]


@bp.route("/setup/stakeholders/new", methods=["GET", "POST"])
@login_required
def setup_stakeholder_new():
    """Add a stakeholder and, optionally, put them on one of your projects."""
    _require_setup_role()
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else request.args
    if request.method == "POST":
        errors = _create_stakeholder(request.form)
        if not errors:
            return redirect(_after_create(request.form))
    page = render_template(
        "dashboard/setup_stakeholder_form.html",
        stakeholder=None,
        form=form,
        errors=errors,
        kinds=list(StakeholderKind),
        projects=_changeable_projects(),
        can_change=True,
    )
    return page, 400 if errors else 200


def _create_stakeholder(form) -> dict[str, str]:  # type: ignore[no-untyped-def]
    session = get_session()
    project = None
    if form.get("project"):
        project = next((p for p in _changeable_projects() if p.code == form["project"]), None)
        if project is None:
            return {"project": "choose one of your projects"}
    try:
        person = portfolio_setup.create_stakeholder(
            session, data=_stakeholder_form(form), actor=current_user
        )
        if project is not None:
            portfolio_setup.add_relationship(
                session,
                project=project,
                stakeholder=person,
                role=form.get("role", ""),
                actor=current_user,
            )
    except InputError as exc:
        session.rollback()
        return exc.fields
    errors = _commit_or_conflict("email")
    if not errors:
        flash(f"{person.name} added" + (f" to {project.code}." if project else "."))
    return errors


def _after_create(form) -> str:  # type: ignore[no-untyped-def]
    if form.get("project"):
        return url_for("dashboard.setup_project_edit", code=form["project"], _anchor="people")
    return url_for("dashboard.setup_stakeholders")


@bp.route("/setup/stakeholders/<int:stakeholder_id>", methods=["GET", "POST"])
@login_required
def setup_stakeholder_edit(stakeholder_id: int):
    """Change a stakeholder's details (viewers see them read-only)."""
    session = get_session()
    person = portfolio_setup.stakeholder_for(
        session, user=current_user, stakeholder_id=stakeholder_id
    )
    if person is None:
        abort(404)
    can_change = portfolio_setup.can_set_up(current_user)
    errors: dict[str, str] = {}
    form = request.form if request.method == "POST" else _values_of(person)
    if request.method == "POST":
        if not can_change:
            abort(403)
        try:
            portfolio_setup.update_stakeholder(
                session,
                stakeholder=person,
                data=_stakeholder_form(request.form),
                actor=current_user,
            )
            errors = _commit_or_conflict("email")
        except InputError as exc:
            session.rollback()
            errors = exc.fields
        if not errors:
            flash("Stakeholder saved.")
            return redirect(url_for("dashboard.setup_stakeholders"))
    page = render_template(
        "dashboard/setup_stakeholder_form.html",
        stakeholder=person,
        form=form,
        errors=errors,
        kinds=list(StakeholderKind),
        projects=[],
        can_change=can_change,
    )
    return page, 400 if errors else 200


def _values_of(person: Stakeholder) -> dict[str, object]:
    values: dict[str, object] = {name: getattr(person, name) for name in STAKEHOLDER_FIELDS}
    values["kind"] = person.kind.value
    values["nervous"] = "yes" if person.nervous else ""
    return values


# --- CSV ------------------------------------------------------------------------------------


@bp.route("/setup/stakeholders/import", methods=["GET", "POST"])
@login_required
def setup_import():
    """Import stakeholders from CSV: good rows are saved, each bad row is listed with its reason."""
    _require_setup_role()
    plan, problem, imported = None, None, False
    dry_run = request.form.get("dry_run") == "yes"
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problem = "Choose a CSV file to import."
        else:
            session = get_session()
            try:
                plan = stakeholder_csv.plan_import(session, data=upload.read(), user=current_user)
                if plan.problem is None and plan.rows and not dry_run:
                    stakeholder_csv.apply_import(session, plan=plan, actor=current_user)
                    problem = _commit_or_conflict("file").get("file")
                    imported = problem is None
            except InputError as exc:
                session.rollback()
                problem = "; ".join(exc.fields.values())
            if imported and plan is not None and not plan.rejected:
                flash(
                    f"Imported: {plan.created} new, {plan.updated} updated, "
                    f"{plan.linked} put on projects."
                )
                return redirect(url_for("dashboard.setup_stakeholders"))
    # A partly imported file is a success with a report; nothing imported is a client error.
    failed = problem is not None or (plan is not None and bool(plan.errors) and not imported)
    page = render_template(
        "dashboard/setup_import.html",
        plan=plan,
        problem=problem,
        dry_run=dry_run,
        imported=imported,
        columns=stakeholder_csv.COLUMNS,
    )
    return page, 400 if failed else 200


@bp.get("/setup/stakeholders/export.csv")
@login_required
def setup_export():
    """The stakeholders the user may see as CSV, in the columns the import reads."""
    rows = stakeholder_csv.export_rows(get_session(), user=current_user)
    return Response(
        stakeholder_csv.to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="stakeholders.csv"'},
    )

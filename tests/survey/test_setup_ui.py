"""The setup pages: a PM sets up projects, stakeholders and relationships without the CLI."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey.models import AuditEntry, Project, Relationship, Role, Stakeholder
from tests.builders import grant_project, make_project, make_relationship, make_user
from tests.conftest import csrf_token


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other@example.com")
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    make_user(session, email="admin@example.com", role=Role.admin)
    own = make_project(session, pm=pm, code="FIN-ERP", name="Finance ERP")
    grant_project(session, viewer=viewer, project=own)
    theirs = make_project(session, pm=other, code="HR-SELF", name="HR portal")
    maria = make_relationship(session, project=own, name="Maria Chen")
    raj = make_relationship(session, project=theirs, name="Raj Patel")
    return {"pm": pm, "other": other, "own": own, "theirs": theirs, "maria": maria, "raj": raj}


FIN_ERP_PAGE = "/setup/projects/FIN-ERP/edit"


def _post(client, path: str, data: dict, *, page: str | None = None):  # type: ignore[no-untyped-def]
    """Post a form with the CSRF token of `page`, by default the form's own page."""
    token = csrf_token(client.get(page or path).text)
    return client.post(path, data={**data, "csrf_token": token})


def _relate(client, code: str, data: dict):  # type: ignore[no-untyped-def]
    """Post the add-a-relationship form of project `code` from FIN-ERP's page."""
    return _post(client, f"/setup/projects/{code}/relationships", data, page=FIN_ERP_PAGE)


def _projects(session) -> dict[str, Project]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {p.code: p for p in session.exec(select(Project))}


def _project_fields(session, code: str) -> tuple:  # type: ignore[no-untyped-def]
    """What the project form sets: name, phase and PM."""
    project = _projects(session)[code]
    return (project.name, project.phase, project.pm_id)


def _reloaded(session, model, row_id: int):  # type: ignore[no-untyped-def]
    """The row as the database has it now, not as this session last saw it."""
    session.expire_all()
    return session.get(model, row_id)


def _new_stakeholder(client, session, name: str, email: str) -> Stakeholder:  # type: ignore[no-untyped-def]
    """A stakeholder added through the form, on no project yet."""
    reply = _post(
        client,
        "/setup/stakeholders/new",
        {"name": name, "email": email, "kind": "business", "influence": "3", "interest": "3"},
    )
    assert reply.status_code == 302
    session.expire_all()
    return session.exec(select(Stakeholder).where(Stakeholder.email == email)).one()


def test_pm_creates_a_project_they_manage(client, auth, session, people):
    auth.login("pm@example.com")
    reply = _post(
        client,
        "/setup/projects/new",
        {"code": "crm-2", "name": "CRM rollout", "phase": "discovery"},
    )
    assert reply.status_code == 302
    assert reply.headers["Location"].endswith("/setup/projects/CRM-2/edit")
    assert _project_fields(session, "CRM-2") == ("CRM rollout", "discovery", people["pm"].id)
    assert client.get("/setup/projects").text.count("CRM-2") >= 1
    assert client.get("/projects/CRM-2").status_code == 200  # it is on their dashboard too
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "project.create")).one()
    assert entry.actor_id == people["pm"].id


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"code": "X", "name": "Too short code"}, "Code use 2-20 capital letters"),
        ({"code": "GOOD-1", "name": ""}, "Name must not be empty"),
        ({"code": "GOOD-1", "name": "n" * 201}, "Name must be at most 200 characters"),
        ({"code": "HR-SELF", "name": "Taken"}, "Code a project with code HR-SELF already exists"),
    ],
)
def test_bad_project_form_shows_the_error_by_the_field_and_keeps_values(
    client, auth, session, people, data, message
):
    auth.login("pm@example.com")
    before = set(_projects(session))
    reply = _post(client, "/setup/projects/new", {**data, "phase": "pilot"})
    assert reply.status_code == 400
    assert message in reply.text
    assert 'value="pilot"' in reply.text  # what was typed is kept
    assert 'aria-invalid="true"' in reply.text
    assert set(_projects(session)) == before


def test_project_form_needs_csrf(client, auth, session, people):
    auth.login("pm@example.com")
    reply = client.post("/setup/projects/new", data={"code": "NEW-1", "name": "New"})
    assert reply.status_code == 400
    assert "NEW-1" not in _projects(session)


def test_admin_assigns_a_pm_and_a_pm_cannot(client, auth, session, people):
    auth.login("admin@example.com")
    page = client.get("/setup/projects/new")
    assert "other@example.com" in page.text  # the PM picker
    reply = _post(
        client,
        "/setup/projects/new",
        {"code": "OPS-1", "name": "Ops", "pm_email": "other@example.com"},
    )
    assert reply.status_code == 302
    assert _projects(session)["OPS-1"].pm_id == people["other"].id
    edit = _post(
        client,
        "/setup/projects/OPS-1/edit",
        {"name": "Ops", "phase": "run", "pm_email": "pm@example.com"},
    )
    assert edit.status_code == 302
    assert _projects(session)["OPS-1"].pm_id == people["pm"].id


def test_pm_edits_own_project_and_gets_404_for_anothers(client, auth, session, people):
    auth.login("pm@example.com")
    reply = _post(
        client,
        FIN_ERP_PAGE,
        {"name": "Finance ERP v2", "phase": "UAT", "pm_email": "other@example.com"},
    )
    assert reply.status_code == 302
    assert _project_fields(session, "FIN-ERP") == ("Finance ERP v2", "UAT", people["pm"].id)
    assert client.get("/setup/projects/HR-SELF/edit").status_code == 404
    theirs = _post(client, "/setup/projects/HR-SELF/edit", {"name": "Mine"}, page="/setup/projects")
    assert theirs.status_code == 404
    assert _projects(session)["HR-SELF"].name == "HR portal"
    assert "HR-SELF" not in client.get("/setup/projects").text


def test_viewer_reads_but_cannot_change(client, auth, session, people):
    auth.login("viewer@example.com")
    page = client.get(FIN_ERP_PAGE)
    assert page.status_code == 200 and "Maria Chen" in page.text
    assert "Save project" not in page.text and "Deactivate" not in page.text
    assert client.get("/setup/projects/new").status_code == 403
    token = csrf_token(page.text)
    changes = [
        ("/setup/projects/new", {"code": "V-1", "name": "V"}),
        (FIN_ERP_PAGE, {"name": "Viewer was here"}),
        (f"/setup/relationships/{people['maria'].id}", {"active": "false"}),
        ("/setup/stakeholders/new", {"name": "V", "email": "v@example.com"}),
    ]
    for path, data in changes:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _projects(session)["FIN-ERP"].name == "Finance ERP"
    assert "V-1" not in _projects(session)
    assert _reloaded(session, Relationship, people["maria"].id).active is True


def test_pm_adds_a_new_stakeholder_straight_onto_a_project(client, auth, session, people):
    auth.login("pm@example.com")
    page = client.get("/setup/stakeholders/new?project=FIN-ERP")
    assert 'value="FIN-ERP" selected' in page.text
    reply = client.post(
        "/setup/stakeholders/new",
        data={
            "name": "Ada Ng",
            "email": "Ada@Example.com",
            "title": "Head of Finance",
            "business_unit": "Finance",
            "kind": "business",
            "influence": "5",
            "interest": "4",
            "nervous": "yes",
            "project": "FIN-ERP",
            "role": "Business lead",
            "csrf_token": csrf_token(page.text),
        },
    )
    assert reply.status_code == 302
    session.expire_all()
    ada = session.exec(select(Stakeholder).where(Stakeholder.email == "ada@example.com")).one()
    assert (ada.influence, ada.interest, ada.nervous) == (5, 4, True)
    link = session.exec(select(Relationship).where(Relationship.stakeholder_id == ada.id)).one()
    assert (link.project_id, link.role) == (people["own"].id, "Business lead")
    assert "Ada Ng" in client.get(FIN_ERP_PAGE).text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "Ada", "email": "nope"}, "Email is not a valid email address"),
        ({"name": "", "email": "a@example.com"}, "Name must not be empty"),
        ({"name": "Ada", "email": "a@example.com", "influence": "9"}, "must be from 1 to 5"),
        ({"name": "Ada", "email": "a@example.com", "kind": "vendor"}, "Kind must be one of"),
        ({"name": "Ada", "email": "a@example.com", "project": "HR-SELF"}, "choose one of your"),
        ({"name": "Ada", "email": "{raj}"}, "a stakeholder with this email already exists"),
    ],
)
def test_bad_stakeholder_form_shows_errors_and_saves_nothing(
    client, auth, session, people, data, message
):
    auth.login("pm@example.com")
    raj_email = session.get(Stakeholder, people["raj"].stakeholder_id).email
    data = {k: v.replace("{raj}", raj_email) for k, v in data.items()}
    defaults = {"kind": "business", "influence": "3", "interest": "3", "title": "Kept title"}
    before = len(session.exec(select(Stakeholder)).all())
    reply = _post(client, "/setup/stakeholders/new", {**defaults, **data})
    assert reply.status_code == 400
    assert message in reply.text, reply.text
    assert 'value="Kept title"' in reply.text
    session.expire_all()
    assert len(session.exec(select(Stakeholder)).all()) == before


def test_stakeholder_edit_and_another_pms_stakeholder_is_404(client, auth, session, people):
    auth.login("pm@example.com")
    maria_id = people["maria"].stakeholder_id
    page = client.get(f"/setup/stakeholders/{maria_id}")
    assert page.status_code == 200 and "Maria Chen" in page.text
    form = {"name": "Maria Chen", "email": "maria@example.com", "kind": "business"}
    reply = client.post(
        f"/setup/stakeholders/{maria_id}",
        data={**form, "influence": "2", "interest": "5", "csrf_token": csrf_token(page.text)},
    )
    assert reply.status_code == 302
    maria = _reloaded(session, Stakeholder, maria_id)
    assert (maria.email, maria.influence, maria.interest, maria.nervous) == (
        "maria@example.com",
        2,
        5,
        False,
    )
    raj_id = people["raj"].stakeholder_id
    assert client.get(f"/setup/stakeholders/{raj_id}").status_code == 404
    theirs = client.post(
        f"/setup/stakeholders/{raj_id}",
        data={**form, "name": "Hijack", "csrf_token": csrf_token(page.text)},
    )
    assert theirs.status_code == 404
    assert _reloaded(session, Stakeholder, raj_id).name == "Raj Patel"
    assert "Raj Patel" not in client.get("/setup/stakeholders").text


def test_relationship_add_deactivate_and_reactivate(client, auth, session, people):
    auth.login("pm@example.com")
    lee = _new_stakeholder(client, session, "Lee Wu", "lee@example.com")
    added = _relate(client, "FIN-ERP", {"stakeholder_id": str(lee.id), "role": "Area manager"})
    assert added.status_code == 302
    session.expire_all()
    link = session.exec(select(Relationship).where(Relationship.stakeholder_id == lee.id)).one()
    assert (link.role, link.active) == ("Area manager", True)
    path = f"/setup/relationships/{link.id}"
    off = _post(client, path, {"active": "false"}, page=FIN_ERP_PAGE)
    assert off.status_code == 302
    assert _reloaded(session, Relationship, link.id).active is False
    assert "deactivated (no pulses)" in client.get(FIN_ERP_PAGE).text
    on = _post(client, path, {"active": "true", "role": "Lead"}, page=FIN_ERP_PAGE)
    assert on.status_code == 302
    link = _reloaded(session, Relationship, link.id)
    assert (link.active, link.role) == (True, "Lead")


def test_relationship_add_errors(client, auth, session, people):
    auth.login("pm@example.com")
    before = len(session.exec(select(Relationship)).all())
    nobody = _relate(client, "FIN-ERP", {"role": "x"})
    assert nobody.status_code == 400 and "Stakeholder choose a stakeholder" in nobody.text
    twice = _relate(client, "FIN-ERP", {"stakeholder_id": str(people["maria"].stakeholder_id)})
    assert twice.status_code == 400 and "already on FIN-ERP" in twice.text
    their_person = _relate(client, "FIN-ERP", {"stakeholder_id": str(people["raj"].stakeholder_id)})
    assert their_person.status_code == 400  # not one this PM can see: nothing to choose
    kim = _new_stakeholder(client, session, "Kim", "kim@example.com")
    too_long = _relate(client, "FIN-ERP", {"stakeholder_id": str(kim.id), "role": "r" * 121})
    assert too_long.status_code == 400 and "at most 120 characters" in too_long.text
    theirs = _relate(client, "HR-SELF", {"stakeholder_id": str(kim.id)})
    assert theirs.status_code == 404
    session.expire_all()
    assert len(session.exec(select(Relationship)).all()) == before
    raj_id = people["raj"].id
    off = _post(client, f"/setup/relationships/{raj_id}", {"active": "false"}, page=FIN_ERP_PAGE)
    assert off.status_code == 404
    assert _reloaded(session, Relationship, raj_id).active is True


def test_setup_pages_are_in_the_navigation(client, auth, people):
    auth.login("pm@example.com")
    page = client.get("/portfolio")
    assert 'href="/setup/projects"' in page.text and 'href="/account/tokens"' in page.text

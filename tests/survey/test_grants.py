"""A viewer reads the projects an admin grants, and nothing else: pages, API, exports, digests."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey import grants, plans, queries
from survey.api.tokens import issue
from survey.cli import main
from survey.models import (
    Audience,
    AuditEntry,
    CommunicationPlanEntry,
    Frequency,
    ProjectGrant,
    Relationship,
    Role,
    User,
    WaveProject,
)
from tests.builders import (
    grant_project,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from tests.conftest import csrf_token


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """ORION (granted to the viewer) and VEGA (not), each with one stakeholder."""
    pm = make_user(session, email="pm@example.com")
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    orion = make_project(session, pm=pm, code="ORION", name="Orion Payroll")
    vega = make_project(session, pm=pm, code="VEGA", name="Vega Warehouse")
    make_relationship(session, project=orion, name="Olga Open")
    make_relationship(session, project=vega, name="Victor Hidden")
    grant_project(session, viewer=viewer, project=orion)
    return {"pm": pm, "admin": admin, "viewer": viewer, "orion": orion, "vega": vega}


def _entries(session, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


def _post(client, path: str, data: dict | None = None):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/portfolio").text)
    return client.post(path, data={**(data or {}), "csrf_token": token})


# --- What a viewer sees ------------------------------------------------------------------------


def test_queries_give_a_viewer_only_the_granted_projects(session, world):
    viewer = world["viewer"]
    assert [p.code for p in queries.visible_projects(session, user=viewer)] == ["ORION"]
    assert queries.project_for(session, user=viewer, code="ORION") is not None
    assert queries.project_for(session, user=viewer, code="VEGA") is None
    assert len(queries.visible_projects(session, user=world["admin"])) == 2


def test_a_viewer_reads_granted_pages_and_nothing_else(client, auth, world):
    auth.login("viewer@example.com")
    portfolio = client.get("/portfolio").text
    assert "Orion Payroll" in portfolio and "Vega" not in portfolio
    assert client.get("/projects/ORION").status_code == 200
    assert client.get("/projects/VEGA").status_code == 404
    people = client.get("/setup/stakeholders").text
    assert "Olga Open" in people and "Victor Hidden" not in people
    export = client.get("/setup/stakeholders/export.csv").text
    assert "Olga Open" in export and "Victor Hidden" not in export
    # Read-only: the granted project's forms refuse the viewer.
    reply = _post(client, "/projects/ORION/status", {"status": "red", "note": "no"})
    assert reply.status_code == 403


def test_a_viewer_without_grants_is_told_why_the_portfolio_is_empty(client, auth, session):
    make_user(session, email="lonely@example.com", role=Role.viewer)
    pm = make_user(session, email="pm@example.com")
    make_project(session, pm=pm, code="SOLO", name="Solo Project")
    auth.login("lonely@example.com")
    page = client.get("/portfolio").text
    assert "No project has been shared with you yet" in page and "Solo Project" not in page


def test_the_api_follows_the_grants(client, session, world):
    headers = {"Authorization": f"Bearer {issue(session, user=world['viewer'])}"}
    listed = client.get("/api/v1/projects", headers=headers).get_json()["projects"]
    assert [p["code"] for p in listed] == ["ORION"]
    assert client.get("/api/v1/projects/ORION/health", headers=headers).status_code == 200
    assert client.get("/api/v1/projects/VEGA/health", headers=headers).status_code == 404
    assert client.get("/api/v1/projects/VEGA", headers=headers).status_code == 404
    people = client.get("/api/v1/stakeholders", headers=headers).get_json()["stakeholders"]
    assert [p["name"] for p in people] == ["Olga Open"]
    rels = client.get("/api/v1/relationships", headers=headers).get_json()["relationships"]
    assert {r["project"] for r in rels} == {"ORION"}


def test_a_wave_over_two_projects_shows_a_viewer_only_the_granted_one(client, auth, session, world):
    wave = make_wave(session, project=world["orion"])
    session.add(WaveProject(wave_id=wave.id, project_id=world["vega"].id))
    session.commit()
    for rel in session.exec(select(Relationship)).all():
        make_invitation(session, wave=wave, relationship=rel)
    auth.login("viewer@example.com")
    page = client.get(f"/waves/{wave.id}").text
    assert "Olga Open" in page
    assert "Victor Hidden" not in page and "VEGA" not in page


# --- Granting and revoking ---------------------------------------------------------------------


def test_an_admin_grants_and_revokes_on_the_setup_page(client, auth, session, world):
    auth.login("admin@example.com")
    page = client.get("/setup/projects/VEGA/edit").text
    assert 'id="viewers"' in page and "viewer@example.com" in page  # offered in the list
    reply = _post(client, "/setup/projects/VEGA/viewers", {"user_id": world["viewer"].id})
    assert reply.status_code == 302 and reply.headers["Location"].endswith("#viewers")
    assert "can now read VEGA" in client.get("/setup/projects/VEGA/edit").text
    (granted,) = _entries(session, "project.grant")
    assert granted.actor_id == world["admin"].id and granted.target_id == world["vega"].id
    assert granted.detail == {"code": "VEGA", "user_id": world["viewer"].id}
    viewer = world["viewer"]
    assert queries.project_for(session, user=viewer, code="VEGA") is not None

    path = f"/setup/projects/VEGA/viewers/{viewer.id}/revoke"
    assert _post(client, path).status_code == 302
    assert queries.project_for(session, user=viewer, code="VEGA") is None
    (revoked,) = _entries(session, "project.revoke")
    assert revoked.actor_id == world["admin"].id
    assert _post(client, path).status_code == 404  # nothing left to revoke


def test_granting_needs_an_admin_and_the_csrf_token(client, auth, session, world):
    viewer_id = world["viewer"].id
    auth.login("pm@example.com")
    assert _post(client, "/setup/projects/VEGA/viewers", {"user_id": viewer_id}).status_code == 403
    page = client.get("/setup/projects/VEGA/edit").text
    assert "viewer@example.com" not in page  # the PM sees who may read, not whom to add
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    auth.login("admin@example.com")
    reply = client.post("/setup/projects/VEGA/viewers", data={"user_id": viewer_id})
    assert reply.status_code == 400
    session.expire_all()
    assert (
        session.exec(select(ProjectGrant).where(ProjectGrant.project_id == world["vega"].id)).all()
        == []
    )


def test_only_viewers_are_granted_projects(client, auth, session, world):
    other_pm = make_user(session, email="pm2@example.com")
    auth.login("admin@example.com")
    reply = _post(client, "/setup/projects/VEGA/viewers", {"user_id": other_pm.id})
    assert reply.status_code == 302
    assert "only viewers are granted projects" in client.get("/setup/projects/VEGA/edit").text
    session.expire_all()
    assert session.exec(select(ProjectGrant).where(ProjectGrant.user_id == other_pm.id)).all() == []


def test_the_pm_sees_who_may_read_their_project(client, auth, world):
    auth.login("pm@example.com")
    page = client.get("/setup/projects/ORION/edit").text
    section = page[page.index('id="viewers"') :]
    assert "viewer@example.com" in section and "Revoke" not in section


# --- Command line --------------------------------------------------------------------------------


def test_cli_grants_and_revokes(runner, session, world):
    result = runner.invoke(main, ["user", "grant", "Viewer@Example.com", "--project", "vega"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "granted: viewer@example.com may read VEGA"
    again = runner.invoke(
        main, ["user", "grant", "viewer@example.com", "--project", "VEGA", "--project", "ORION"]
    )
    assert again.output.splitlines() == [
        "already granted: viewer@example.com may read VEGA",
        "already granted: viewer@example.com may read ORION",
    ]
    assert queries.project_for(session, user=world["viewer"], code="VEGA") is not None
    (granted,) = _entries(session, "project.grant")
    assert granted.actor_id is None and granted.detail["via"] == "cli"

    result = runner.invoke(main, ["user", "revoke", "viewer@example.com", "--project", "VEGA"])
    assert result.exit_code == 0 and result.output.strip() == "revoked: viewer@example.com on VEGA"
    session.expire_all()
    assert queries.project_for(session, user=world["viewer"], code="VEGA") is None
    again = runner.invoke(main, ["user", "revoke", "viewer@example.com", "--project", "VEGA"])
    assert again.output.strip() == "had no grant: viewer@example.com on VEGA"


@pytest.mark.parametrize(
    "args, message",
    [
        (["nobody@example.com", "--project", "VEGA"], "no user with email nobody@example.com"),
        (["viewer@example.com", "--project", "NOPE"], "no project with code NOPE"),
        (["pm@example.com", "--project", "VEGA"], "only viewers are granted projects"),
    ],
)
def test_cli_grant_mistakes_are_one_line(runner, world, args, message):
    result = runner.invoke(main, ["user", "grant", *args])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and message in result.output


# --- Digests -------------------------------------------------------------------------------------


def test_a_granted_viewer_may_get_the_digest_until_revoked(session, world):
    orion, viewer = world["orion"], world["viewer"]
    recipient = f"user:{viewer.id}"
    line = next(li for li in plans.plan_for(session, project=orion) if li.recipient == recipient)
    assert (line.role, line.receives) == ("Viewer", False)  # nobody is mailed by default
    plans.set_entry(
        session,
        project=orion,
        recipient=recipient,
        audience=Audience.summary,
        frequency=Frequency.weekly,
    )
    session.commit()
    assert any(
        li.receives for li in plans.plan_for(session, project=orion) if li.recipient == recipient
    )
    vega_lines = plans.plan_for(session, project=world["vega"])
    assert recipient not in {li.recipient for li in vega_lines}

    grants.revoke(session, project=orion, viewer=viewer, actor=world["admin"])
    session.commit()
    assert recipient not in {li.recipient for li in plans.plan_for(session, project=orion)}
    assert (
        session.exec(
            select(CommunicationPlanEntry).where(CommunicationPlanEntry.recipient == recipient)
        ).all()
        == []
    )


def test_a_deactivated_viewer_gets_no_digest(session, world):
    viewer = session.get(User, world["viewer"].id)
    viewer.active = False
    session.add(viewer)
    session.commit()
    recipients = {li.recipient for li in plans.plan_for(session, project=world["orion"])}
    assert f"user:{viewer.id}" not in recipients

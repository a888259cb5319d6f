"""The API's write and sync endpoints: projects, stakeholders, relationships and actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from survey.api.tokens import issue
from survey.models import (
    AuditEntry,
    FollowUpAction,
    Project,
    Relationship,
    Role,
    Stakeholder,
    utcnow,
)
from tests.builders import grant_project, make_project, make_relationship, make_user


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other@example.com")
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    own = make_project(session, pm=pm, code="FIN-ERP")
    theirs = make_project(session, pm=other, code="HR-SELF", name="HR portal")
    mine = make_relationship(session, project=own, name="Maria Chen")
    raj = make_relationship(session, project=theirs, name="Raj Patel")
    grant_project(session, viewer=viewer, project=own)
    tokens = {
        name: {"Authorization": f"Bearer {issue(session, user=user)}"}
        for name, user in (("pm", pm), ("other", other), ("viewer", viewer), ("admin", admin))
    }
    return {"tokens": tokens, "own": own, "theirs": theirs, "maria": mine, "raj": raj}


def _error(reply, status: int, code: str) -> dict:  # type: ignore[no-untyped-def]
    assert reply.status_code == status, reply.text
    body = reply.get_json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code and body["error"]["message"]
    return body["error"]["fields"]


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    session.expire_all()
    return len(session.exec(select(model)).all())


# --- Projects ------------------------------------------------------------------------------


def test_pm_creates_a_project_they_manage_with_201_and_location(client, session, world):
    reply = client.post(
        "/api/v1/projects",
        headers=world["tokens"]["pm"],
        json={"code": "CRM-2", "name": "CRM rollout", "phase": "discovery"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.headers["Location"].endswith("/api/v1/projects/CRM-2")
    body = reply.get_json()["project"]
    assert body["code"] == "CRM-2" and body["phase"] == "discovery"
    pm = session.exec(select(Project).where(Project.code == "FIN-ERP")).one().pm_id
    assert body["pm_id"] == pm
    again = client.get(reply.headers["Location"], headers=world["tokens"]["pm"])
    assert again.get_json()["project"]["name"] == "CRM rollout"
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "project.create")).all()
    assert [a.target_id for a in audit] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"code": "crm lower", "name": "x"}, "code"),
        ({"code": "CRM", "name": ""}, "name"),
        ({"code": "CRM", "name": "x" * 201}, "name"),
        ({"name": "no code"}, "code"),
        ({"code": "CRM", "name": "x", "phase": "p" * 61}, "phase"),
        ({"code": "CRM", "name": "x", "colour": "red"}, "colour"),
        ({"code": "CRM", "name": "x", "pm_email": "other@example.com"}, "pm_email"),
    ],
)
def test_bad_project_input_is_400_naming_the_field_and_saves_nothing(
    client, session, world, payload, field
):
    before = _count(session, Project)
    reply = client.post("/api/v1/projects", headers=world["tokens"]["pm"], json=payload)
    fields = _error(reply, 400, "invalid")
    assert field in fields
    assert _count(session, Project) == before


def test_a_body_that_is_not_a_json_object_is_400(client, world):
    reply = client.post("/api/v1/projects", headers=world["tokens"]["pm"], data="code=X")
    assert "body" in _error(reply, 400, "invalid")
    reply = client.post("/api/v1/projects", headers=world["tokens"]["pm"], json=["CRM"])
    assert "body" in _error(reply, 400, "invalid")


def test_duplicate_project_code_is_409(client, session, world):
    reply = client.post(
        "/api/v1/projects", headers=world["tokens"]["pm"], json={"code": "HR-SELF", "name": "Mine"}
    )
    assert "code" in _error(reply, 409, "conflict")
    assert session.exec(select(Project).where(Project.code == "HR-SELF")).one().name == "HR portal"


def test_admin_assigns_the_pm_and_a_viewer_cannot_create(client, session, world):
    reply = client.post(
        "/api/v1/projects",
        headers=world["tokens"]["admin"],
        json={"code": "OPS-1", "name": "Ops", "pm_email": "other@example.com"},
    )
    assert reply.status_code == 201, reply.text
    assert reply.get_json()["project"]["pm_id"] == world["theirs"].pm_id
    viewer = client.post(
        "/api/v1/projects", headers=world["tokens"]["viewer"], json={"code": "V-1", "name": "V"}
    )
    _error(viewer, 403, "forbidden")
    assert session.exec(select(Project).where(Project.code == "V-1")).first() is None


def test_patch_changes_a_project_and_another_pms_is_404(client, session, world):
    reply = client.patch(
        "/api/v1/projects/FIN-ERP", headers=world["tokens"]["pm"], json={"phase": "UAT"}
    )
    assert reply.status_code == 200 and reply.get_json()["project"]["phase"] == "UAT"
    theirs = client.patch(
        "/api/v1/projects/HR-SELF", headers=world["tokens"]["pm"], json={"phase": "UAT"}
    )
    _error(theirs, 404, "not_found")
    assert "HR portal" not in theirs.text
    session.expire_all()
    assert session.get(Project, world["theirs"].id).phase == "delivery"
    _error(client.get("/api/v1/projects/HR-SELF", headers=world["tokens"]["pm"]), 404, "not_found")


def test_pm_cannot_reassign_their_project(client, session, world):
    reply = client.patch(
        "/api/v1/projects/FIN-ERP",
        headers=world["tokens"]["pm"],
        json={"pm_email": "other@example.com", "phase": "UAT"},
    )
    assert "pm_email" in _error(reply, 400, "invalid")
    session.expire_all()
    project = session.get(Project, world["own"].id)
    assert project.pm_id != world["theirs"].pm_id and project.phase == "delivery"


# --- Pagination and incremental sync -------------------------------------------------------


def test_lists_are_paged_with_link_headers_and_a_next_field(client, session, world):
    pm = session.get(Project, world["own"].id).pm_id
    for n in range(4):
        session.add(Project(code=f"BULK-{n}", name=f"Bulk {n}", pm_id=pm))
    session.commit()
    first = client.get("/api/v1/projects?per_page=2", headers=world["tokens"]["pm"])
    body = first.get_json()
    assert [p["code"] for p in body["projects"]] == ["BULK-0", "BULK-1"]
    assert body["total"] == 5 and body["page"] == 1
    assert 'rel="next"' in first.headers["Link"]
    seen = []
    url = "/api/v1/projects?per_page=2"
    while url:
        page = client.get(url, headers=world["tokens"]["pm"]).get_json()
        seen += [p["code"] for p in page["projects"]]
        url = page["next"]
    assert seen == ["BULK-0", "BULK-1", "BULK-2", "BULK-3", "FIN-ERP"]
    last = client.get("/api/v1/projects?per_page=2&page=3", headers=world["tokens"]["pm"])
    assert "next" not in last.headers.get("Link", "") and last.get_json()["next"] is None


@pytest.mark.parametrize(
    "query", ["page=0", "per_page=201", "per_page=x", "updated_since=yesterday"]
)
def test_bad_paging_or_filter_is_400(client, world, query):
    reply = client.get(f"/api/v1/stakeholders?{query}", headers=world["tokens"]["pm"])
    _error(reply, 400, "invalid")


def test_updated_since_needs_a_time_zone(client, world):
    reply = client.get(
        "/api/v1/projects?updated_since=2026-01-01T00:00:00", headers=world["tokens"]["pm"]
    )
    assert "updated_since" in _error(reply, 400, "invalid")


def test_updated_since_returns_only_what_changed(client, session, world):
    headers = world["tokens"]["pm"]
    cutoff = utcnow() + timedelta(seconds=1)
    old = session.get(Stakeholder, world["maria"].stakeholder_id)
    old.updated_at = cutoff - timedelta(days=1)
    session.add(old)
    session.commit()
    reply = client.post(
        "/api/v1/stakeholders", headers=headers, json={"name": "New Person", "email": "n@x.org"}
    )
    assert reply.status_code == 201
    new = session.get(Stakeholder, reply.get_json()["stakeholder"]["id"])
    new.updated_at = cutoff + timedelta(seconds=1)
    session.add(new)
    session.commit()
    since = cutoff.isoformat().replace("+00:00", "Z")
    body = client.get(f"/api/v1/stakeholders?updated_since={since}", headers=headers).get_json()
    assert [s["email"] for s in body["stakeholders"]] == ["n@x.org"]
    everyone = client.get("/api/v1/stakeholders", headers=headers).get_json()
    assert {s["email"] for s in everyone["stakeholders"]} == {old.email, "n@x.org"}


def test_a_change_moves_updated_at_forward(client, session, world):
    relationship = session.get(Relationship, world["maria"].id)
    before = relationship.updated_at
    reply = client.patch(
        f"/api/v1/relationships/{relationship.id}",
        headers=world["tokens"]["pm"],
        json={"role": "Business lead"},
    )
    assert reply.status_code == 200
    session.expire_all()
    assert session.get(Relationship, relationship.id).updated_at > before


# --- Stakeholders --------------------------------------------------------------------------


def test_stakeholders_are_created_listed_and_patched(client, session, world):
    headers = world["tokens"]["pm"]
    reply = client.post(
        "/api/v1/stakeholders",
        headers=headers,
        json={"name": "Ada Ng", "email": "Ada.Ng@Example.com", "influence": 5, "nervous": True},
    )
    assert reply.status_code == 201, reply.text
    person = reply.get_json()["stakeholder"]
    assert person["email"] == "ada.ng@example.com" and person["influence"] == 5
    assert reply.headers["Location"].endswith(f"/api/v1/stakeholders/{person['id']}")
    patched = client.patch(
        f"/api/v1/stakeholders/{person['id']}", headers=headers, json={"interest": 1}
    )
    assert patched.get_json()["stakeholder"]["interest"] == 1
    listed = client.get("/api/v1/stakeholders", headers=headers).get_json()["stakeholders"]
    assert {s["name"] for s in listed} == {"Maria Chen", "Ada Ng"}  # not the other PM's Raj


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "A", "email": "not-an-email"}, "email"),
        ({"name": "A", "email": "a@x.org", "influence": 6}, "influence"),
        ({"name": "A", "email": "a@x.org", "interest": 0}, "interest"),
        ({"name": "A", "email": "a@x.org", "kind": "vendor"}, "kind"),
        ({"name": "", "email": "a@x.org"}, "name"),
        ({"email": "a@x.org"}, "name"),
        ({"name": "A", "email": "a@x.org", "title": "t" * 121}, "title"),
    ],
)
def test_bad_stakeholder_is_400_and_nothing_is_saved(client, session, world, payload, field):
    before = _count(session, Stakeholder)
    reply = client.post("/api/v1/stakeholders", headers=world["tokens"]["pm"], json=payload)
    assert field in _error(reply, 400, "invalid")
    assert _count(session, Stakeholder) == before


def test_duplicate_stakeholder_email_is_409(client, session, world):
    raj = session.get(Stakeholder, world["raj"].stakeholder_id)
    reply = client.post(
        "/api/v1/stakeholders",
        headers=world["tokens"]["pm"],
        json={"name": "Copy", "email": raj.email.upper()},
    )
    assert "email" in _error(reply, 409, "conflict")
    assert _count(session, Stakeholder) == 2


def test_another_pms_stakeholder_is_404_to_read_and_write(client, session, world):
    raj_id = world["raj"].stakeholder_id
    headers = world["tokens"]["pm"]
    _error(client.get(f"/api/v1/stakeholders/{raj_id}", headers=headers), 404, "not_found")
    reply = client.patch(f"/api/v1/stakeholders/{raj_id}", headers=headers, json={"name": "X"})
    _error(reply, 404, "not_found")
    session.expire_all()
    assert session.get(Stakeholder, raj_id).name == "Raj Patel"


def test_patch_with_an_unknown_field_is_refused_not_ignored(client, session, world):
    maria_id = world["maria"].stakeholder_id
    reply = client.patch(
        f"/api/v1/stakeholders/{maria_id}",
        headers=world["tokens"]["pm"],
        json={"name": "Maria C", "influense": 5},
    )
    assert "influense" in _error(reply, 400, "invalid")
    session.expire_all()
    assert session.get(Stakeholder, maria_id).name == "Maria Chen"


# --- Relationships -------------------------------------------------------------------------


def test_relationship_is_created_deactivated_and_duplicates_are_409(client, session, world):
    headers = world["tokens"]["pm"]
    person = client.post(
        "/api/v1/stakeholders", headers=headers, json={"name": "Lee Wu", "email": "lee@x.org"}
    ).get_json()["stakeholder"]
    payload = {"project": "FIN-ERP", "stakeholder_id": person["id"], "role": "Area manager"}
    reply = client.post("/api/v1/relationships", headers=headers, json=payload)
    assert reply.status_code == 201, reply.text
    created = reply.get_json()["relationship"]
    assert created["project"] == "FIN-ERP" and created["active"] is True
    _error(client.post("/api/v1/relationships", headers=headers, json=payload), 409, "conflict")
    off = client.patch(
        f"/api/v1/relationships/{created['id']}", headers=headers, json={"active": False}
    )
    assert off.get_json()["relationship"]["active"] is False
    listed = client.get("/api/v1/relationships?project=FIN-ERP", headers=headers).get_json()
    assert {r["id"] for r in listed["relationships"]} == {world["maria"].id, created["id"]}


def test_relationship_on_another_pms_project_or_with_their_stakeholder_is_404(
    client, session, world
):
    headers = world["tokens"]["pm"]
    before = _count(session, Relationship)
    onto_theirs = {"project": "HR-SELF", "stakeholder_id": world["maria"].stakeholder_id}
    _error(
        client.post("/api/v1/relationships", headers=headers, json=onto_theirs), 404, "not_found"
    )
    their_person = {"project": "FIN-ERP", "stakeholder_id": world["raj"].stakeholder_id}
    _error(
        client.post("/api/v1/relationships", headers=headers, json=their_person), 404, "not_found"
    )
    reply = client.patch(
        f"/api/v1/relationships/{world['raj'].id}", headers=headers, json={"active": False}
    )
    _error(reply, 404, "not_found")
    assert _count(session, Relationship) == before
    session.expire_all()
    assert session.get(Relationship, world["raj"].id).active is True


def test_relationship_active_must_be_a_boolean(client, session, world):
    reply = client.patch(
        f"/api/v1/relationships/{world['maria'].id}",
        headers=world["tokens"]["pm"],
        json={"active": "perhaps"},
    )
    assert "active" in _error(reply, 400, "invalid")
    session.expire_all()
    assert session.get(Relationship, world["maria"].id).active is True


# --- Actions and trends --------------------------------------------------------------------


def test_actions_are_created_moved_along_and_filtered(client, session, world):
    headers = world["tokens"]["pm"]
    reply = client.post(
        "/api/v1/actions",
        headers=headers,
        json={"project": "FIN-ERP", "what": "Weekly demo", "owner": "Sam", "due_on": "2030-01-31"},
    )
    assert reply.status_code == 201, reply.text
    action = reply.get_json()["action"]
    assert action["status"] == "open" and action["due_on"] == "2030-01-31"
    done = client.patch(f"/api/v1/actions/{action['id']}", headers=headers, json={"status": "done"})
    assert done.get_json()["action"]["status"] == "done"
    assert done.get_json()["action"]["closed_at"]
    listed = client.get("/api/v1/actions?status=done", headers=headers).get_json()["actions"]
    assert [a["id"] for a in listed] == [action["id"]]
    assert client.get("/api/v1/actions?status=open", headers=headers).get_json()["actions"] == []
    _error(client.get("/api/v1/actions?status=finished", headers=headers), 400, "invalid")


def test_bad_actions_are_400_and_another_pms_are_404(client, session, world):
    headers = world["tokens"]["pm"]
    bad = client.post("/api/v1/actions", headers=headers, json={"project": "FIN-ERP", "what": ""})
    assert "what" in _error(bad, 400, "invalid")
    bad_date = {"project": "FIN-ERP", "what": "x", "due_on": "soon"}
    assert "due_on" in _error(
        client.post("/api/v1/actions", headers=headers, json=bad_date), 400, "invalid"
    )
    theirs = {"project": "HR-SELF", "what": "x"}
    _error(client.post("/api/v1/actions", headers=headers, json=theirs), 404, "not_found")
    assert _count(session, FollowUpAction) == 0
    other_action = FollowUpAction(project_id=world["theirs"].id, what="Their action")
    session.add(other_action)
    session.commit()
    reply = client.patch(
        f"/api/v1/actions/{other_action.id}", headers=headers, json={"status": "done"}
    )
    _error(reply, 404, "not_found")
    wrong = client.patch(
        f"/api/v1/actions/{other_action.id}",
        headers=world["tokens"]["other"],
        json={"status": "finished"},
    )
    assert "status" in _error(wrong, 400, "invalid")
    session.expire_all()
    assert session.get(FollowUpAction, other_action.id).status == "open"


def test_project_trend_is_readable_and_another_pms_is_404(client, world):
    reply = client.get("/api/v1/projects/FIN-ERP/trend", headers=world["tokens"]["pm"])
    assert reply.status_code == 200 and reply.get_json() == {"project": "FIN-ERP", "points": []}
    _error(
        client.get("/api/v1/projects/HR-SELF/trend", headers=world["tokens"]["pm"]),
        404,
        "not_found",
    )


def test_viewer_tokens_read_but_never_write(client, session, world):
    headers = world["tokens"]["viewer"]
    assert client.get("/api/v1/stakeholders", headers=headers).status_code == 200
    patch = client.patch(
        f"/api/v1/stakeholders/{world['maria'].stakeholder_id}", headers=headers, json={"name": "V"}
    )
    _error(patch, 403, "forbidden")
    session.expire_all()
    assert session.get(Stakeholder, world["maria"].stakeholder_id).name == "Maria Chen"


def test_openapi_schemas_come_from_the_models(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    create = schemas["StakeholderCreate"]
    assert create["properties"]["influence"]["maximum"] == 5
    assert create["properties"]["name"]["maxLength"] == 120
    assert schemas["ProjectCreate"]["properties"]["code"]["pattern"]
    assert set(document["paths"]["/projects"]) >= {"get", "post"}
    post = document["paths"]["/stakeholders"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/StakeholderCreate"
    )
    assert {"201", "400", "401", "403", "409"} <= set(post["responses"])
    refs = _refs(document)
    assert refs and all(ref.removeprefix("#/components/schemas/") in schemas for ref in refs)


def _refs(node) -> set[str]:  # type: ignore[no-untyped-def]
    if isinstance(node, dict):
        found = {node["$ref"]} if isinstance(node.get("$ref"), str) else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()

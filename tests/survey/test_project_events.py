"""Project events posted to the API trigger pulse waves under the PM's rules, once per key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from survey.api.tokens import issue
from survey.models import (
    Invitation,
    ProjectEvent,
    ProjectEventRule,
    Role,
    Wave,
    WaveProject,
    utcnow,
)
from tests.builders import make_project, make_relationship, make_user, make_wave
from tests.conftest import csrf_token


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other@example.com")
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    project = make_project(session, pm=pm, code="ERP")
    make_project(session, pm=other, code="CRM")
    relationship = make_relationship(session, project=project, name="Noor Haddad")
    return {
        "project": project,
        "relationship": relationship,
        "pm": {"Authorization": f"Bearer {issue(session, user=pm)}"},
        "other": {"Authorization": f"Bearer {issue(session, user=other)}"},
        "viewer": {"Authorization": f"Bearer {issue(session, user=viewer, scope='read')}"},
    }


def _rule(session, project, kind: str, *, delay: int = 0, closes_in: int = 7) -> None:  # type: ignore[no-untyped-def]
    session.add(
        ProjectEventRule(
            project_id=project.id,
            kind=kind,
            triggers_pulse=True,
            delay_days=delay,
            closes_in_days=closes_in,
        )
    )
    session.commit()


def _waves(session, project) -> list[Wave]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.exec(
            select(Wave).join(WaveProject).where(WaveProject.project_id == project.id)
        ).all()
    )


def test_the_pm_sets_rules_on_the_events_page(client, session, world):
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"email": "pm@example.com", "password": "demo", "csrf_token": token})
    page = client.get("/projects/ERP/events")
    assert page.status_code == 200 and "Go-live" in page.text
    form = {
        "csrf_token": csrf_token(page.text),
        "go_live.pulse": "on",
        "go_live.delay": "2",
        "go_live.closes_in": "10",
        **{f"{k}.delay": "0" for k in ("phase_gate", "uat_start", "change_request_approved")},
        **{f"{k}.closes_in": "7" for k in ("phase_gate", "uat_start", "change_request_approved")},
    }
    assert client.post("/projects/ERP/events/rules", data=form).status_code == 302
    rules = {r.kind: r for r in session.exec(select(ProjectEventRule)).all()}
    assert rules["go_live"].triggers_pulse and not rules["uat_start"].triggers_pulse
    assert (rules["go_live"].delay_days, rules["go_live"].closes_in_days) == (2, 10)
    bad = {**form, "go_live.delay": "99"}
    client.post("/projects/ERP/events/rules", data=bad)
    session.expire_all()
    assert session.get(ProjectEventRule, rules["go_live"].id).delay_days == 2  # type: ignore[union-attr]


def test_an_event_creates_one_wave_even_when_posted_twice(client, session, world):
    project = world["project"]
    _rule(session, project, "go_live", closes_in=5)
    headers = {**world["pm"], "Idempotency-Key": "golive-2026-06-01"}
    body = {"kind": "go_live", "note": "Release 2 live"}
    first = client.post("/api/v1/projects/ERP/events", json=body, headers=headers)
    assert first.status_code == 201, first.json
    again = client.post("/api/v1/projects/ERP/events", json=body, headers=headers)
    assert again.status_code == 200
    assert again.json["event"]["id"] == first.json["event"]["id"]
    assert again.json["event"]["wave"]["id"] == first.json["event"]["wave"]["id"]

    [wave] = _waves(session, project)
    assert wave.status == "open"  # no delay: it opens now and its mail is queued
    assert wave.closes_at - wave.opens_at == timedelta(days=5)
    assert wave.reminder_days == "3"  # reminders fit inside the five days
    assert len(session.exec(select(ProjectEvent)).all()) == 1
    listed = client.get("/api/v1/projects/ERP/events", headers=world["pm"]).json["events"]
    assert [e["wave"]["id"] for e in listed] == [wave.id]


def test_an_external_id_in_the_body_also_makes_the_post_idempotent(client, session, world):
    _rule(session, world["project"], "uat_start")
    body = {"kind": "uat_start", "external_id": "jira-UAT-7"}
    for _ in range(2):
        client.post("/api/v1/projects/ERP/events", json=body, headers=world["pm"])
    assert len(_waves(session, world["project"])) == 1
    assert len(session.exec(select(ProjectEvent)).all()) == 1


def test_a_delay_schedules_the_wave_for_later(client, session, world):
    _rule(session, world["project"], "phase_gate", delay=3, closes_in=7)
    occurred = utcnow() - timedelta(days=1)
    reply = client.post(
        "/api/v1/projects/ERP/events",
        json={"kind": "phase_gate", "occurred_at": occurred.isoformat()},
        headers=world["pm"],
    )
    assert reply.status_code == 201
    [wave] = _waves(session, world["project"])
    assert wave.status == "scheduled"
    assert abs(wave.opens_at - (occurred + timedelta(days=3))) < timedelta(seconds=1)
    assert wave.closes_at - wave.opens_at == timedelta(days=7)


def test_an_event_without_a_rule_is_recorded_but_starts_no_pulse(client, session, world):
    reply = client.post(
        "/api/v1/projects/ERP/events",
        json={"kind": "change_request_approved", "note": "CR-12"},
        headers=world["pm"],
    )
    assert reply.status_code == 201
    assert reply.json["event"]["wave"] is None
    assert reply.json["event"]["outcome"].startswith("no pulse")
    assert _waves(session, world["project"]) == []


def test_survey_fatigue_still_applies_to_a_triggered_pulse(client, session, world):
    project, relationship = world["project"], world["relationship"]
    earlier = make_wave(session, project=project)
    session.add(
        Invitation(
            wave_id=earlier.id,
            relationship_id=relationship.id,
            token_hash="h" * 64,
            token_salt="s",
            sent_at=utcnow() - timedelta(days=2),
        )
    )
    session.commit()
    _rule(session, project, "go_live", closes_in=30)
    reply = client.post(
        "/api/v1/projects/ERP/events", json={"kind": "go_live"}, headers=world["pm"]
    )
    wave_id = reply.json["event"]["wave"]["id"]
    invitation = session.exec(select(Invitation).where(Invitation.wave_id == wave_id)).one()
    assert invitation.sent_at is None
    assert invitation.send_after is not None and invitation.send_after > utcnow()


def test_bad_input_and_access_rules(client, session, world):
    _rule(session, world["project"], "go_live")
    url = "/api/v1/projects/ERP/events"
    bad = client.post(url, json={"kind": "party"}, headers=world["pm"])
    assert bad.status_code == 400 and "kind" in bad.json["error"]["fields"]
    naive = client.post(
        url, json={"kind": "go_live", "occurred_at": "2026-01-01T09:00"}, headers=world["pm"]
    )
    assert naive.status_code == 400 and "occurred_at" in naive.json["error"]["fields"]
    assert client.post(url, json={"kind": "go_live"}).status_code == 401
    assert client.post(url, json={"kind": "go_live"}, headers=world["other"]).status_code == 404
    assert client.get(url, headers=world["other"]).status_code == 404
    assert client.post(url, json={"kind": "go_live"}, headers=world["viewer"]).status_code == 403
    assert (
        client.post(
            "/api/v1/projects/NOPE/events", json={"kind": "go_live"}, headers=world["pm"]
        ).status_code
        == 404
    )
    assert _waves(session, world["project"]) == []


def test_the_events_page_lists_events_and_their_waves(client, session, world):
    _rule(session, world["project"], "go_live")
    client.post(
        "/api/v1/projects/ERP/events", json={"kind": "go_live", "note": "R2"}, headers=world["pm"]
    )
    token = csrf_token(client.get("/login").text)
    client.post(
        "/login", data={"email": "other@example.com", "password": "demo", "csrf_token": token}
    )
    assert client.get("/projects/ERP/events").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/portfolio").text)})
    token = csrf_token(client.get("/login").text)
    client.post("/login", data={"email": "pm@example.com", "password": "demo", "csrf_token": token})
    page = client.get("/projects/ERP/events").text
    [wave] = _waves(session, world["project"])
    assert wave.title in page and "R2" in page and f"/waves/{wave.id}" in page

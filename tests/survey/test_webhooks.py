"""Webhook signing, endpoint management on the page and the API, and the events recorded
where they happen (wave closed, review ready)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlmodel import select

from survey import waves, webhook_signing, webhooks
from survey.api.tokens import issue
from survey.models import Role, WebhookDelivery, WebhookEndpoint, WebhookEvent, utcnow
from survey.quarters import Quarter
from tests.builders import make_project, make_relationship, make_user, make_wave
from tests.conftest import csrf_token
from tests.pm_builders import add_wave, all_ratings

SECRET = "whsec_test"
BODY = b'{"type":"wave.closed"}'


def test_a_signature_verifies_only_with_the_same_secret_body_and_recent_time():
    header = webhook_signing.sign(SECRET, BODY)
    assert re.fullmatch(r"t=\d+,v1=[0-9a-f]{64}", header)
    assert webhook_signing.verify(SECRET, header, BODY)
    assert not webhook_signing.verify("whsec_other", header, BODY)
    assert not webhook_signing.verify(SECRET, header, BODY + b"x")
    old = webhook_signing.sign(SECRET, BODY, timestamp=int(time.time()) - 301)
    assert not webhook_signing.verify(SECRET, old, BODY)
    assert webhook_signing.verify(SECRET, old, BODY, tolerance=600)
    for broken in ("", "t=abc,v1=00", "v1=" + "0" * 64, header.split(",")[0]):
        assert not webhook_signing.verify(SECRET, broken, BODY)


def test_a_signature_is_hmac_sha256_over_timestamp_dot_body():
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert webhook_signing.sign(SECRET, BODY, timestamp=1700000000) == f"t=1700000000,v1={expected}"
    # A receiver rotating secrets may see several v1 values; one match is enough.
    header = f"t=1700000000,v1={'0' * 64},v1={expected}"
    assert webhook_signing.verify(SECRET, header, BODY, now=1700000000)


@pytest.fixture
def people(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other@example.com")
    admin = make_user(session, email="admin@example.com", role=Role.admin)
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    mine = make_project(session, pm=pm, code="MINE")
    theirs = make_project(session, pm=other, code="THEIRS")
    return {
        "pm": pm,
        "other": other,
        "admin": admin,
        "viewer": viewer,
        "mine": mine,
        "theirs": theirs,
    }


def _login(client, email: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").text)
    reply = client.post("/login", data={"email": email, "password": "demo", "csrf_token": token})
    assert reply.status_code == 302


def _add(client, **form):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/webhooks").text)
    return client.post("/webhooks", data={"csrf_token": token, **form})


def test_a_pm_adds_an_endpoint_and_sees_the_secret_once(client, session, people):
    _login(client, "pm@example.com")
    reply = _add(
        client,
        url="https://hooks.example.org/rapport",
        project="MINE",
        events=["alert.raised", "wave.closed"],
    )
    assert reply.status_code == 201
    endpoint = session.exec(select(WebhookEndpoint)).one()
    assert endpoint.secret.startswith("whsec_") and endpoint.secret in reply.text
    assert endpoint.event_kinds == ("alert.raised", "wave.closed")
    assert endpoint.project_id == people["mine"].id and endpoint.active
    for page in (f"/webhooks/{endpoint.id}", "/webhooks"):
        shown = client.get(page)
        assert shown.status_code == 200 and "hooks.example.org" in shown.text
        assert endpoint.secret not in shown.text
    bearer = issue(session, user=people["pm"])
    api = client.get(
        f"/api/v1/webhooks/{endpoint.id}", headers={"Authorization": f"Bearer {bearer}"}
    )
    assert api.status_code == 200 and endpoint.secret not in api.text


def test_the_form_refuses_bad_input_and_other_peoples_projects(client, session, people):
    _login(client, "pm@example.com")
    assert _add(client, url="ftp://x", project="MINE", events=["wave.closed"]).status_code == 400
    assert _add(client, url="https://x.org/h", project="MINE").status_code == 400  # no events
    assert (
        _add(client, url="https://x.org/h", project="THEIRS", events=["wave.closed"]).status_code
        == 404
    )
    global_try = _add(client, url="https://x.org/h", project="", events=["wave.closed"])
    assert global_try.status_code == 400 and "only an admin" in global_try.text
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_another_pm_cannot_see_or_change_an_endpoint(client, session, people):
    endpoint, _secret = webhooks.create_endpoint(
        session,
        project=people["mine"],
        data={"url": "https://a.org/h", "events": ["wave.closed"]},
        actor=people["pm"],
        production=False,
    )
    session.commit()
    _login(client, "other@example.com")
    assert client.get(f"/webhooks/{endpoint.id}").status_code == 404
    token = csrf_token(client.get("/webhooks").text)
    assert (
        client.post(
            f"/webhooks/{endpoint.id}/delete", data={"csrf_token": token, "confirm": "delete"}
        ).status_code
        == 404
    )
    assert "a.org" not in client.get("/webhooks").text
    bearer = {"Authorization": f"Bearer {issue(session, user=people['other'])}"}
    assert client.get(f"/api/v1/webhooks/{endpoint.id}", headers=bearer).status_code == 404
    assert (
        client.post(
            f"/api/v1/webhooks/{endpoint.id}", json={"active": False}, headers=bearer
        ).status_code
        == 404
    )
    assert client.get("/api/v1/webhooks", headers=bearer).json == {"webhooks": []}
    session.expire_all()
    assert session.get(WebhookEndpoint, endpoint.id).active  # type: ignore[union-attr]


def test_the_api_manages_endpoints(client, session, people):
    pm = {"Authorization": f"Bearer {issue(session, user=people['pm'])}"}
    created = client.post(
        "/api/v1/webhooks",
        json={"url": "https://b.org/h", "events": ["review.ready"], "project": "MINE"},
        headers=pm,
    )
    assert created.status_code == 201, created.json
    secret, hook = created.json["secret"], created.json["webhook"]
    assert secret.startswith("whsec_") and "secret" not in hook
    assert hook["project"] == "MINE" and hook["events"] == ["review.ready"]
    bad = client.post(
        "/api/v1/webhooks",
        json={"url": "https://b.org/h", "events": ["nope"], "project": "MINE"},
        headers=pm,
    )
    assert bad.status_code == 400 and "events" in bad.json["error"]["fields"]
    no_project = {"url": "https://b.org", "events": ["wave.closed"]}
    refused = client.post("/api/v1/webhooks", json=no_project, headers=pm)
    assert refused.status_code == 400 and "project" in refused.json["error"]["fields"]

    changed = client.post(f"/api/v1/webhooks/{hook['id']}", json={"active": False}, headers=pm)
    assert changed.status_code == 200 and changed.json["webhook"]["active"] is False
    log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=pm)
    assert log.json == {"attempts": [], "pending": []}
    assert (
        client.get(f"/api/v1/webhooks/{hook['id']}", headers=pm).json["webhook"]["active"] is False
    )

    admin = {"Authorization": f"Bearer {issue(session, user=people['admin'])}"}
    glob = client.post(
        "/api/v1/webhooks",
        json={"url": "https://c.org/h", "events": ["wave.closed"]},
        headers=admin,
    )
    assert glob.status_code == 201 and glob.json["webhook"]["project"] is None
    viewer = {"Authorization": f"Bearer {issue(session, user=people['viewer'], scope='read')}"}
    assert client.post("/api/v1/webhooks", json={}, headers=viewer).status_code == 403
    assert client.get("/api/v1/webhooks", headers=viewer).json == {"webhooks": []}


def _hook(session, project, events):  # type: ignore[no-untyped-def]
    endpoint = WebhookEndpoint(
        project_id=project.id if project else None,
        url="http://127.0.0.1:9/",
        secret=webhooks.new_secret(),
        events=",".join(events),
    )
    session.add(endpoint)
    session.commit()
    return endpoint


def _deliveries(session) -> list[tuple[int, str, dict]]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return sorted(
        (d.endpoint_id, e.kind, e.payload)
        for d, e in session.exec(
            select(WebhookDelivery, WebhookEvent).join(
                WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id
            )
        ).all()
    )


def test_closing_a_wave_records_wave_closed_for_its_listeners_once(session, people):
    mine, theirs = people["mine"], people["theirs"]
    ears = _hook(session, mine, ["wave.closed"])
    everyone = _hook(session, None, ["wave.closed"])
    _hook(session, mine, ["alert.raised"])  # not subscribed to this kind
    _hook(session, theirs, ["wave.closed"])  # another project
    relationship = make_relationship(session, project=mine, name="Ilse Brandt")
    wave = make_wave(session, project=mine)
    from tests.builders import make_invitation

    make_invitation(session, wave=wave, relationship=relationship)
    waves.close(session, wave=wave, now=utcnow())
    session.commit()
    waves.close(session, wave=wave, now=utcnow() + timedelta(minutes=1))  # already closed
    session.commit()

    rows = _deliveries(session)
    assert [(endpoint_id, kind) for endpoint_id, kind, _p in rows] == [
        (ears.id, "wave.closed"),
        (everyone.id, "wave.closed"),
    ]
    payload = rows[0][2]
    assert payload["project"] == {"id": mine.id, "code": "MINE"}
    assert payload["data"]["wave_id"] == wave.id
    assert (payload["data"]["invited"], payload["data"]["answered"]) == (1, 0)
    assert "Ilse" not in str(payload)


def test_a_built_review_pack_records_review_ready_once(session, people):
    from workers.reviews import send_review_pack

    mine = people["mine"]
    ears = _hook(session, mine, ["review.ready"])
    relationship = make_relationship(session, project=mine)
    wave = add_wave(
        session, projects=[mine], answers=[(relationship, all_ratings(4))], months_ago=0
    )
    quarter = str(Quarter.containing(wave.closes_at))
    assert send_review_pack(mine.id, quarter) != "already done"
    assert send_review_pack(mine.id, quarter) == "already done"
    [(endpoint_id, kind, payload)] = _deliveries(session)
    assert (endpoint_id, kind) == (ears.id, "review.ready")
    assert payload["data"]["quarter"] == quarter
    assert payload["data"]["path"] == f"/projects/MINE/reviews/{quarter}"


def test_the_delivery_log_page_shows_the_last_attempts(client, session, people):
    from workers import webhooks as delivery

    endpoint = _hook(session, people["mine"], ["wave.closed"])
    webhooks.emit(session, "wave.closed", project_id=people["mine"].id, dedupe_key="k", data={})
    session.commit()
    row = session.exec(select(WebhookDelivery)).one()
    delivery.record(session, row, delivery.PostResult(503, "answered 503", True, 42), utcnow())
    _login(client, "pm@example.com")
    page = client.get(f"/webhooks/{endpoint.id}").text
    assert "503" in page and "42 ms" in page and "answered 503" in page
    assert row.uid in page and "attempt 2 due" in page


def test_deleting_on_the_page_needs_the_confirmation_box(client, session, people):
    endpoint = _hook(session, people["mine"], ["wave.closed"])
    _login(client, "pm@example.com")
    token = csrf_token(client.get(f"/webhooks/{endpoint.id}").text)
    client.post(f"/webhooks/{endpoint.id}/delete", data={"csrf_token": token})
    assert client.get(f"/webhooks/{endpoint.id}").status_code == 200
    client.post(f"/webhooks/{endpoint.id}/delete", data={"csrf_token": token, "confirm": "delete"})
    assert client.get(f"/webhooks/{endpoint.id}").status_code == 404

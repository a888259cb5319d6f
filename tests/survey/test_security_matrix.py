"""Every route, checked as anonymous, stakeholder, viewer without a grant, viewer granted the
project, PM of another project and admin.

The classification below is the contract: a route added without a line here fails
`test_every_route_is_classified`, so new pages are covered from the day they appear.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel

from survey.api.tokens import issue
from survey.models import Alert, DeliveryStatus, FollowUpAction, MailDelivery, Role, utcnow
from survey.quarters import Quarter
from tests.builders import (
    GOOD_ANSWERS,
    grant_project,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from tests.conftest import csrf_token

PUBLIC = "public"  # anyone, no login (health, static files, login page, API description)
TOKEN = "token"  # the stakeholder's survey pages: the token is the only key
LOGIN = "login"  # any signed-in user; lists are filtered to what the user may see
OWNED = "owned"  # one project's object: another project's PM and ungranted viewers get 404
ADMIN = "admin"  # administrators only: everyone else signed in gets 403
API = "api"  # bearer token; lists filtered
API_OWNED = "api-owned"  # bearer token, one project's object

ROUTES: dict[str, str] = {
    "static": PUBLIC,
    "vendor.plotly_js": PUBLIC,
    "health.healthz": PUBLIC,
    "api.openapi_document": PUBLIC,
    "auth.login": PUBLIC,
    "dashboard.index": PUBLIC,
    "auth.logout": LOGIN,
    "capture.pulse_form": TOKEN,
    "capture.pulse_submit": TOKEN,
    "capture.thanks": TOKEN,
    "capture.unsubscribe_confirm": TOKEN,
    "capture.unsubscribe": TOKEN,
    "devmail.mailbox": LOGIN,
    "devmail.message": LOGIN,
    "dashboard.portfolio": LOGIN,
    "dashboard.alerts": LOGIN,
    "dashboard.lessons_search": LOGIN,
    "dashboard.lessons_csv": LOGIN,
    "dashboard.wave_list": LOGIN,
    "dashboard.wave_new": LOGIN,
    "dashboard.project": OWNED,
    "dashboard.relationship": OWNED,
    "dashboard.action_share": OWNED,
    "dashboard.action_status": OWNED,
    "dashboard.acknowledge_alert": OWNED,
    "dashboard.resolve_alert": OWNED,
    "dashboard.add_action": OWNED,
    "dashboard.digest_preview": OWNED,
    "dashboard.lesson_add": OWNED,
    "dashboard.plan": OWNED,
    "dashboard.plan_save": OWNED,
    "dashboard.review_index": OWNED,
    "dashboard.review": OWNED,
    "dashboard.review_csv": OWNED,
    "dashboard.review_pdf": OWNED,
    "dashboard.record_status": OWNED,
    "dashboard.set_webhook": OWNED,
    "dashboard.wave_detail": OWNED,
    "dashboard.bounce_clear": OWNED,
    "dashboard.wave_close": OWNED,
    "dashboard.wave_schedule": OWNED,
    "dashboard.mail_send_again": OWNED,
    "dashboard.mail_send_failed_again": OWNED,
    "dashboard.webhooks_page": LOGIN,
    "dashboard.webhook_add": LOGIN,
    "dashboard.webhook_detail": OWNED,
    "dashboard.webhook_edit": OWNED,
    "dashboard.webhook_remove": OWNED,
    "dashboard.project_events_page": OWNED,
    "dashboard.project_event_rules": OWNED,
    "admin.queues": ADMIN,
    "admin.retry": ADMIN,
    "admin.report_send_again": ADMIN,
    "admin.report_dismiss": ADMIN,
    "dashboard.grant_viewer": ADMIN,
    "dashboard.revoke_viewer": ADMIN,
    "api.alerts": API,
    "api.projects": API,
    "api.wave_create": API,
    "api.project_health": API_OWNED,
    "api.project_relationships": API_OWNED,
    "api.record_status": API_OWNED,
    "api.status_history": API_OWNED,
    "api.relationship_trend": API_OWNED,
    "api.wave_read": API_OWNED,
    "api.wave_send": API_OWNED,
    "api.wave_close": API_OWNED,
    "dashboard.setup_projects": LOGIN,
    "dashboard.setup_project_new": LOGIN,
    "dashboard.setup_project_edit": OWNED,
    "dashboard.setup_relationship_add": OWNED,
    "dashboard.setup_relationship_update": OWNED,
    "dashboard.setup_stakeholders": LOGIN,
    "dashboard.setup_stakeholder_new": LOGIN,
    "dashboard.setup_stakeholder_edit": OWNED,
    "dashboard.setup_import": LOGIN,
    "dashboard.setup_export": LOGIN,
    "dashboard.api_tokens_page": LOGIN,
    "dashboard.api_token_create": LOGIN,
    "dashboard.api_token_revoke": LOGIN,
    "api.project_read": API_OWNED,
    "api.project_create": API,
    "api.project_update": API_OWNED,
    "api.project_trend": API_OWNED,
    "api.project_themes": API_OWNED,
    "api.stakeholders": API,
    "api.stakeholder_read": API_OWNED,
    "api.stakeholder_create": API,
    "api.stakeholder_update": API_OWNED,
    "api.relationships": API,
    "api.relationship_read": API_OWNED,
    "api.relationship_create": API,
    "api.relationship_update": API_OWNED,
    "api.actions": API,
    "api.action_read": API_OWNED,
    "api.action_create": API,
    "api.action_update": API_OWNED,
    "api.webhook_list": API,
    "api.webhook_create": API,
    "api.webhook_read": API_OWNED,
    "api.webhook_update": API_OWNED,
    "api.webhook_deliveries": API_OWNED,
    "api.project_event_create": API_OWNED,
    "api.project_event_list": API_OWNED,
}

# Routes whose object the world below does not hold (an admin gets an honest 404).
MISSING_IN_WORLD = {"admin.retry", "devmail.message"}  # no such job or message exists

SECRET_WORDS = ("Apollo", "Zora Quill", "apollo-secret-comment")


@dataclass
class World:
    """Project APOLLO (owned by pm_a) with one of everything, and project BOREAL (pm_b)."""

    params: dict[str, object]
    emails: dict[str, str]
    bearer: dict[str, str]
    other_token: str
    created: list = field(default_factory=list)


@pytest.fixture
def world(app, session) -> World:  # type: ignore[no-untyped-def]
    users = {
        "admin": make_user(session, email="admin@example.com", role=Role.admin),
        "viewer": make_user(session, email="viewer@example.com", role=Role.viewer),
        "granted_viewer": make_user(session, email="granted@example.com", role=Role.viewer),
        "pm_a": make_user(session, email="pm-a@example.com"),
        "other_pm": make_user(session, email="pm-b@example.com"),
    }
    apollo = make_project(session, pm=users["pm_a"], code="APOLLO", name="Apollo Migration")
    boreal = make_project(session, pm=users["other_pm"], code="BOREAL", name="Boreal Billing")
    grant_project(session, viewer=users["granted_viewer"], project=apollo)
    # The ungranted viewer reads BOREAL, so "a viewer with some grant" is what is tested.
    grant_project(session, viewer=users["viewer"], project=boreal)
    zora = make_relationship(session, project=apollo, name="Zora Quill")
    wave = make_wave(session, project=apollo)
    wave.title = "Apollo wave"
    session.add(wave)
    invitation_a, token_a = make_invitation(session, wave=wave, relationship=zora)
    failed_mail = MailDelivery(
        invitation_id=invitation_a.id,
        wave_id=wave.id,
        kind="invitation",
        status=DeliveryStatus.failed,
    )
    session.add(failed_mail)
    boreal_rel = make_relationship(session, project=boreal, name="Bert Lund")
    boreal_wave = make_wave(session, project=boreal)
    _invitation_b, token_b = make_invitation(session, wave=boreal_wave, relationship=boreal_rel)
    client = app.test_client()
    page = client.get(f"/s/{token_a}")
    answers = {
        **GOOD_ANSWERS,
        "comment": "apollo-secret-comment",
        "csrf_token": csrf_token(page.text),
    }
    assert client.post(f"/s/{token_a}", data=answers).status_code == 303
    alert = Alert(
        project_id=apollo.id,
        key="silent:relationship:1",
        rule="silent",
        subject_kind="relationship",
        subject_id=zora.id,
        severity="high",
        message="Apollo alert",
    )
    session.add(alert)
    session.commit()
    action = FollowUpAction(project_id=apollo.id, alert_id=alert.id, what="Apollo action")
    session.add(action)
    session.commit()
    from survey.models.plans import Audience, DigestLog, ReportStatus

    # A digest whose worker died mid-send an hour ago: what an admin may send again.
    stuck_digest = DigestLog(
        project_id=apollo.id,
        recipient=f"user:{users['pm_a'].id}",
        kind="digest",
        audience="summary",
        period="2026-W01",
        status=ReportStatus.sending,
        created_at=utcnow() - timedelta(hours=1),
    )
    session.add(stuck_digest)
    session.commit()

    params = {
        "code": "APOLLO",
        "relationship_id": zora.id,
        "wave_id": wave.id,
        "delivery_id": failed_mail.id,
        "entry_id": stuck_digest.id,
        "alert_id": alert.id,
        "action_id": action.id,
        "stakeholder_id": zora.stakeholder_id,
        "quarter": str(Quarter.containing(wave.opens_at)),
        "audience": list(Audience)[0].value,
        "name": "nothing-here.eml",
        "token": token_a,
        "filename": "rapport.css",
        "endpoint_id": _apollo_webhook(session, project_id=apollo.id),
        "job_id": "no-such-job",
        "user_id": users["granted_viewer"].id,
    }
    bearer = {role: issue(session, user=user) for role, user in users.items()}
    return World(
        params=params,
        emails={role: user.email for role, user in users.items()},
        bearer=bearer,
        other_token=token_b,
    )


def _apollo_webhook(session, *, project_id: int) -> int:  # type: ignore[no-untyped-def]
    from survey.models import WebhookEndpoint

    endpoint = WebhookEndpoint(
        project_id=project_id, url="http://127.0.0.1:9/hook", secret="whsec_x", events="wave.closed"
    )
    session.add(endpoint)
    session.commit()
    return endpoint.id  # type: ignore[return-value]


def _rules(app):  # type: ignore[no-untyped-def]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def _path(rule, params: dict) -> str:  # type: ignore[no-untyped-def]
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: str(params[m.group(1)]), rule.rule)


def _snapshot(session) -> list:  # type: ignore[no-untyped-def]
    """Every row except the audit log (logins are audited) and rate-limit free tables."""
    session.expire_all()
    rows = []
    for table in SQLModel.metadata.sorted_tables:
        if table.name != "audit_entry":
            rows.extend((table.name, tuple(r)) for r in session.execute(sa_select(table)))
    return sorted(rows, key=repr)


def _login(client, email: str) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").text)
    reply = client.post("/login", data={"email": email, "password": "demo", "csrf_token": token})
    assert reply.status_code == 302, reply.text


def _request(client, rule, method: str, params: dict, bearer: str | None):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    path = _path(rule, params)
    if method == "GET":
        return client.get(path, headers=headers)
    data = {"csrf_token": csrf_token(client.get("/login").text)}
    if rule.rule.startswith("/api/"):
        return client.open(path, method=method, headers=headers, json={})
    return client.post(path, headers=headers, data=data)


def _is_login_redirect(reply) -> bool:  # type: ignore[no-untyped-def]
    return reply.status_code == 302 and "/login" in reply.headers.get("Location", "")


def _check(actor: str, endpoint: str, method: str, reply) -> str | None:  # type: ignore[no-untyped-def]
    """Why this reply breaks the access rules, or None."""
    status = reply.status_code
    kind = ROUTES[endpoint]
    if status >= 500:
        return f"server error {status}"
    anonymous = actor in ("anonymous", "stakeholder")
    if kind == PUBLIC:
        return None if status != 403 else f"public route refused ({status})"
    if kind in (API, API_OWNED) and anonymous:
        return None if status == 401 else f"expected 401, got {status}"
    if kind in (LOGIN, OWNED, ADMIN) and anonymous:
        return None if _is_login_redirect(reply) else f"expected redirect to login, got {status}"
    if kind == TOKEN:
        if actor == "stakeholder":
            return None if status in (200, 303, 400) else f"own survey refused ({status})"
        return None if status == 404 else f"unknown token not 404 ({status})"
    if kind == ADMIN and actor != "admin":
        return None if status == 403 else f"non-admin got {status}, not 403"
    if actor == "other_pm" and kind in (OWNED, API_OWNED):
        return None if status == 404 else f"another project's PM got {status}, not 404"
    if actor == "viewer" and kind in (OWNED, API_OWNED) and method == "GET":
        return None if status == 404 else f"viewer without a grant got {status}, not 404"
    if actor in VIEWERS and method != "GET" and kind != LOGIN:
        return None if status in (403, 404) else f"viewer write not refused ({status})"
    if actor == "granted_viewer" and kind in (OWNED, API_OWNED) and method == "GET":
        expected = 404 if endpoint in CLOSED_TO_VIEWERS else 200
        return None if status == expected else f"granted viewer got {status}, not {expected}"
    if actor == "admin" and status in (401, 403, 404) and endpoint not in MISSING_IN_WORLD:
        return f"admin refused ({status})"
    if _is_login_redirect(reply):
        return "signed-in user sent to login"
    return None


VIEWERS = ("viewer", "granted_viewer")
ACTORS = ("anonymous", "stakeholder", *VIEWERS, "other_pm", "admin")
# Read routes a viewer is refused even on a granted project: webhooks are managed by the PM
# and admins only, and viewers see none of them.
CLOSED_TO_VIEWERS = {
    "dashboard.webhook_detail",
    "dashboard.webhook_edit",
    "api.webhook_read",
    "api.webhook_deliveries",
}
# Who must never see APOLLO's secrets, on any page, list or refusal.
OUTSIDERS = ("other_pm", "viewer")


def test_every_route_is_classified(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    unclassified = endpoints - set(ROUTES)
    assert not unclassified, f"classify these routes in ROUTES: {sorted(unclassified)}"
    assert not set(ROUTES) - endpoints, f"stale entries: {sorted(set(ROUTES) - endpoints)}"


@pytest.mark.parametrize("actor", ACTORS)
def test_access_matrix(actor, app, world, session):
    client = app.test_client()
    params = dict(world.params)
    bearer = None
    if actor != "stakeholder":
        params["token"] = "A" * 43  # only the stakeholder holds a real survey link
    if actor == "anonymous":
        pass
    elif actor == "stakeholder":
        client.get(f"/s/{params['token']}")
        bearer = params["token"]  # a survey token is no API credential
    else:
        _login(client, world.emails[actor])
        bearer = world.bearer[actor]
    before = _snapshot(session)
    problems = []
    for rule, method in _rules(app):
        kind = ROUTES.get(rule.endpoint)
        if kind is None or (actor == "admin" and rule.endpoint == "auth.logout"):
            continue
        if rule.endpoint == "auth.logout" and actor != "admin":
            continue  # checked last: it ends the session
        reply = _request(client, rule, method, params, bearer)
        problem = _check(actor, rule.endpoint, method, reply)
        if problem:
            problems.append(f"{method} {rule.rule} ({rule.endpoint}): {problem}")
        if actor in OUTSIDERS and method == "GET" and kind in (LOGIN, API, OWNED, API_OWNED):
            leaked = [w for w in SECRET_WORDS if w in reply.get_data(as_text=True)]
            if leaked:
                problems.append(f"{method} {rule.rule}: shows another project's {leaked}")
    assert not problems, "\n".join(problems)
    if actor in ("anonymous", *VIEWERS, "other_pm"):
        assert _snapshot(session) == before, f"{actor} changed data"


def test_a_granted_viewer_reads_apollo_and_nothing_of_boreal(app, world):
    client = app.test_client()
    _login(client, world.emails["granted_viewer"])
    portfolio = client.get("/portfolio").text
    assert "Apollo Migration" in portfolio and "Boreal" not in portfolio
    assert "apollo-secret-comment" in client.get("/projects/APOLLO").text
    assert client.get("/projects/BOREAL").status_code == 404
    headers = {"Authorization": f"Bearer {world.bearer['granted_viewer']}"}
    listed = client.get("/api/v1/projects", headers=headers).get_json()["projects"]
    assert [p["code"] for p in listed] == ["APOLLO"]


def test_a_survey_token_opens_only_its_own_survey(app, world):
    client = app.test_client()
    own = client.get(f"/s/{world.params['token']}")
    assert own.status_code == 200 and "Apollo Migration" in own.text
    assert "Boreal" not in own.text
    other = world.other_token
    tampered = other[:-2] + ("AA" if not other.endswith("AA") else "BB")
    assert client.get(f"/s/{tampered}").status_code == 404
    assert client.get("/portfolio").status_code == 302
    api = client.get(
        "/api/v1/projects", headers={"Authorization": f"Bearer {world.params['token']}"}
    )
    assert api.status_code == 401


def test_dev_mailbox_is_absent_in_production(rapport_env):
    from survey import create_app

    app = create_app({**rapport_env, "RAPPORT_ENV": "production", "TESTING": True})
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert not {e for e in endpoints if e.startswith("devmail.")}
    assert app.test_client().get("/dev/mail/").status_code == 404

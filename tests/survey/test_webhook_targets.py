"""Webhook URLs may not reach this machine or the private network behind it (SSRF): refused
when saved on the page, over the API and for a project's alert webhook."""

from __future__ import annotations

import socket
from ipaddress import ip_address

import pytest
from sqlmodel import select

from survey import create_app, pm_actions, webhook_targets, webhooks
from survey.api.tokens import issue
from survey.models import WebhookEndpoint
from tests.builders import make_project, make_user
from tests.conftest import csrf_token

PRIVATE_URLS = [
    ("http://127.0.0.1:8080/hook", "a loopback address"),
    ("http://127.8.9.10/hook", "a loopback address"),
    ("http://localhost:8080/hook", "localhost resolves to"),
    ("http://[::1]/hook", "a loopback address"),
    ("http://[::ffff:127.0.0.1]/hook", "a loopback address"),
    ("http://2130706433/hook", "a loopback address"),  # 127.0.0.1 as one decimal number
    ("http://0x7f000001/hook", "a loopback address"),  # ... in hex
    ("http://0177.0.0.1/hook", "a loopback address"),  # ... with an octal first part
    ("http://127.1/hook", "a loopback address"),  # ... shortened
    ("http://10.0.0.5/hook", "a private address"),
    ("http://172.16.4.4/hook", "a private address"),
    ("http://192.168.1.20:9000/hook", "a private address"),
    ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
    ("http://[fe80::1]/hook", "a link-local address"),
    ("http://[fd12:3456::1]/hook", "a unique-local address"),
    ("http://0.0.0.0:8080/hook", "an unspecified address"),
    ("http://[::]/hook", "an unspecified address"),
    ("http://100.64.0.1/hook", "a non-public address"),
]


@pytest.mark.parametrize(("url", "reason"), PRIVATE_URLS)
def test_local_and_private_addresses_are_refused(url, reason):
    with pytest.raises(webhook_targets.UnsafeTarget, match=reason):
        webhook_targets.check_url(url, allow_private=False)


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com.invalid/services/T000",  # does not resolve: checked on delivery
        "https://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/hook",
    ],
)
def test_public_addresses_and_unresolvable_names_pass(url):
    webhook_targets.check_url(url, allow_private=False)


def test_allowing_private_networks_still_refuses_metadata_and_unspecified():
    webhook_targets.check_url("http://127.0.0.1:9/hook", allow_private=True)
    webhook_targets.check_url("http://10.1.2.3/hook", allow_private=True)
    for url in ("http://169.254.169.254/", "http://0.0.0.0/", "http://[::ffff:169.254.169.254]/"):
        with pytest.raises(webhook_targets.UnsafeTarget):
            webhook_targets.check_url(url, allow_private=True)


def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port)),
        ]

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(webhook_targets.UnsafeTarget, match="resolves to 10.0.0.7"):
        webhook_targets.check_url("https://hooks.example.com/h", allow_private=False)


@pytest.mark.parametrize(
    ("host", "expected"),
    [("2130706433", "127.0.0.1"), ("0x7f000001", "127.0.0.1"), ("127.1", "127.0.0.1"),
     ("[::ffff:127.0.0.1]", "::ffff:7f00:1"), ("cafe.example", None), ("beef", None)],
)  # fmt: skip
def test_literal_addresses_are_read_as_a_resolver_would(host, expected):
    found = webhook_targets.literal_address(host)
    assert found == (ip_address(expected) if expected else None)


# --- saving --------------------------------------------------------------------------------


@pytest.fixture
def strict_client(rapport_env):  # type: ignore[no-untyped-def]
    """The app as production runs it: no private webhook targets."""
    app = create_app({**rapport_env, "TESTING": True, "RAPPORT_WEBHOOK_ALLOW_PRIVATE": "off"})
    return app.test_client()


@pytest.fixture
def pm_project(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm-hooks@example.com")
    return pm, make_project(session, pm=pm, code="HOOKS")


def test_the_page_refuses_a_private_url_with_a_field_error(strict_client, session, pm_project):
    token = csrf_token(strict_client.get("/login").text)
    strict_client.post(
        "/login", data={"email": "pm-hooks@example.com", "password": "demo", "csrf_token": token}
    )
    token = csrf_token(strict_client.get("/webhooks").text)
    reply = strict_client.post(
        "/webhooks",
        data={
            "csrf_token": token,
            "url": "http://169.254.169.254/latest/meta-data/",
            "project": "HOOKS",
            "events": ["wave.closed"],
        },
    )
    assert reply.status_code == 400
    assert "must not point to a local or private network" in reply.text
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_the_api_refuses_a_private_url_on_create_and_update(strict_client, session, pm_project):
    pm, _project = pm_project
    bearer = {"Authorization": f"Bearer {issue(session, user=pm)}"}
    body = {
        "url": "http://[::ffff:127.0.0.1]:8080/h",
        "events": ["wave.closed"],
        "project": "HOOKS",
    }
    refused = strict_client.post("/api/v1/webhooks", json=body, headers=bearer)
    assert refused.status_code == 400
    assert "loopback" in refused.json["error"]["fields"]["url"]
    created = strict_client.post(
        "/api/v1/webhooks", json={**body, "url": "https://8.8.8.8/h"}, headers=bearer
    )
    assert created.status_code == 201, created.json
    hook_id = created.json["webhook"]["id"]
    moved = strict_client.post(
        f"/api/v1/webhooks/{hook_id}", json={"url": "http://2130706433/h"}, headers=bearer
    )
    assert moved.status_code == 400 and "url" in moved.json["error"]["fields"]
    session.expire_all()
    assert session.get(WebhookEndpoint, hook_id).url == "https://8.8.8.8/h"  # type: ignore[union-attr]


def test_development_allows_loopback_for_local_receivers(client, session, pm_project):
    pm, _project = pm_project
    bearer = {"Authorization": f"Bearer {issue(session, user=pm)}"}
    body = {"url": "http://127.0.0.1:8080/h", "events": ["wave.closed"], "project": "HOOKS"}
    assert client.post("/api/v1/webhooks", json=body, headers=bearer).status_code == 201


def test_production_refuses_private_urls_even_without_the_setting(session, pm_project):
    pm, project = pm_project
    with pytest.raises(pm_actions.InputError) as refused:
        webhooks.create_endpoint(
            session,
            project=project,
            data={"url": "https://10.0.0.8/h", "events": ["wave.closed"]},
            actor=pm,
            production=True,
        )
    assert "a private address" in refused.value.fields["url"]


def test_a_project_alert_webhook_on_the_local_network_is_refused(session, pm_project):
    pm, project = pm_project
    with pytest.raises(pm_actions.InputError) as refused:
        pm_actions.set_webhook(
            session, project=project, url="http://169.254.169.254/latest", actor=pm
        )
    assert "link-local" in refused.value.fields["webhook_url"]
    pm_actions.set_webhook(
        session, project=project, url="http://127.0.0.1:9/h", actor=pm, allow_private=True
    )
    assert project.alert_webhook_url == "http://127.0.0.1:9/h"


def _login_pm(client) -> None:  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").text)
    reply = client.post(
        "/login", data={"email": "pm-hooks@example.com", "password": "demo", "csrf_token": token}
    )
    assert reply.status_code == 302


def test_the_project_alert_webhook_form_follows_the_setting(
    client, strict_client, session, pm_project
):
    _pm, project = pm_project
    for browser, saved, said in (
        (strict_client, None, "Webhook not saved"),
        (client, "http://127.0.0.1:9/h", "Alert webhook saved."),
    ):
        _login_pm(browser)
        token = csrf_token(browser.get(f"/projects/{project.code}").text)
        reply = browser.post(
            f"/projects/{project.code}/webhook",
            data={"csrf_token": token, "webhook_url": "http://127.0.0.1:9/h"},
            follow_redirects=True,
        )
        assert reply.status_code == 200 and said in reply.text
        session.expire_all()
        assert session.get(type(project), project.id).alert_webhook_url == saved

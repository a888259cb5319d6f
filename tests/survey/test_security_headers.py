"""Security headers on every page, and cookie flags in development and production."""

from __future__ import annotations

import re

import pytest

from survey import create_app
from tests.builders import TEST_SECRET, make_invited, make_user

HTML_PAGES = ["/login", "/portfolio", "/projects/{code}", "/s/{raw}", "/s/{raw}/thanks", "/nope"]


def _csp(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    policy = response.headers["Content-Security-Policy"]
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (p.strip() for p in policy.split(";"))
        if part
    }


@pytest.fixture
def pages(client, auth, session):  # type: ignore[no-untyped-def]
    _invitation, raw, project = make_invited(session)
    pm = make_user(session, email="pm@example.com")
    project.pm_id = pm.id
    session.add(project)
    session.commit()
    auth.login("pm@example.com", "demo")
    return [p.format(code=project.code, raw=raw) for p in HTML_PAGES]


def test_every_html_page_has_a_csp_without_inline_scripts(client, pages):
    for path in pages:
        response = client.get(path)
        assert response.mimetype == "text/html", path
        csp = _csp(response)
        assert csp["script-src"] == "'self'", path
        assert (
            "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
        )
        assert csp["frame-ancestors"] == "'none'"
        assert csp["object-src"] == "'none'"
        # The CSP is only as good as the markup: no inline script or handler on any page.
        scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", response.text)
        assert all('type="application/json"' in attrs for attrs in scripts), (path, scripts)
        assert not re.search(r"\son[a-z]+\s*=", response.text), path


def test_nosniff_and_framing_headers_on_every_response(client, pages):
    for path in [
        *pages,
        "/healthz",
        "/api/v1/openapi.json",
        "/api/v1/projects",
        "/static/rapport.css",
    ]:
        response = client.get(path)
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path


def test_survey_pages_send_no_referrer_and_others_same_origin(client, pages):
    for path in pages:
        policy = client.get(path).headers["Referrer-Policy"]
        assert policy == ("no-referrer" if path.startswith("/s/") else "same-origin"), path


def test_no_hsts_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers


def test_session_cookie_is_httponly_and_lax_but_not_secure_in_development(client, session):
    make_user(session, email="dev@example.com")
    cookie = _login_cookie(client, "dev@example.com")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


def _login_cookie(client, email: str) -> str:  # type: ignore[no-untyped-def]
    from tests.conftest import csrf_token

    token = csrf_token(client.get("/login").text)
    reply = client.post("/login", data={"email": email, "password": "demo", "csrf_token": token})
    assert reply.status_code == 302
    return next(v for v in reply.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_production_adds_hsts_and_secure_cookies(rapport_env, session):
    make_user(session, email="prod@example.com")
    env = {**rapport_env, "RAPPORT_ENV": "production", "RAPPORT_SECRET_KEY": TEST_SECRET}
    app = create_app({**env, "TESTING": True})
    client = app.test_client()
    response = client.get("/login")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    cookie = _login_cookie(client, "prod@example.com")
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_refuses_to_start_without_a_real_secret_key(rapport_env):
    from survey.config import ConfigError

    env = {**rapport_env, "RAPPORT_ENV": "production", "RAPPORT_SECRET_KEY": "changeme"}
    with pytest.raises(ConfigError, match="RAPPORT_SECRET_KEY"):
        create_app(env)


def test_client_address_comes_from_the_proxy_only_when_proxies_are_trusted(rapport_env):
    from flask import request

    from survey import create_app

    seen = {}
    for hops in ("0", "1"):
        app = create_app({**rapport_env, "RAPPORT_TRUSTED_PROXIES": hops, "TESTING": True})

        @app.get("/whoami-test")
        def whoami():  # type: ignore[no-untyped-def]
            return request.remote_addr or ""

        reply = app.test_client().get(
            "/whoami-test",
            headers={"X-Forwarded-For": "203.0.113.9"},
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        seen[hops] = reply.text
    assert seen == {"0": "127.0.0.1", "1": "203.0.113.9"}

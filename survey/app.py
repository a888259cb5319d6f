"""The application factory."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from survey.config import load_settings

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
MAX_BODY_BYTES = 64 * 1024


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: RAPPORT_* keys in `config` override the environment, others go to Flask."""
    config = dict(config or {})
    environ = {**os.environ, **{k: str(v) for k, v in config.items() if k.startswith("RAPPORT_")}}
    settings = load_settings(environ)

    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.production,
        REMEMBER_COOKIE_SECURE=settings.production,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.config.update({k: v for k, v in config.items() if not k.startswith("RAPPORT_")})
    app.extensions["rapport.settings"] = settings
    logging.basicConfig(level=logging.INFO)

    from survey.web import auth, errors, input_guard, security, session

    session.init_app(app)
    input_guard.init_app(app)
    security.init_app(app)
    auth.init_app(app)
    errors.init_app(app)

    from survey.admin import bp as admin_bp
    from survey.api import bp as api_bp
    from survey.capture import bp as capture_bp
    from survey.dashboard import bp as dashboard_bp
    from survey.web import health, vendor

    app.register_blueprint(capture_bp)
    app.register_blueprint(dashboard_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(vendor.bp)
    security.csrf.exempt(api_bp)
    from survey.web import ratelimit

    ratelimit.init_app(app)
    if not settings.production:
        from survey.devmail import bp as devmail_bp

        app.register_blueprint(devmail_bp)
    from survey.capture.express import ExpressSubmit

    # Inside any proxy fix, so that it sees the client's address as the app does.
    app.wsgi_app = ExpressSubmit(app, app.wsgi_app)  # type: ignore[method-assign]
    _trust_proxies(app, environ.get("RAPPORT_TRUSTED_PROXIES", "0"))
    return app


def _trust_proxies(app: Flask, count: str) -> None:
    """Behind N reverse proxies, take the client address and scheme from X-Forwarded-*.

    Rate limits key on the client address: without this, every client would share the
    proxy's address. Never enable it without a proxy, or clients could forge their address.
    """
    hops = int(count) if count.isdigit() else 0
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

"""CSRF protection and the security headers every response carries."""

from __future__ import annotations

from flask import Flask, Response, request
from flask_wtf.csrf import CSRFProtect

from survey.web.session import settings

csrf = CSRFProtect()

# No inline scripts anywhere: charts read their data from JSON blocks via a static file.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def _headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    # Survey URLs carry the token: never leak it to another site.
    policy = "no-referrer" if request.path.startswith("/s/") else "same-origin"
    response.headers["Referrer-Policy"] = policy
    if settings().production:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return response


def init_app(app: Flask) -> None:
    """Turn on CSRF for every form and add the headers."""
    csrf.init_app(app)
    app.after_request(_headers)

"""CSRF protection and the security headers every response carries."""

from __future__ import annotations

from functools import lru_cache

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


def headers_for(path: str, *, production: bool) -> tuple[tuple[str, str], ...]:
    """The security headers of a response to `path` (a page may set its own CSP first)."""
    return _headers_for(path.startswith("/s/"), production)


@lru_cache(maxsize=4)
def _headers_for(survey_page: bool, production: bool) -> tuple[tuple[str, str], ...]:
    # Survey URLs carry the token: never leak it to another site.
    policy = "no-referrer" if survey_page else "same-origin"
    headers = [
        ("Content-Security-Policy", CSP),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", policy),
    ]
    if production:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return tuple(headers)


def _headers(response: Response) -> Response:
    for name, value in headers_for(request.path, production=settings().production):
        if name == "Content-Security-Policy":
            response.headers.setdefault(name, value)
        else:
            response.headers[name] = value
    return response


def init_app(app: Flask) -> None:
    """Turn on CSRF for every form and add the headers."""
    csrf.init_app(app)
    app.after_request(_headers)

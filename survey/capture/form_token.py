"""The pulse form's CSRF token, derived from the survey link instead of kept in a session.

Survey pages set no cookie: a stakeholder answering from an email needs no session, and a
form token kept in one would cost every answer a cookie to decode and sign. The token is
an HMAC, under the app's secret key, of the link's hash. It proves the POST comes from a
form the server rendered for that link, which is all a session-bound token proves here:
the link itself is the secret that lets anyone answer, and a site that does not know it
cannot forge either.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app
from flask_wtf.csrf import CSRFError

FIELD = "csrf_token"


def _mac(secret_key: str, link_hash: str) -> str:
    key = secret_key.encode()
    return hmac.new(key, b"pulse-form:" + link_hash.encode(), hashlib.sha256).hexdigest()


def issue(link_hash: str) -> str:
    """The token the pulse form for this link carries."""
    return _mac(current_app.config["SECRET_KEY"], link_hash)


def matches(secret_key: str, link_hash: str, given: str | None) -> bool:
    """Whether `given` is the token of this link's form."""
    return bool(given) and hmac.compare_digest(given, _mac(secret_key, link_hash))  # type: ignore[arg-type]


def check(link_hash: str, given: str | None) -> None:
    """Raise CSRFError (the app's "form expired" page) unless `given` is this link's token."""
    if not matches(current_app.config["SECRET_KEY"], link_hash, given):
        raise CSRFError("The pulse form's security token is missing or wrong.")

"""Bearer-token authentication for the API, with scopes: a read token cannot change anything."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request
from sqlmodel import Session

from survey import api_tokens
from survey.models import TokenScope, User
from survey.web.errors import error_body
from survey.web.session import get_session

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REFUSALS = {
    "expired": "This token has expired; create a new one.",
    "revoked": "This token has been revoked.",
}


def issue(
    session: Session,
    *,
    user: User,
    label: str = "",
    scope: TokenScope | str = TokenScope.write,
    expires_in_days: int | None = api_tokens.DEFAULT_DAYS,
) -> str:
    """Create and commit a token for `user`; returns the raw token, which is never stored.

    Defaults to write scope for callers that predate scopes; the CLI and the tokens page
    default to read.
    """
    _token, raw = api_tokens.create(
        session, user=user, label=label, scope=scope, expires_in_days=expires_in_days, via="code"
    )
    session.commit()
    return raw


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """401 unless the request carries a valid `Authorization: Bearer <token>`; 403 when a
    read-scoped token tries to change something."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        found = None
        if scheme.lower() == "bearer" and raw:
            found = api_tokens.check(get_session(), raw=raw)
        if found is None or found.user is None:
            reason = REFUSALS.get(found.refusal or "", "") if found else ""
            body = error_body("unauthorized", reason or "A valid bearer token is required.")
            return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="rapport"'}
        if request.method not in READ_METHODS and not api_tokens.can_write(found.token):  # type: ignore[arg-type]
            body = error_body(
                "insufficient_scope",
                "This token may only read; create a token with write scope to make changes.",
            )
            return jsonify(body), 403
        g.api_user = found.user
        g.api_token = found.token
        return view(*args, **kwargs)

    return wrapped

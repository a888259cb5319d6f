"""Bearer-token authentication for the API."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import g, jsonify, request
from sqlmodel import Session, select

from survey.models import ApiToken, User, utcnow
from survey.passwords import new_token, token_hash
from survey.web.errors import error_body
from survey.web.session import get_session


def issue(session: Session, *, user: User, label: str = "") -> str:
    """Create a token for `user`; returns the raw token, which is never stored."""
    raw = new_token()
    session.add(ApiToken(user_id=user.id, token_hash=token_hash(raw), label=label))  # type: ignore[arg-type]
    session.commit()
    return raw


def _user_for(raw: str) -> User | None:
    session = get_session()
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(raw))).first()
    if token is None or token.revoked or (token.expires_at and token.expires_at < utcnow()):
        return None
    user = session.get(User, token.user_id)
    return user if user is not None and user.active else None


def require_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """401 unless the request carries a valid `Authorization: Bearer <token>`."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        user = _user_for(raw.strip()) if scheme.lower() == "bearer" and raw.strip() else None
        if user is None:
            body = error_body("unauthorized", "A valid bearer token is required.")
            return jsonify(body), 401, {"WWW-Authenticate": 'Bearer realm="rapport"'}
        g.api_user = user
        return view(*args, **kwargs)

    return wrapped

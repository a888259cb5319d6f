"""API tokens: issue with a scope and an expiry, check, list and revoke. No Flask here.

Only a token's SHA-256 is stored; the raw token is handed back once, at creation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from survey import audit
from survey.models import ApiToken, Role, TokenScope, User, utcnow
from survey.models.public import TokenCreate
from survey.passwords import new_token, token_hash
from survey.pm_actions import InputError
from survey.portfolio_setup import parse

DEFAULT_DAYS = 365


def create(
    session: Session,
    *,
    user: User,
    label: str = "",
    scope: TokenScope | str = TokenScope.read,
    expires_in_days: int | None = DEFAULT_DAYS,
    actor_id: int | None = None,
    via: str = "web",
) -> tuple[ApiToken, str]:
    """A new token for `user` and its raw value (shown once, never stored)."""
    if scope not in {s.value for s in TokenScope}:
        raise InputError({"scope": "must be read or write"})
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise InputError({"expires_in_days": "must be from 1 to 3650 days"})
    raw = new_token()
    token = ApiToken(
        user_id=user.id,  # type: ignore[arg-type]
        token_hash=token_hash(raw),
        label=label.strip(),
        scope=TokenScope(scope).value,
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    session.add(token)
    session.flush()
    audit.record(
        session,
        actor_id=actor_id,
        action="api_token.create",
        target_kind="api_token",
        target_id=token.id,
        detail={"user_id": user.id, "scope": token.scope, "via": via},
    )
    return token, raw


def create_from_form(
    session: Session, *, user: User, data: dict[str, object]
) -> tuple[ApiToken, str]:
    """A token from the "My API tokens" form: label, scope and days until it expires."""
    values = parse(TokenCreate, data)
    if values.scope == TokenScope.write and user.role == Role.viewer:
        raise InputError({"scope": "a viewer can only read, so choose read"})
    return create(
        session,
        user=user,
        label=values.label,
        scope=values.scope,
        expires_in_days=values.expires_in_days,
        actor_id=user.id,
    )


@dataclass
class Check:
    """Who a presented token acts as, or why it is refused ("unknown", "revoked", "expired")."""

    user: User | None
    token: ApiToken | None
    refusal: str | None


def check(session: Session, *, raw: str, now: datetime | None = None) -> Check:
    """Look a raw token up; refuses unknown, revoked and expired ones and inactive users."""
    now = now or utcnow()
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(raw))).first()
    if token is None:
        return Check(None, None, "unknown")
    if token.revoked:
        return Check(None, token, "revoked")
    if token.expires_at is not None and token.expires_at <= now:
        return Check(None, token, "expired")
    user = session.get(User, token.user_id)
    if user is None or not user.active:
        return Check(None, token, "inactive")
    return Check(user, token, None)


def can_write(token: ApiToken) -> bool:
    """Write scope implies read; read scope reads only."""
    return token.scope == TokenScope.write


def tokens_of(session: Session, *, user: User) -> list[ApiToken]:
    """A user's tokens, newest first."""
    return list(
        session.exec(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
        ).all()
    )


def revoke(session: Session, *, user: User, token_id: int) -> ApiToken | None:
    """Revoke one of the user's own tokens; None when it is not theirs."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        return None
    if not token.revoked:
        token.revoked = True
        session.add(token)
        audit.record(
            session,
            actor_id=user.id,
            action="api_token.revoke",
            target_kind="api_token",
            target_id=token.id,
        )
    return token

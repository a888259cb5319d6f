"""Rate limits on guessing: survey tokens and logins (Flask-Limiter, counted in Redis).

Only failures count towards the guessing limits, so a busy office behind one address is not
throttled for opening its own links. When Redis is down the limits fail open: a stakeholder's
answer matters more than a counter.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import time

from flask import Flask, Response, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from survey.passwords import token_hash
from survey.web.session import settings

# Flask config keys and their defaults (limits' "N per period" syntax, ";" between limits).
DEFAULT_LIMITS = {
    # Unknown or tampered survey tokens per client address.
    "SURVEY_TOKEN_MISS_LIMIT": "20 per minute;100 per hour",
    # Any request for one survey token (GET, POST, thanks, unsubscribe).
    "SURVEY_TOKEN_LIMIT": "30 per minute",
    # Failed login POSTs per client address, and per email address tried.
    "LOGIN_FAILURE_LIMIT": "10 per minute;50 per hour",
    "LOGIN_ACCOUNT_FAILURE_LIMIT": "5 per minute;30 per hour",
}
FALLBACK_RETRY_AFTER_SECONDS = 60


def storage_uri(redis_url: str) -> str:
    """The limits library's URI for a Redis URL: `unix://` sockets become `redis+unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def _token_key() -> str:
    # The raw token is a credential: Redis sees only its hash, like the database.
    token = (request.view_args or {}).get("token", "")
    return "token:" + token_hash(str(token))


def _account_key() -> str:
    # An HMAC, not the address itself: rate-limit keys must hold no personal data.
    email = request.form.get("email", "").strip().lower()
    digest = hmac.new(settings().secret_key.encode(), email.encode(), hashlib.sha256)
    return "account:" + digest.hexdigest()[:32]


def _not_found(response: Response) -> bool:
    return response.status_code == 404


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _not_login() -> bool:
    # Logging out must work even for an address that is locked out of logging in.
    return request.endpoint != "auth.login"


def retry_after_seconds() -> int:
    """Seconds until the limit the current request broke resets (for Retry-After)."""
    limiter: Limiter | None = current_app.extensions.get("rapport.limiter")
    limit = limiter.current_limit if limiter is not None else None
    if limit is None or not limit.breached:
        return FALLBACK_RETRY_AFTER_SECONDS
    return max(1, min(math.ceil(limit.reset_at - time.time()), limit.limit.get_expiry()))


def init_app(app: Flask) -> None:
    """Count guesses in the app's Redis and apply the limits to the survey and login pages."""
    from survey.capture import bp as capture_bp
    from survey.web.auth import bp as auth_bp

    config = app.config
    redis_url = app.extensions["rapport.settings"].redis_url
    config.setdefault("RATELIMIT_STORAGE_URI", storage_uri(redis_url))
    config.setdefault(
        "RATELIMIT_STORAGE_OPTIONS", {"socket_timeout": 1, "socket_connect_timeout": 1}
    )
    config.setdefault("RATELIMIT_KEY_PREFIX", "rapport-limits")
    for key, value in DEFAULT_LIMITS.items():
        config.setdefault(key, value)

    limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", swallow_errors=True)
    limiter.shared_limit(
        config["SURVEY_TOKEN_MISS_LIMIT"], scope="survey-token-miss", deduct_when=_not_found
    )(capture_bp)
    limiter.shared_limit(config["SURVEY_TOKEN_LIMIT"], scope="survey-token", key_func=_token_key)(
        capture_bp
    )
    limiter.limit(
        config["LOGIN_FAILURE_LIMIT"],
        methods=["POST"],
        deduct_when=_login_failed,
        exempt_when=_not_login,
    )(auth_bp)
    limiter.limit(
        config["LOGIN_ACCOUNT_FAILURE_LIMIT"],
        methods=["POST"],
        key_func=_account_key,
        deduct_when=_login_failed,
        exempt_when=_not_login,
    )(auth_bp)
    limiter.init_app(app)
    app.extensions["rapport.limiter"] = limiter

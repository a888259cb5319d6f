"""Rate limits on guessing: survey tokens and logins, counted in Redis.

Only failures count towards the guessing limits, so a busy office behind one address is not
throttled for opening its own links. When Redis is down the limits fail open: a stakeholder's
answer matters more than a counter.

Logins go through Flask-Limiter. The survey pages are the busiest path, so their limits are
counted here with one Redis round trip per request (a script counts the hit on the link and
reads the client's misses) and a second only for an unknown token. The keys and windows are
Flask-Limiter's own (fixed windows, `limits` key names), so the counts are the same either way.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import redis
from flask import Flask, Response, abort, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import RateLimitItem, parse_many
from redis.commands.core import Script

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
STORAGE_PREFIX = "LIMITS"  # what the `limits` library puts before every key it writes

log = logging.getLogger(__name__)

# KEYS: the counters to count this request in (ARGV[1] of them, windows in ARGV[2..]), then
# the counters only to read. Returns count and seconds left per key. A script, so a key
# cannot expire between its INCR and its EXPIRE.
_COUNT_AND_READ = """
local counted = tonumber(ARGV[1])
local out = {}
for i = 1, #KEYS do
  local n
  if i <= counted then
    n = redis.call('INCR', KEYS[i])
    if n == 1 then redis.call('EXPIRE', KEYS[i], ARGV[i + 1]) end
  else
    n = tonumber(redis.call('GET', KEYS[i]) or '0')
  end
  out[#out + 1] = n
  out[#out + 1] = redis.call('TTL', KEYS[i])
end
return out
"""


def storage_uri(redis_url: str) -> str:
    """The limits library's URI for a Redis URL: `unix://` sockets become `redis+unix://`."""
    if redis_url.startswith("unix://"):
        return "redis+" + redis_url
    return redis_url


def _account_key() -> str:
    # An HMAC, not the address itself: rate-limit keys must hold no personal data.
    email = request.form.get("email", "").strip().lower()
    digest = hmac.new(settings().secret_key.encode(), email.encode(), hashlib.sha256)
    return "account:" + digest.hexdigest()[:32]


def _login_failed(response: Response) -> bool:
    return response.status_code == 401


def _not_auth() -> bool:
    return request.blueprint != "auth"


def _not_login() -> bool:
    # Logging out must work even for an address that is locked out of logging in.
    return request.endpoint != "auth.login"


@lru_cache(maxsize=8)
def _count_and_read(redis_url: str) -> Script:
    # Shorter timeouts than the queue's: a slow Redis must not hold up a survey page.
    client = redis.Redis.from_url(redis_url, socket_timeout=1, socket_connect_timeout=1)
    return client.register_script(_COUNT_AND_READ)


def _waits(items: Sequence[RateLimitItem], got: Sequence[int], *, counted: bool) -> list[int]:
    """Seconds until each limit that `got` (count, ttl pairs) shows broken resets."""
    waits = []
    for item, count, ttl in zip(items, got[0::2], got[1::2], strict=True):
        # A counted request includes itself; a count only read is of earlier requests, so
        # reaching the limit already blocks this one.
        if count > (item.amount if counted else item.amount - 1):
            waits.append(ttl if ttl > 0 else item.get_expiry())
    return waits


@dataclass(frozen=True)
class SurveyLimits:
    """The survey pages' limits: hits per link, and unknown tokens per client address."""

    redis_url: str
    prefix: str
    per_link: Sequence[RateLimitItem]
    misses: Sequence[RateLimitItem]

    def _keys(self, items: Sequence[RateLimitItem], who: str, scope: str) -> list[str]:
        return [f"{STORAGE_PREFIX}:{item.key_for(self.prefix, who, scope)}" for item in items]

    def _run(
        self, counted: Sequence[RateLimitItem], counted_keys: list[str], read_keys: list[str]
    ) -> list[int] | None:
        windows = [item.get_expiry() for item in counted]
        try:
            script = _count_and_read(self.redis_url)
            return script(keys=[*counted_keys, *read_keys], args=[len(counted_keys), *windows])
        except (redis.RedisError, OSError) as exc:
            log.warning("rate limits not counted, Redis unavailable: %s", exc)
            return None

    def link_keys(self, link_hash: str) -> list[str]:
        """The counters of hits on one link (by the link's hash: Redis never sees a token)."""
        return self._keys(self.per_link, "token:" + link_hash, "survey-token")

    def windows(self) -> list[int]:
        """Seconds each per-link counter lives, in `link_keys` order."""
        return [item.get_expiry() for item in self.per_link]

    def wait_after(self, counted: Sequence[int]) -> int | None:
        """Seconds the next hit on a link must wait, given its (count, ttl) pairs just
        counted including this one; None while it is under every limit."""
        waits = _waits(self.per_link, counted, counted=False)
        return max(waits) if waits else None

    def check(self) -> None:
        """Count this request on its link; 429 if that link or this client is over a limit."""
        token = str((request.view_args or {}).get("token", ""))
        link = self.link_keys(token_hash(token))
        misses = self._keys(self.misses, get_remote_address(), "survey-token-miss")
        got = self._run(self.per_link, link, misses)
        if got is None:
            return
        split = 2 * len(link)
        waits = _waits(self.per_link, got[:split], counted=True)
        waits += _waits(self.misses, got[split:], counted=False)
        if waits:
            g.rapport_retry_after = max(waits)
            abort(429)

    def count_miss(self, response: Response) -> Response:
        """Count an unknown or tampered token (the pages' only 404) against the client."""
        if response.status_code == 404:
            misses = self._keys(self.misses, get_remote_address(), "survey-token-miss")
            self._run(self.misses, misses, [])
        return response


def retry_after_seconds() -> int:
    """Seconds until the limit the current request broke resets (for Retry-After)."""
    survey_wait = g.get("rapport_retry_after")
    if survey_wait is not None:
        return int(survey_wait)
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
    # Flask-Limiter looks at every request; only the login pages have limits of its own.
    limiter.request_filter(_not_auth)
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
    if config.get("RATELIMIT_ENABLED", True):
        survey = app.extensions["rapport.survey_limits"] = SurveyLimits(
            redis_url=redis_url,
            prefix=config["RATELIMIT_KEY_PREFIX"],
            per_link=parse_many(config["SURVEY_TOKEN_LIMIT"]),
            misses=parse_many(config["SURVEY_TOKEN_MISS_LIMIT"]),
        )
        # Hooks scoped to the survey blueprint, kept on this app: the blueprint object is
        # shared by every app built in the process.
        app.before_request_funcs.setdefault(capture_bp.name, []).append(survey.check)
        app.after_request_funcs.setdefault(capture_bp.name, []).append(survey.count_miss)

"""Sign webhook bodies and verify them: HMAC-SHA256 over "<unix time>." + body.

The header reads `X-Rapport-Signature: t=1767225600,v1=5f0c...`. A receiver recomputes the
HMAC with its secret and rejects old timestamps, so a captured request cannot be replayed
later. This module has no dependencies beyond the standard library; receivers may copy it.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SCHEME = "v1"


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Rapport-Signature header value for `body`, signed now (or at `timestamp`)."""
    at = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={at},{SCHEME}={_digest(secret, at, body)}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """True when `header` signs `body` with `secret` within `tolerance` seconds of now."""
    timestamp: int | None = None
    signatures: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            signatures.append(value)
    if timestamp is None or not signatures:
        return False
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        return False
    expected = _digest(secret, timestamp, body)
    return any(hmac.compare_digest(expected, s) for s in signatures)

"""Deliver webhook events: one signed POST per attempt, retried with backoff, logged.

The database drives everything: `sweep` (a scheduler entry) queues each delivery whose time
has come on the "mail" queue, and `deliver` claims the row before posting, so a job that
runs twice, or two workers holding the same job, POST at most once per (endpoint, event).
Each POST resolves the host itself, checks every address (no loopback, private or link-local
network in production) and connects to the checked address: a name cannot be re-pointed at
the internal network between the check and the connection.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from sqlalchemy import update
from sqlmodel import Session, col, select

from survey import db, queue, webhook_signing, webhook_targets
from survey.config import Settings
from survey.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from workers import context

log = logging.getLogger(__name__)

JOB = "workers.webhooks.deliver"
QUEUE = "mail"
# Seconds to wait after the 1st, 2nd, ... failed attempt; after the last, the delivery fails.
BACKOFF: tuple[int, ...] = (60, 300, 900, 3600, 10800)
TIMEOUT_SECONDS = 5.0
# A claim older than this belonged to a worker that died mid-POST.
STALE_CLAIM = timedelta(minutes=2)
MAX_REDIRECTS = 2
SWEEP_LIMIT = 500
USER_AGENT = "Rapport-Webhooks/1"


@dataclass(frozen=True)
class PostResult:
    """What one POST came to: a status code, or an error and whether to try again."""

    status: int | None
    error: str
    retry: bool
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


def classify(status: int) -> tuple[bool, bool]:
    """(delivered, worth retrying) for an HTTP status: 5xx and 429 retry, other 4xx fail."""
    if 200 <= status < 300:
        return True, False
    return False, status >= 500 or status == 429


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class _CheckedHTTPConnection(http.client.HTTPConnection):
    """Connects only to addresses of the host that pass the private-network check."""

    allow_private = False

    def connect(self) -> None:
        """Resolve, check and connect (the TLS subclass then wraps this socket)."""
        self.sock = webhook_targets.connect(
            self.host, self.port, self.timeout, allow_private=self.allow_private
        )
        with contextlib.suppress(OSError):  # as http.client does: not every OS has it
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class _CheckedHTTPSConnection(http.client.HTTPSConnection, _CheckedHTTPConnection):
    """HTTPS over a checked connection; the certificate is verified for the host name."""


def _post_once(
    url: str, body: bytes, headers: dict[str, str], allow_private: bool
) -> tuple[int, str | None]:
    parts = urlsplit(url)
    https = parts.scheme == "https"
    factory = _CheckedHTTPSConnection if https else _CheckedHTTPConnection
    conn = factory(parts.hostname or "", parts.port, timeout=TIMEOUT_SECONDS)
    conn.allow_private = allow_private
    try:
        path = parts.path or "/"
        conn.request("POST", f"{path}?{parts.query}" if parts.query else path, body, headers)
        response = conn.getresponse()
        response.read(4096)  # Drain a little; the receiver's body is not kept.
        return response.status, response.getheader("Location")
    finally:
        conn.close()


def post(
    url: str, body: bytes, headers: dict[str, str], *, allow_private: bool = False
) -> PostResult:
    """POST `body`; follow a 307/308 only to the same origin, never to another host.

    Loopback and private-network addresses are refused unless `allow_private`.
    """
    started = time.monotonic()

    def done(status: int | None, error: str, retry: bool) -> PostResult:
        elapsed = int((time.monotonic() - started) * 1000)
        return PostResult(status, error[:300], retry, elapsed)

    target = url
    for _hop in range(MAX_REDIRECTS + 1):
        try:
            status, location = _post_once(target, body, headers, allow_private)
        except webhook_targets.UnsafeTarget as exc:
            return done(None, f"refused: the URL {exc}", False)
        except (OSError, http.client.HTTPException) as exc:
            return done(None, f"{type(exc).__name__}: {exc}", True)
        if not 300 <= status < 400:
            delivered, retry = classify(status)
            return done(status, "" if delivered else f"answered {status}", retry)
        following = urljoin(target, location or "")
        if status not in (307, 308) or not location:
            return done(status, f"redirect {status} not followed", False)
        if _origin(following) != _origin(url):
            return done(status, "redirect to another host refused", False)
        target = following
    return done(None, "too many redirects", False)


def signed_request(
    endpoint: WebhookEndpoint, event: WebhookEvent, delivery: WebhookDelivery
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt (signed at the moment of sending)."""
    body = json.dumps(event.payload, separators=(",", ":"), sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Rapport-Event": event.kind,
        "X-Rapport-Delivery": delivery.uid,
        "X-Rapport-Signature": webhook_signing.sign(endpoint.secret, body),
    }
    return body, headers


def _claim(session: Session, delivery_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(WebhookDelivery)
        .where(col(WebhookDelivery.id) == delivery_id)
        .where(col(WebhookDelivery.status) == WebhookDeliveryStatus.pending)
        .where(col(WebhookDelivery.next_attempt_at) <= now)
        .where(
            col(WebhookDelivery.claimed_at).is_(None)
            | (col(WebhookDelivery.claimed_at) < now - STALE_CLAIM)
        )
        .values(claimed_at=now)
    )
    session.commit()
    return bool(claimed.rowcount)  # type: ignore[attr-defined]


def deliver(delivery_id: int) -> str:
    """Job: make one attempt at a due delivery; returns its outcome ("skipped" if not due)."""
    settings = context.settings()
    with db.session_scope(settings.database_url) as session:
        if not _claim(session, delivery_id, utcnow()):
            return "skipped"  # Delivered, failed, not due, or another worker holds it.
        delivery = session.get(WebhookDelivery, delivery_id)
        assert delivery is not None
        endpoint = session.get(WebhookEndpoint, delivery.endpoint_id)
        event = session.get(WebhookEvent, delivery.event_id)
        assert endpoint is not None and event is not None
        if not endpoint.active:
            result = PostResult(None, "endpoint deactivated", False, 0)
        else:
            body, headers = signed_request(endpoint, event, delivery)
            result = post(endpoint.url, body, headers, allow_private=settings.webhook_allow_private)
        return record(session, delivery, result, utcnow())


def record(session: Session, delivery: WebhookDelivery, result: PostResult, now: datetime) -> str:
    """Log the attempt and move the delivery on: delivered, retried later, or failed."""
    delivery.attempts += 1
    delivery.claimed_at = None
    delivery.last_status_code = result.status
    delivery.last_error = result.error
    next_retry = None
    if result.ok:
        delivery.status = WebhookDeliveryStatus.delivered
        delivery.delivered_at = now
    elif result.retry and delivery.attempts <= len(BACKOFF):
        next_retry = now + timedelta(seconds=BACKOFF[delivery.attempts - 1])
        delivery.next_attempt_at = next_retry
    else:
        delivery.status = WebhookDeliveryStatus.failed
    session.add(delivery)
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id,  # type: ignore[arg-type]
            endpoint_id=delivery.endpoint_id,
            attempted_at=now,
            status_code=result.status,
            duration_ms=result.duration_ms,
            error=result.error,
            outcome=delivery.status,
            next_retry_at=next_retry,
        )
    )
    session.commit()
    if delivery.status == WebhookDeliveryStatus.failed:
        log.warning("webhook delivery %s failed for good: %s", delivery.uid, result.error)
    return str(delivery.status)


def job_id(delivery_id: int, attempts: int) -> str:
    """One RQ job id per attempt: a re-queued pending attempt is not queued twice."""
    return f"webhook-{delivery_id}-a{attempts}"


def due(session: Session, *, now: datetime, limit: int = SWEEP_LIMIT) -> list[tuple[int, int]]:
    """(delivery id, attempts) of pending deliveries whose time has come and nobody holds."""
    rows = session.exec(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .where(WebhookDelivery.status == WebhookDeliveryStatus.pending)
        .where(col(WebhookDelivery.next_attempt_at) <= now)
        .where(
            col(WebhookDelivery.claimed_at).is_(None)
            | (col(WebhookDelivery.claimed_at) < now - STALE_CLAIM)
        )
        .order_by(col(WebhookDelivery.next_attempt_at))
        .limit(limit)
    ).all()
    return [(i, a) for i, a in rows if i is not None]


def sweep(settings: Settings, now: datetime | None = None) -> int:
    """Scheduler entry: queue every due delivery; returns how many reached Redis."""
    with db.session_scope(settings.database_url) as session:
        work = due(session, now=now or utcnow())
    sent = 0
    for delivery_id, attempts in work:
        if not queue.enqueue(
            settings.redis_url, QUEUE, JOB, delivery_id, job_id=job_id(delivery_id, attempts)
        ):
            break  # Redis is down: the next sweep tries again.
        sent += 1
    return sent

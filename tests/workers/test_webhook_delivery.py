"""Webhook delivery against a real HTTP receiver on 127.0.0.1: signatures, retries with
backoff, permanent failures, at-most-once delivery, redirects, and payloads without people."""

from __future__ import annotations

import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
import redis
from rq import Queue, SimpleWorker
from sqlmodel import select

from survey import webhook_signing, webhook_targets, webhooks
from survey.models import (
    Project,
    Role,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from tests.builders import make_project, make_relationship, make_user
from tests.pm_builders import add_wave, all_ratings, report_status
from workers import context
from workers import webhooks as delivery
from workers.pipeline import drain_outbox


class Receiver:
    """An HTTP endpoint in a thread; answers with the next scripted reply, then 200."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.replies: list[tuple[int, dict[str, str]]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
                body = self.rfile.read(int(self.headers["Content-Length"]))
                owner.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                status, headers = owner.replies.pop(0) if owner.replies else (200, {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = HTTPServer((host, 0), Handler)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def bodies(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.requests]


@pytest.fixture
def receiver():  # type: ignore[no-untyped-def]
    server = Receiver()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()


def _endpoint(session, project: Project | None, url: str, events=webhooks.KINDS):  # type: ignore[no-untyped-def]
    endpoint = WebhookEndpoint(
        project_id=project.id if project else None,
        url=url,
        secret=webhooks.new_secret(),
        events=",".join(events),
    )
    session.add(endpoint)
    session.commit()
    return endpoint


def _emit(session, project: Project, key: str = "wave.closed:1") -> WebhookEvent:  # type: ignore[no-untyped-def]
    event = webhooks.emit(
        session,
        webhooks.WAVE_CLOSED,
        project_id=project.id,
        dedupe_key=key,
        data={"wave_id": 1, "invited": 4, "answered": 3},
    )
    session.commit()
    assert event is not None
    return event


def _work(redis_url: str) -> int:
    """One scheduler sweep, then a burst worker on the mail queue; returns jobs queued."""
    queued = delivery.sweep(context.settings())
    conn = redis.Redis.from_url(redis_url)
    SimpleWorker([Queue("mail", connection=conn)], connection=conn).work(burst=True)
    return queued


def _delivery(session) -> WebhookDelivery:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(WebhookDelivery)).one()


def _attempts(session) -> list[WebhookAttempt]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(session.exec(select(WebhookAttempt).order_by(WebhookAttempt.id)).all())


@pytest.fixture
def project(session):  # type: ignore[no-untyped-def]
    return make_project(session, pm=make_user(session), code="HOOK-1")


def test_a_delivery_is_signed_and_the_receiver_verifies_it(session, project, receiver, redis_url):
    endpoint = _endpoint(session, project, receiver.url())
    event = _emit(session, project)
    assert _work(redis_url) == 1

    assert len(receiver.requests) == 1
    headers, body = receiver.requests[0]
    assert webhook_signing.verify(endpoint.secret, headers["x-rapport-signature"], body)
    assert not webhook_signing.verify("whsec_wrong", headers["x-rapport-signature"], body)
    assert not webhook_signing.verify(endpoint.secret, headers["x-rapport-signature"], body + b" ")
    row = _delivery(session)
    assert headers["x-rapport-event"] == "wave.closed"
    assert headers["x-rapport-delivery"] == row.uid
    assert json.loads(body) == event.payload
    assert row.status == "delivered" and row.attempts == 1
    [attempt] = _attempts(session)
    assert attempt.status_code == 200 and attempt.outcome == "delivered"
    assert attempt.next_retry_at is None


def test_a_500_is_retried_after_the_backoff_then_delivered(session, project, receiver, redis_url):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    receiver.replies = [(500, {})]
    started = utcnow()
    _work(redis_url)

    row = _delivery(session)
    assert row.status == "pending" and row.attempts == 1 and row.last_status_code == 500
    wait = (row.next_attempt_at - started).total_seconds()
    assert delivery.BACKOFF[0] - 5 <= wait <= delivery.BACKOFF[0] + 5
    assert _work(redis_url) == 0  # not due yet: nothing is sent early
    assert len(receiver.requests) == 1

    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # the minute has passed
    session.add(row)
    session.commit()
    assert _work(redis_url) == 1
    row = _delivery(session)
    assert row.status == "delivered" and row.attempts == 2
    first, second = receiver.requests
    assert first[0]["x-rapport-delivery"] == second[0]["x-rapport-delivery"] == row.uid
    failed, delivered = _attempts(session)
    assert (failed.status_code, failed.outcome) == (500, "pending")
    assert failed.next_retry_at is not None and failed.error == "answered 500"
    assert (delivered.status_code, delivered.outcome) == (200, "delivered")


def test_the_backoff_grows_and_ends_in_failure(session, project, receiver):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    row = _delivery(session)
    waits = []
    for _ in range(len(delivery.BACKOFF) + 1):
        now = utcnow()
        delivery.record(session, row, delivery.PostResult(503, "answered 503", True, 5), now)
        if row.status == "pending":
            waits.append(round((row.next_attempt_at - now).total_seconds()))
    assert waits == list(delivery.BACKOFF)
    assert row.status == "failed" and row.attempts == len(delivery.BACKOFF) + 1


def test_a_410_fails_at_once_without_retry(session, project, receiver, redis_url):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    receiver.replies = [(410, {})]
    _work(redis_url)
    row = _delivery(session)
    assert row.status == "failed" and row.last_status_code == 410
    row.next_attempt_at = utcnow() - timedelta(hours=1)
    session.add(row)
    session.commit()
    assert _work(redis_url) == 0
    assert len(receiver.requests) == 1
    [attempt] = _attempts(session)
    assert attempt.outcome == "failed" and attempt.next_retry_at is None


@pytest.mark.parametrize(
    ("status", "delivered", "retry"),
    [
        (200, True, False),
        (204, True, False),
        (429, False, True),
        (500, False, True),
        (503, False, True),
        (400, False, False),
        (404, False, False),
        (410, False, False),
    ],
)
def test_statuses_are_classified(status, delivered, retry):
    assert delivery.classify(status) == (delivered, retry)


def test_an_unreachable_endpoint_is_retried(session, project):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    _endpoint(session, project, f"http://127.0.0.1:{port}/gone")
    _emit(session, project)
    assert delivery.deliver(_delivery(session).id) == "pending"  # type: ignore[arg-type]
    row = _delivery(session)
    assert row.last_status_code is None and "Connection" in row.last_error


def test_running_the_job_twice_posts_once(session, project, receiver, redis_url):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    delivery_id = _delivery(session).id
    # The same delivery queued under two job ids (a re-sweep racing a retry) and run again.
    conn = redis.Redis.from_url(redis_url)
    mail = Queue("mail", connection=conn)
    mail.enqueue(delivery.JOB, delivery_id, job_id="first")
    mail.enqueue(delivery.JOB, delivery_id, job_id="second")
    SimpleWorker([mail], connection=conn).work(burst=True)
    assert delivery.deliver(delivery_id) == "skipped"  # type: ignore[arg-type]
    assert len(receiver.requests) == 1
    assert len(_attempts(session)) == 1


def test_a_delivery_another_worker_holds_is_not_posted_again(session, project, receiver):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    row = _delivery(session)
    row.claimed_at = utcnow()
    session.add(row)
    session.commit()
    assert delivery.deliver(row.id) == "skipped"  # type: ignore[arg-type]
    assert receiver.requests == []
    assert delivery.due(session, now=utcnow()) == []
    # A claim left by a worker that died is taken over once it is stale.
    assert [i for i, _a in delivery.due(session, now=utcnow() + timedelta(minutes=3))] == [row.id]


def test_the_same_fact_recorded_twice_is_one_event(session, project, receiver):
    _endpoint(session, project, receiver.url())
    _emit(session, project, key="wave.closed:7:1")
    again = webhooks.emit(
        session, webhooks.WAVE_CLOSED, project_id=project.id, dedupe_key="wave.closed:7:1", data={}
    )
    session.commit()
    assert again is None
    assert len(session.exec(select(WebhookEvent)).all()) == 1
    assert len(session.exec(select(WebhookDelivery)).all()) == 1


def test_a_redirect_to_another_host_is_not_followed(session, project, receiver, redis_url):
    elsewhere = Receiver()
    elsewhere.thread.start()
    try:
        _endpoint(session, project, receiver.url())
        _emit(session, project)
        target = elsewhere.url(host="localhost")
        receiver.replies = [(307, {"Location": target})]
        _work(redis_url)
    finally:
        elsewhere.server.shutdown()
        elsewhere.server.server_close()
    assert elsewhere.requests == []
    row = _delivery(session)
    assert row.status == "failed" and row.last_error == "redirect to another host refused"


def test_a_307_on_the_same_host_is_followed(session, project, receiver, redis_url):
    _endpoint(session, project, receiver.url())
    _emit(session, project)
    receiver.replies = [(307, {"Location": "/moved"})]
    _work(redis_url)
    assert _delivery(session).status == "delivered"
    assert len(receiver.requests) == 2


def test_payloads_carry_ids_and_scores_but_no_personal_data(session, receiver, redis_url):
    pm = make_user(session, email="pm-hooks@example.com")
    project = make_project(session, pm=pm, code="FIN-HOOK", name="Finance hook project")
    sponsor = make_relationship(session, project=project, name="Quentin Vasquez", influence=5)
    endpoint = _endpoint(session, None, receiver.url())  # global: every project
    words = "Quentin vendor Zyxwv keeps hiding the delays from us"
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, all_ratings(4, comment="Solid start, Zyxwv team listens."))],
        months_ago=2,
    )
    report_status(session, project=project, status="green")
    low = {"satisfaction": 1, "trust": 1, "communication": 1, "partnership": 1, "comment": words}
    add_wave(session, projects=[project], answers=[(sponsor, low)], months_ago=1, drain=False)
    drain_outbox()
    _work(redis_url)

    kinds = {b["type"] for b in receiver.bodies()}
    assert {"response.scored", "alert.raised"} <= kinds
    for headers, body in receiver.requests:
        assert webhook_signing.verify(endpoint.secret, headers["x-rapport-signature"], body)
        text = body.decode()
        for forbidden in ("Quentin", "Vasquez", "Zyxwv", "@example.com", "hiding", "listens"):
            assert forbidden not in text, (forbidden, text)
    scored = [b for b in receiver.bodies() if b["type"] == "response.scored"]
    latest = max(scored, key=lambda b: b["data"]["response_id"])["data"]
    assert latest["ratings"] == {
        "satisfaction": 1,
        "trust": 1,
        "communication": 1,
        "partnership": 1,
    }
    assert latest["relationship_id"] == sponsor.id
    assert latest["sentiment"]["label"] in ("negative", "neutral", "positive")
    assert -1 <= latest["sentiment"]["polarity"] <= 1
    alert = next(b for b in receiver.bodies() if b["type"] == "alert.raised")
    assert alert["project"] == {"id": project.id, "code": "FIN-HOOK"}
    assert set(alert["data"]) == {"alert_id", "rule", "severity", "subject", "wave_id", "raised_at"}


# --- private-network targets (SSRF) ----------------------------------------------------------


@pytest.fixture
def strict(monkeypatch):  # type: ignore[no-untyped-def]
    """Deliver as production does: no loopback or private-network targets."""
    monkeypatch.setenv("RAPPORT_WEBHOOK_ALLOW_PRIVATE", "off")
    context.settings.cache_clear()
    yield
    context.settings.cache_clear()


def _resolve_as(monkeypatch, host: str, *answers: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Make `host` resolve to each answer in turn (the last one sticks); returns the log."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def getaddrinfo(name, port, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name != host:
            return real(name, port, *args, **kwargs)
        address = answers[min(len(asked), len(answers) - 1)]
        asked.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(webhook_targets.socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "2130706433", "[::ffff:127.0.0.1]"])
def test_a_loopback_endpoint_is_refused_when_delivering(
    session, project, receiver, redis_url, strict, host
):
    # Saved before the check existed, or by hand: the delivery checks again.
    _endpoint(session, project, receiver.url(host=host))
    _emit(session, project)
    _work(redis_url)
    assert receiver.requests == []
    row = _delivery(session)
    assert row.status == "failed" and row.last_status_code is None
    assert row.last_error.startswith("refused: the URL must not point to a local or private")
    [attempt] = _attempts(session)
    assert attempt.outcome == "failed" and "loopback" in attempt.error


def test_a_name_re_pointed_at_the_local_network_after_saving_is_refused(
    session, project, receiver, redis_url, strict, monkeypatch
):
    asked = _resolve_as(monkeypatch, "hooks.rebind.test", "93.184.216.34", "127.0.0.1")
    endpoint, _secret = webhooks.create_endpoint(
        session,
        project=project,
        data={"url": f"http://hooks.rebind.test:{receiver.port}/hook", "events": ["wave.closed"]},
        actor=make_user(session, role=Role.admin),
        production=False,
        allow_private=False,
    )
    session.commit()
    assert asked == ["93.184.216.34"]  # public when saved
    _emit(session, project)
    _work(redis_url)
    assert asked[-1] == "127.0.0.1" and receiver.requests == []
    row = _delivery(session)
    assert row.status == "failed" and "resolves to 127.0.0.1" in row.last_error


def test_the_post_connects_to_the_address_that_was_checked(
    session, project, receiver, redis_url, monkeypatch
):
    # Development allows loopback; the name exists only in our resolver, so the request can
    # only arrive if the connection used the address the check resolved.
    asked = _resolve_as(monkeypatch, "hooks.internal.test", "127.0.0.1")
    _endpoint(session, project, f"http://hooks.internal.test:{receiver.port}/hook")
    _emit(session, project)
    _work(redis_url)
    assert asked == ["127.0.0.1"]
    [(headers, _body)] = receiver.requests
    assert headers["host"] == f"hooks.internal.test:{receiver.port}"
    assert _delivery(session).status == "delivered"

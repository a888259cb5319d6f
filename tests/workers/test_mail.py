"""Invitation emails against a real SMTP server on loopback: content, headers, at most once,
retries on 4xx, bounces on 5xx, and no header injection."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from survey.models import (
    DeliveryStatus,
    MailDelivery,
    MailSuppression,
    Response,
    utcnow,
)
from survey.passwords import token_hash
from tests import smtp_server as loopback_smtp
from tests.builders import GOOD_ANSWERS
from tests.conftest import csrf_token
from tests.smtp_server import free_port
from tests.wave_builders import (
    add_stakeholder,
    invitations_of,
    open_wave,
    project_with,
    settings_for,
)
from workers import deliveries
from workers import deliveries as d
from workers.mail import FolderTransport

RATING = re.compile(r"https://rapport\.example/s/([A-Za-z0-9_-]+)\?satisfaction=([1-5])")

smtp_server = loopback_smtp.smtp_server


def _send(server_url, wave, now=None, **overrides):  # type: ignore[no-untyped-def]
    settings = settings_for(server_url, base_url="https://rapport.example", **overrides)
    return deliveries.send_due(settings, wave_id=wave.id, now=now or utcnow())


def test_invitation_arrives_multipart_with_headers_and_five_rating_links(session, smtp_server):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    assert _send(smtp_server.url, wave)["sent"] == 1
    [(invitation, stakeholder)] = invitations_of(session, wave)
    [message] = smtp_server.handler.to(stakeholder.email)
    assert message.get_body(("plain",)) is not None and message.get_body(("html",)) is not None
    assert message["Message-ID"] == f"<invitation-{invitation.id}.w{wave.id}@rapport.invalid>"
    unsubscribe = message["List-Unsubscribe"]
    assert re.search(r"<https://rapport\.example/s/[\w-]+/unsubscribe>", unsubscribe)
    assert "<mailto:" in unsubscribe
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert stakeholder.name in message.get_body(("plain",)).get_content()
    for part in ("plain", "html"):
        links = RATING.findall(message.get_body((part,)).get_content())
        assert sorted(n for _t, n in links) == ["1", "2", "3", "4", "5"]
        assert {token_hash(t) for t, _n in links} == {invitation.token_hash}
    assert invitation.sent_at is not None


def test_rating_link_get_records_nothing_and_submit_records_once(client, session, smtp_server):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    _send(smtp_server.url, wave)
    [message] = smtp_server.handler.messages
    token, _n = RATING.findall(message.get_body(("plain",)).get_content())[3]
    page = client.get(f"/s/{token}?satisfaction=4")
    assert page.status_code == 200 and 'value="4" checked' in page.text
    assert session.exec(select(Response)).all() == []
    client.post(f"/s/{token}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    assert len(session.exec(select(Response)).all()) == 1


def test_a_job_run_twice_sends_each_message_once(session, smtp_server):
    project = project_with(session, 3)
    wave = open_wave(session, projects=[project])
    assert _send(smtp_server.url, wave)["sent"] == 3
    assert _send(smtp_server.url, wave)["sent"] == 0
    assert len(smtp_server.handler.messages) == 3
    statuses = session.exec(select(MailDelivery.status)).all()
    assert statuses == [DeliveryStatus.sent] * 3


def test_a_delivery_claimed_by_another_job_is_not_sent_again(session, smtp_server):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    settings = settings_for(smtp_server.url)
    deliveries.send_due(settings, wave_id=wave.id, now=utcnow())
    sent = session.exec(select(MailDelivery)).one()
    # A second job racing for the same row loses the claim and sends nothing.
    outcome = deliveries.send_one(
        settings, session, FolderTransport(settings.mailbox_dir), sent.id, utcnow()
    )
    assert outcome == ("skipped", True)
    assert len(smtp_server.handler.messages) == 1


def test_one_smtp_connection_carries_the_whole_batch(session, smtp_server):
    project = project_with(session, 4)
    wave = open_wave(session, projects=[project])
    assert _send(smtp_server.url, wave)["sent"] == 4
    assert smtp_server.handler.connections == 1


def test_4xx_is_retried_with_backoff_then_sent(session, smtp_server):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    [(_inv, stakeholder)] = invitations_of(session, wave)
    smtp_server.handler.rcpt_replies[stakeholder.email] = "451 4.3.0 try again later"
    now = utcnow()
    assert _send(smtp_server.url, wave, now)["retry"] == 1
    delivery = session.exec(select(MailDelivery)).one()
    assert delivery.status == DeliveryStatus.pending and delivery.attempts == 1
    assert delivery.next_attempt_at == now + timedelta(minutes=1)
    assert sum(_send(smtp_server.url, wave, now + timedelta(seconds=30)).values()) == 0
    del smtp_server.handler.rcpt_replies[stakeholder.email]
    assert _send(smtp_server.url, wave, now + timedelta(minutes=2))["sent"] == 1
    assert len(smtp_server.handler.messages) == 1


def test_4xx_on_data_is_temporary_too(session, smtp_server):
    wave = open_wave(session, projects=[project_with(session, 1)])
    smtp_server.handler.data_replies.append("452 4.3.1 insufficient storage")
    assert _send(smtp_server.url, wave)["retry"] == 1


def test_temporary_failures_give_up_after_the_last_attempt(session, smtp_server):
    wave = open_wave(session, projects=[project_with(session, 1)])
    [(_inv, stakeholder)] = invitations_of(session, wave)
    smtp_server.handler.rcpt_replies[stakeholder.email] = "421 4.7.0 busy"
    now = utcnow()
    for _ in range(d.MAX_ATTEMPTS):
        now += timedelta(hours=4)
        _send(smtp_server.url, wave, now)
    delivery = session.exec(select(MailDelivery)).one()
    session.refresh(delivery)
    assert delivery.status == DeliveryStatus.failed and delivery.attempts == d.MAX_ATTEMPTS


def test_5xx_bounces_and_suppresses_the_address(session, smtp_server):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    [(_a, bouncing), (_b, fine)] = invitations_of(session, wave)
    smtp_server.handler.rcpt_replies[bouncing.email] = "550 5.1.1 no such user"
    outcomes = _send(smtp_server.url, wave)
    assert outcomes["bounced"] == 1 and outcomes["sent"] == 1
    suppression = session.exec(select(MailSuppression)).one()
    assert suppression.email == bouncing.email and suppression.stakeholder_id == bouncing.id
    assert "550" in suppression.reason
    # The next wave skips the suppressed address before even trying.
    del smtp_server.handler.rcpt_replies[bouncing.email]
    later = open_wave(session, projects=[project], now=utcnow() + timedelta(days=30))
    _send(smtp_server.url, later, utcnow() + timedelta(days=30))
    assert len(smtp_server.handler.to(bouncing.email)) == 0
    [(skipped, _s), _] = invitations_of(session, later)
    assert skipped.skip_reason == "bounced"


def test_unreachable_server_leaves_the_batch_pending(session):
    wave = open_wave(session, projects=[project_with(session, 3)])
    outcomes = _send(f"smtp://127.0.0.1:{free_port()}", wave)
    assert outcomes == {"retry": 1}
    rows = session.exec(select(MailDelivery).order_by(MailDelivery.id)).all()
    assert [r.status for r in rows] == [DeliveryStatus.pending] * 3
    assert [r.attempts for r in rows] == [1, 0, 0]


def test_crlf_in_names_cannot_inject_headers(session, smtp_server):
    project = project_with(session, 0, name="ERP\r\nX-Injected: yes")
    add_stakeholder(session, project=project, name="Eve\r\nBcc: victim@evil.test")
    wave = open_wave(session, projects=[project])
    assert _send(smtp_server.url, wave)["sent"] == 1
    [message] = smtp_server.handler.messages
    [(_from, recipients)] = smtp_server.handler.envelopes
    assert message["Bcc"] is None and message["X-Injected"] is None
    assert recipients == [invitations_of(session, wave)[0][1].email]
    assert "\n" not in message["Subject"] and "\n" not in str(message["To"])


def test_an_invalid_stored_address_fails_without_sending(session, smtp_server):
    project = project_with(session, 0)
    add_stakeholder(session, project=project, email="bad\r\nBcc: x@evil.test")
    wave = open_wave(session, projects=[project])
    assert _send(smtp_server.url, wave)["failed"] == 1
    assert smtp_server.handler.messages == []


def test_file_mailbox_is_the_default_transport(session, rapport_env):
    wave = open_wave(session, projects=[project_with(session, 2)])
    settings = settings_for(None)
    assert deliveries.send_due(settings, wave_id=wave.id)["sent"] == 2
    files = sorted(p.name for p in settings.mailbox_dir.glob("*.eml"))
    assert len(files) == 2 and all(f.startswith("invitation-") for f in files)

"""Every email goes out From RAPPORT_MAIL_FROM: invitations and reminders (header, envelope and
the mailto unsubscribe), digests, review packs and alert emails."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from survey.models import Alert
from tests import smtp_server as loopback_smtp
from tests.builders import make_project, make_user
from tests.report_builders import utc
from tests.survey.review_fixture import fixture_project
from tests.wave_builders import invitations_of, open_wave, project_with, settings_for
from workers import alerting, context, deliveries, invitations, mail
from workers import digests as digest_jobs
from workers import reviews as review_jobs

smtp_server = loopback_smtp.smtp_server
SENDER = "IT Pulse <it-pulse@corp.example.com>"


@pytest.fixture
def configured_sender(rapport_env, monkeypatch):  # type: ignore[no-untyped-def]
    """RAPPORT_MAIL_FROM set for this test's jobs."""
    monkeypatch.setenv("RAPPORT_MAIL_FROM", SENDER)
    context.settings.cache_clear()
    yield context.settings()
    context.settings.cache_clear()


def _mailbox(settings) -> list[EmailMessage]:  # type: ignore[no-untyped-def]
    return [
        message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(Path(settings.mailbox_dir).glob("*.eml"))
    ]


def test_invitations_go_out_from_the_configured_sender(session, smtp_server, configured_sender):
    wave = open_wave(session, projects=[project_with(session, 1)])
    settings = settings_for(smtp_server.url)
    assert settings.mail_from == SENDER
    assert deliveries.send_due(settings, wave_id=wave.id)["sent"] == 1
    [message] = smtp_server.handler.messages
    [(envelope_from, _rcpts)] = smtp_server.handler.envelopes
    assert message["From"] == SENDER
    assert envelope_from == "it-pulse@corp.example.com"  # bounces come back to it too
    assert "<mailto:it-pulse@corp.example.com?subject=unsubscribe>" in message["List-Unsubscribe"]
    assert "rapport.invalid>" not in message["List-Unsubscribe"]


def test_without_the_setting_the_placeholder_is_used(session, smtp_server):
    wave = open_wave(session, projects=[project_with(session, 1)])
    deliveries.send_due(settings_for(smtp_server.url), wave_id=wave.id)
    [message] = smtp_server.handler.messages
    assert message["From"] == "Rapport <pulse@rapport.invalid>"
    assert "<mailto:pulse@rapport.invalid?subject=unsubscribe>" in message["List-Unsubscribe"]


def test_digests_and_review_packs_go_out_from_the_configured_sender(session, configured_sender):
    _pm, project, _a, _b = fixture_project(session)
    assert digest_jobs.send_project_digests(project.id, now=utc(2026, 3, 5, 20)) == {"sent": 3}
    assert review_jobs.send_review_pack(project.id, "2026Q1") == "sent"
    messages = _mailbox(configured_sender)
    assert len(messages) == 4
    assert {m["From"] for m in messages} == {SENDER}


def test_alert_emails_go_out_from_the_configured_sender(session, configured_sender):
    pm = make_user(session, email="pm-alerts@example.com")
    project = make_project(session, pm=pm, code="ALERT-1")
    alert = Alert(
        project_id=project.id,  # type: ignore[arg-type]
        key="trust_drop:project:1",
        rule="trust_drop",
        subject_kind="project",
        subject_id=project.id,  # type: ignore[arg-type]
        severity="warning",
        message="Trust fell by 1.2 points.",
    )
    session.add(alert)
    session.commit()
    assert alerting.email_alert(alert.id) is True  # type: ignore[arg-type]
    [message] = _mailbox(configured_sender)
    assert message["From"] == SENDER and message["To"] == "pm-alerts@example.com"


def test_the_transport_sets_the_sender_whoever_composed_the_message(rapport_env, smtp_server):
    settings = settings_for(smtp_server.url, mail_from=SENDER)
    message = EmailMessage()
    message["From"] = "Someone Else <else@elsewhere.example>"
    message["To"] = "pm@example.com"
    message["Subject"] = "hello"
    message.set_content("hi")
    mail.deliver(settings, message)
    [received] = smtp_server.handler.messages
    assert received["From"] == SENDER and len(received.get_all("From")) == 1


def test_invitation_reminders_share_the_sender(session, smtp_server, configured_sender):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    [(invitation, _s), _] = invitations_of(session, wave)
    reminder = invitations.compose(configured_sender, session, invitation, "reminder-1")
    assert reminder["From"] == SENDER
    assert "it-pulse@corp.example.com" in reminder["List-Unsubscribe"]

"""A worker that dies mid-send leaves its delivery in "sending": the scheduler sends it again
once, with the same Message-ID, and marks it failed if that is interrupted too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from survey import mail_problems, waves
from survey.models import DeliveryStatus, MailDelivery, utcnow
from tests import smtp_server as loopback_smtp
from tests.killed_worker import WorkerKilled
from tests.wave_builders import invitations_of, open_wave, project_with, settings_for
from workers import deliveries, invitations, mail, scheduler

smtp_server = loopback_smtp.smtp_server
STALE = mail_problems.SENDING_STALE_AFTER


@pytest.fixture
def dies_on_next_send(monkeypatch):  # type: ignore[no-untyped-def]
    """The next SMTP send kills the worker before the server saw the message."""
    real = mail.SmtpTransport.send
    left = [1]

    def send(self, message):  # type: ignore[no-untyped-def]
        if left[0]:
            left[0] -= 1
            raise WorkerKilled
        return real(self, message)

    def arm() -> None:
        left[0] = 1

    monkeypatch.setattr(mail.SmtpTransport, "send", send)
    return arm


def _delivery(session) -> MailDelivery:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(select(MailDelivery)).one()


def _send_and_die(settings, wave_id: int, now=None) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(WorkerKilled):
        deliveries.send_due(settings, wave_id=wave_id, now=now or utcnow())


def test_a_stuck_delivery_is_sent_again_once_with_the_same_message_id(
    session, smtp_server, dies_on_next_send
):
    wave = open_wave(session, projects=[project_with(session, 1)])
    [(invitation, stakeholder)] = invitations_of(session, wave)
    settings = settings_for(smtp_server.url)
    _send_and_die(settings, wave.id)  # type: ignore[arg-type]
    assert _delivery(session).status == DeliveryStatus.sending
    assert smtp_server.handler.messages == []

    # A job retried before the claim is stale must not touch it: that worker may be alive.
    assert deliveries.send_due(settings, wave_id=wave.id, now=utcnow()) == {}  # type: ignore[arg-type]
    assert deliveries.recover_interrupted(session, now=utcnow() + STALE / 2) == (0, 0)

    later = utcnow() + STALE + timedelta(minutes=1)
    assert deliveries.recover_interrupted(session, now=later) == (1, 0)
    session.commit()
    row = _delivery(session)
    assert row.status == DeliveryStatus.pending and row.interrupted_at is not None
    assert row.last_error == deliveries.INTERRUPTED
    assert deliveries.due_waves(session, now=later) == [wave.id]

    assert deliveries.send_due(settings, wave_id=wave.id, now=later)["sent"] == 1  # type: ignore[arg-type]
    [message] = smtp_server.handler.to(stakeholder.email)
    assert message["Message-ID"] == invitations.message_id(invitation, "invitation")
    row = _delivery(session)
    assert row.status == DeliveryStatus.sent and row.attempts == 2
    # Nothing more happens later: the delivery is done.
    assert deliveries.recover_interrupted(session, now=later + 2 * STALE) == (0, 0)
    assert len(smtp_server.handler.messages) == 1


def test_stuck_a_second_time_it_fails_visibly_and_is_not_sent(
    session, smtp_server, dies_on_next_send
):
    wave = open_wave(session, projects=[project_with(session, 1)])
    settings = settings_for(smtp_server.url)
    _send_and_die(settings, wave.id)  # type: ignore[arg-type]
    later = utcnow() + STALE + timedelta(minutes=1)
    deliveries.recover_interrupted(session, now=later)
    session.commit()
    dies_on_next_send()
    _send_and_die(settings, wave.id, later)  # type: ignore[arg-type]
    assert _delivery(session).status == DeliveryStatus.sending

    much_later = utcnow() + 2 * STALE
    assert deliveries.recover_interrupted(session, now=much_later) == (0, 1)
    session.commit()
    row = _delivery(session)
    assert row.status == DeliveryStatus.failed and row.last_error == deliveries.GAVE_UP
    assert deliveries.send_due(settings, wave_id=wave.id, now=much_later) == {}  # type: ignore[arg-type]
    assert smtp_server.handler.messages == []
    [problem] = mail_problems.for_wave(session, wave_id=wave.id, now=much_later)  # type: ignore[arg-type]
    assert problem.state == mail_problems.FAILED and "twice" in problem.explanation


def test_a_stuck_delivery_of_a_closed_wave_is_cancelled_not_sent(
    session, smtp_server, dies_on_next_send
):
    wave = open_wave(session, projects=[project_with(session, 1)])
    settings = settings_for(smtp_server.url)
    _send_and_die(settings, wave.id)  # type: ignore[arg-type]
    waves.close(session, wave=wave, now=utcnow())
    session.commit()
    later = utcnow() + STALE + timedelta(minutes=1)
    deliveries.recover_interrupted(session, now=later)
    session.commit()
    assert deliveries.send_due(settings, wave_id=wave.id, now=later) == {"cancelled": 1}  # type: ignore[arg-type]
    assert smtp_server.handler.messages == []


def test_the_scheduler_recovers_interrupted_mail(session, smtp_server, dies_on_next_send):
    assert "recover-interrupted-mail" in {p.name for p in scheduler.PERIODIC}
    wave = open_wave(session, projects=[project_with(session, 2)])
    settings = settings_for(smtp_server.url)
    _send_and_die(settings, wave.id)  # type: ignore[arg-type]
    assert deliveries.recover_interrupted_mail(settings, now=utcnow()) == 0
    later = utcnow() + STALE + timedelta(minutes=1)
    assert deliveries.recover_interrupted_mail(settings, now=later) == 1
    session.expire_all()
    statuses = sorted(d.status for d in session.exec(select(MailDelivery)))
    assert statuses == [DeliveryStatus.pending, DeliveryStatus.pending]


def test_a_long_batch_is_not_mistaken_for_a_stuck_one(session, smtp_server):
    # The batch's `now` may be long past; the claim records the real time it was taken.
    wave = open_wave(
        session, projects=[project_with(session, 1)], now=utcnow() - timedelta(hours=1)
    )
    row_now = utcnow() - timedelta(minutes=30)
    deliveries.send_due(settings_for(smtp_server.url), wave_id=wave.id, now=row_now)  # type: ignore[arg-type]
    row = _delivery(session)
    assert row.claimed_at is not None and row.claimed_at > row_now + timedelta(minutes=29)

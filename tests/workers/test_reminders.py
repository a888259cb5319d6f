"""Reminders and the scheduler, with the clock moved by `now=` instead of sleeping."""

from __future__ import annotations

from datetime import timedelta

import redis
from rq import Queue, SimpleWorker
from sqlmodel import select

from survey import waves
from survey.models import (
    DeliveryStatus,
    MailDelivery,
    Wave,
    WaveStatus,
    utcnow,
)
from tests import smtp_server as loopback_smtp
from tests.wave_builders import invitations_of, open_wave, project_with, settings_for
from workers import context, deliveries, scheduler

DAY = timedelta(days=1)

smtp_server = loopback_smtp.smtp_server


def _send(url, wave, now):  # type: ignore[no-untyped-def]
    return deliveries.send_due(settings_for(url), wave_id=wave.id, now=now)


def _answer(session, invitation, when):  # type: ignore[no-untyped-def]
    invitation.responded_at = when
    session.add(invitation)
    session.commit()


def test_reminders_reach_only_non_respondents(session, smtp_server):
    now = utcnow()
    wave = open_wave(session, projects=[project_with(session, 3)], now=now)
    _send(smtp_server.url, wave, now)
    (answered, _a), (opted_out, quitter), (silent, quiet) = invitations_of(session, wave)
    _answer(session, answered, now + DAY)
    quitter.unsubscribed_at = now + DAY
    session.add(quitter)
    session.commit()
    assert _send(smtp_server.url, wave, now + 2 * DAY)["sent"] == 0  # not yet due
    assert _send(smtp_server.url, wave, now + 3 * DAY)["sent"] == 1
    [reminder] = smtp_server.handler.messages[3:]
    assert reminder["Message-ID"] == f"<reminder-1-{silent.id}.w{wave.id}@rapport.invalid>"
    assert reminder["Subject"].startswith("Reminder: ")
    assert reminder["To"].addresses[0].addr_spec == quiet.email
    assert "have not heard from you" in reminder.get_body(("plain",)).get_content()


def test_second_reminder_on_day_six_with_its_own_message_id(session, smtp_server):
    now = utcnow()
    wave = open_wave(session, projects=[project_with(session, 1)], now=now)
    for day in (0, 3, 4, 6, 7):
        _send(smtp_server.url, wave, now + day * DAY)
    ids = [m["Message-ID"] for m in smtp_server.handler.messages]
    assert [i.split("-")[0] for i in ids] == ["<invitation", "<reminder", "<reminder"]
    assert ids[1].startswith("<reminder-1-") and ids[2].startswith("<reminder-2-")


def test_a_late_scheduler_sends_only_the_latest_reminder(session, smtp_server):
    now = utcnow()
    wave = open_wave(session, projects=[project_with(session, 1)], now=now)
    _send(smtp_server.url, wave, now)
    _send(smtp_server.url, wave, now + 7 * DAY)
    kinds = session.exec(select(MailDelivery.kind).order_by(MailDelivery.id)).all()
    assert kinds == ["invitation", "reminder-2"]


def test_a_reminder_already_queued_is_cancelled_when_the_person_answers(session, smtp_server):
    now = utcnow()
    wave = open_wave(session, projects=[project_with(session, 1)], now=now)
    _send(smtp_server.url, wave, now)
    settings = settings_for(smtp_server.url)
    with_session_plan(session, wave, now + 3 * DAY, settings.fatigue_days)
    [(invitation, _s)] = invitations_of(session, wave)
    _answer(session, invitation, now + 3 * DAY)
    outcomes = deliveries.send_due(settings, wave_id=wave.id, now=now + 3 * DAY, plan_first=False)
    assert outcomes == {"cancelled": 1}
    assert len(smtp_server.handler.messages) == 1


def with_session_plan(session, wave, now, fatigue_days):  # type: ignore[no-untyped-def]
    from survey import distribution

    distribution.plan(session, wave=session.get(Wave, wave.id), now=now, fatigue_days=fatigue_days)
    session.commit()


def test_closing_a_wave_cancels_pending_reminders(session, smtp_server):
    now = utcnow()
    wave = open_wave(session, projects=[project_with(session, 2)], now=now)
    _send(smtp_server.url, wave, now)
    with_session_plan(session, wave, now + 3 * DAY, 14)
    waves.close(session, wave=session.get(Wave, wave.id), now=now + 3 * DAY)
    session.commit()
    statuses = session.exec(
        select(MailDelivery.status).where(MailDelivery.kind == "reminder-1")
    ).all()
    assert statuses == [DeliveryStatus.cancelled] * 2
    assert sum(_send(smtp_server.url, wave, now + 4 * DAY).values()) == 0
    assert len(smtp_server.handler.messages) == 2


def test_scheduler_opens_mails_and_closes_from_db_state(session, rapport_env, redis_url):
    now = utcnow() - 2 * DAY  # the worker's job runs on the real clock, after these moments
    wave = waves.create_wave(
        session,
        projects=[project_with(session, 2)],
        opens_at=now + DAY,
        closes_at=now + 8 * DAY,
        secret_key=rapport_env["RAPPORT_SECRET_KEY"],
    )
    waves.schedule(session, wave=wave)
    session.commit()
    settings = context.settings()
    assert scheduler.advance_waves(settings, now=now) == 0
    assert scheduler.advance_waves(settings, now=now + DAY) == 1
    session.expire_all()
    assert session.get(Wave, wave.id).status == WaveStatus.open
    conn = redis.Redis.from_url(redis_url)
    assert Queue("mail", connection=conn).count == 1
    # A restarted scheduler re-enqueues, but the job is already queued: still one.
    scheduler.advance_waves(settings, now=now + DAY)
    assert Queue("mail", connection=conn).count == 1
    SimpleWorker([Queue("mail", connection=conn)], connection=conn).work(burst=True)
    assert len(list(settings.mailbox_dir.glob("invitation-*.eml"))) == 2
    scheduler.advance_waves(settings, now=now + 8 * DAY)
    session.expire_all()
    assert session.get(Wave, wave.id).status == WaveStatus.closed


def test_with_redis_down_the_scheduler_still_opens_waves_and_hands_their_mail_over_later(
    session, rapport_env, redis_url
):
    now = utcnow()
    wave = waves.create_wave(
        session,
        projects=[project_with(session, 2)],
        opens_at=now,
        closes_at=now + 7 * DAY,
        secret_key=rapport_env["RAPPORT_SECRET_KEY"],
    )
    waves.schedule(session, wave=wave)
    session.commit()
    settings = context.settings()
    down = settings.with_overrides(redis_url="redis://127.0.0.1:9/0")
    assert scheduler.advance_waves(down, now=now) == 1
    session.expire_all()
    assert session.get(Wave, wave.id).status == WaveStatus.open
    mail = Queue("mail", connection=redis.Redis.from_url(redis_url))
    assert mail.count == 0
    assert scheduler.advance_waves(settings, now=now) == 1
    assert mail.job_ids == [f"send-wave-{wave.id}"]


def test_a_wave_closes_even_if_the_scheduler_slept_through_its_opening(session, rapport_env):
    now = utcnow()
    wave = waves.create_wave(
        session,
        projects=[project_with(session, 1)],
        opens_at=now,
        closes_at=now + 7 * DAY,
        secret_key=rapport_env["RAPPORT_SECRET_KEY"],
    )
    waves.schedule(session, wave=wave)
    session.commit()
    scheduler.advance_waves(context.settings(), now=now + 8 * DAY)
    session.expire_all()
    assert session.get(Wave, wave.id).status == WaveStatus.closed
    assert session.exec(select(MailDelivery)).all() == []

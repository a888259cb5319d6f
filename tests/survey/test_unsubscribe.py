"""Unsubscribe: a GET only asks, a cookieless one-click POST opts out, and no pulse follows."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from survey.models import DeliveryStatus, MailDelivery, Stakeholder, User, utcnow
from tests.wave_builders import invitations_of, open_wave, project_with, settings_for
from workers import deliveries

DAY = timedelta(days=1)


def _link(session, wave):  # type: ignore[no-untyped-def]
    from survey.passwords import invitation_token
    from tests.builders import TEST_SECRET

    invitation, stakeholder = invitations_of(session, wave)[0]
    return f"/s/{invitation_token(TEST_SECRET, invitation.token_salt)}/unsubscribe", stakeholder


def test_get_asks_and_changes_nothing(client, session):
    wave = open_wave(session, projects=[project_with(session, 1)])
    url, stakeholder = _link(session, wave)
    page = client.get(url)
    assert page.status_code == 200 and "Stop pulse emails?" in page.text
    session.refresh(stakeholder)
    assert stakeholder.unsubscribed_at is None


def test_one_click_post_without_cookie_or_csrf_unsubscribes(app, session):
    wave = open_wave(session, projects=[project_with(session, 1)])
    url, stakeholder = _link(session, wave)
    client = app.test_client(use_cookies=False)
    response = client.post(
        url,
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    session.refresh(stakeholder)
    assert stakeholder.unsubscribed_at is not None


def test_unsubscribed_people_get_no_reminder_and_no_next_wave(client, session, rapport_env):
    project = project_with(session, 2)
    now = utcnow()
    wave = open_wave(session, projects=[project], now=now)
    settings = settings_for(None)
    deliveries.send_due(settings, wave_id=wave.id, now=now)
    url, quitter = _link(session, wave)
    # The reminder is queued before the opt-out arrives: it must still not go.
    from survey import distribution

    distribution.plan(session, wave=wave, now=now + 3 * DAY, fatigue_days=14)
    session.commit()
    client.post(url)
    outcomes = deliveries.send_due(settings, wave_id=wave.id, now=now + 3 * DAY, plan_first=False)
    assert outcomes == {"cancelled": 1, "sent": 1}
    cancelled = session.exec(
        select(MailDelivery).where(MailDelivery.status == DeliveryStatus.cancelled)
    ).one()
    assert cancelled.last_error == "unsubscribed"
    later = open_wave(session, projects=[project], now=now + 30 * DAY)
    deliveries.send_due(settings, wave_id=later.id, now=now + 30 * DAY)
    skipped = [i for i, s in invitations_of(session, later) if s.id == quitter.id]
    assert skipped[0].skip_reason == "unsubscribed"


def test_the_pm_sees_who_opted_out(client, session, auth):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    _url, quitter = _link(session, wave)
    stakeholder = session.get(Stakeholder, quitter.id)
    stakeholder.unsubscribed_at = utcnow()
    session.add(stakeholder)
    session.commit()
    auth.login(session.get(User, project.pm_id).email)
    page = client.get(f"/waves/{wave.id}")
    assert f"<td>{quitter.name}</td><td>opted out</td>" in page.text
    assert "opted out 1" in page.text

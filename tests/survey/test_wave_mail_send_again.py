"""The PM sends a wave's failed emails again from the wave page: once, through the mail job,
never to someone who opted out or bounced, and only on waves of their own projects."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis
from rq import Queue, SimpleWorker
from sqlmodel import select

from survey.models import (
    Attribution,
    AuditEntry,
    DeliveryStatus,
    MailDelivery,
    MailSuppression,
    Role,
    Stakeholder,
    User,
    utcnow,
)
from tests import smtp_server as loopback_smtp
from tests.builders import grant_project, make_user
from tests.conftest import csrf_token
from tests.wave_builders import invitations_of, open_wave, project_with
from workers import context

smtp_server = loopback_smtp.smtp_server

SEND_AGAIN = ">Send again</button>"
SEND_ALL = ">Send all failed again</button>"


def _mail(session, wave, *statuses: DeliveryStatus) -> list[MailDelivery]:  # type: ignore[no-untyped-def]
    """One invitation email per person of the wave, in these states (failed ones gave up)."""
    rows = []
    for (invitation, _s), status in zip(invitations_of(session, wave), statuses, strict=True):
        failed = status == DeliveryStatus.failed
        row = MailDelivery(
            invitation_id=invitation.id,  # type: ignore[arg-type]
            wave_id=wave.id,
            kind="invitation",
            status=status,
            attempts=6 if failed else 1,
            claimed_at=utcnow() - timedelta(hours=1),
            last_error="SMTP 452: mailbox full" if failed else None,
        )
        session.add(row)
        rows.append(row)
    session.commit()
    return rows


def _card(client, wave) -> str:  # type: ignore[no-untyped-def]
    """The wave page's "Emails that need a look" card."""
    page = client.get(f"/waves/{wave.id}").text
    return page[page.index('id="mail-problems"') : page.index('id="results"')]


def _login(auth, user: User) -> None:  # type: ignore[no-untyped-def]
    assert auth.login(user.email, "demo").status_code == 302


def _pm_of(session, project) -> User:  # type: ignore[no-untyped-def]
    return session.get(User, project.pm_id)


def _send_again(client, wave, delivery=None, **kwargs):  # type: ignore[no-untyped-def]
    """Press "Send again" (one delivery) or "Send all failed again" (none) on the wave page."""
    token = csrf_token(client.get(f"/waves/{wave.id}").text)
    path = f"/waves/{wave.id}/mail/send-again"
    if delivery is not None:
        path = f"/waves/{wave.id}/mail/{delivery.id}/send-again"
    return client.post(path, data={"csrf_token": token}, **kwargs)


def _status(session, delivery) -> DeliveryStatus:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.get(MailDelivery, delivery.id).status


def _run_mail_jobs(redis_url: str, smtp_url: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Run what the mail queue holds, as a worker sending over SMTP would."""
    monkeypatch.setenv("RAPPORT_MAIL_URL", smtp_url)
    context.settings.cache_clear()
    conn = redis.Redis.from_url(redis_url)
    SimpleWorker([Queue("mail", connection=conn)], connection=conn).work(burst=True)


def _audited(session) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(
        session.exec(select(AuditEntry).where(AuditEntry.action == "mail.send_again")).all()
    )


def _mail_jobs(redis_url: str) -> int:
    return Queue("mail", connection=redis.Redis.from_url(redis_url)).count


def test_only_failed_emails_get_the_button(client, auth, session):
    project = project_with(session, 3)
    wave = open_wave(session, projects=[project])
    _failed, _stuck, resent = _mail(
        session, wave, DeliveryStatus.failed, DeliveryStatus.sending, DeliveryStatus.sent
    )
    # The stuck and the re-sent one are listed too, but the scheduler deals with those.
    resent.interrupted_at = utcnow()
    session.add(resent)
    session.commit()
    _login(auth, _pm_of(session, project))
    card = _card(client, wave)
    assert card.count("<tr>") == 4  # the header and three emails
    assert card.count(SEND_AGAIN) == 1 and SEND_ALL not in card


def test_send_all_appears_from_two_failed_emails(client, auth, session):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    _mail(session, wave, DeliveryStatus.failed, DeliveryStatus.failed)
    _login(auth, _pm_of(session, project))
    card = _card(client, wave)
    assert card.count(SEND_AGAIN) == 2 and card.count(SEND_ALL) == 1


def test_a_confidential_wave_sends_again_without_naming_anyone(client, auth, session):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project], attribution=Attribution.confidential)
    [failed] = _mail(session, wave, DeliveryStatus.failed)
    [(_invitation, person)] = invitations_of(session, wave)
    _login(auth, _pm_of(session, project))
    card = _card(client, wave)
    assert SEND_AGAIN not in card and card.count(SEND_ALL) == 1
    page = _send_again(client, wave, follow_redirects=True).text
    assert "1 email will be sent again in a moment." in page
    # The recipients list names who was invited; the failed-email card must not say who.
    assert person.name not in card and person.email not in card
    assert _status(session, failed) == DeliveryStatus.pending


def test_sending_again_without_the_csrf_token_is_refused(client, auth, session, redis_url):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    failed, _other = _mail(session, wave, DeliveryStatus.failed, DeliveryStatus.failed)
    _login(auth, _pm_of(session, project))
    assert client.post(f"/waves/{wave.id}/mail/{failed.id}/send-again").status_code == 400
    assert client.post(f"/waves/{wave.id}/mail/send-again").status_code == 400
    assert _status(session, failed) == DeliveryStatus.failed
    assert _mail_jobs(redis_url) == 0


def test_another_pms_wave_and_unknown_emails_are_not_found(client, auth, session, redis_url):
    mine = project_with(session, 1)
    theirs = project_with(session, 1)
    my_wave = open_wave(session, projects=[mine])
    their_wave = open_wave(session, projects=[theirs])
    [their_failed] = _mail(session, their_wave, DeliveryStatus.failed)
    _login(auth, _pm_of(session, mine))
    token = csrf_token(client.get(f"/waves/{my_wave.id}").text)
    for path in (
        f"/waves/{their_wave.id}/mail/{their_failed.id}/send-again",
        f"/waves/{their_wave.id}/mail/send-again",
        # Their email through my wave's address, and an email that does not exist.
        f"/waves/{my_wave.id}/mail/{their_failed.id}/send-again",
        f"/waves/{my_wave.id}/mail/{their_failed.id + 1000}/send-again",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    assert _status(session, their_failed) == DeliveryStatus.failed
    assert _mail_jobs(redis_url) == 0


def test_on_a_shared_wave_a_pm_sends_again_only_their_own_projects_emails(client, auth, session):
    mine = project_with(session, 1)
    theirs = project_with(session, 1)
    wave = open_wave(session, projects=[mine, theirs])
    my_failed, their_failed = _mail(session, wave, DeliveryStatus.failed, DeliveryStatus.failed)
    _login(auth, _pm_of(session, mine))
    assert _send_again(client, wave, their_failed).status_code == 404
    assert "1 email will be sent again" in _send_again(client, wave, follow_redirects=True).text
    assert _status(session, my_failed) == DeliveryStatus.pending
    assert _status(session, their_failed) == DeliveryStatus.failed
    again = _send_again(client, wave, follow_redirects=True).text
    assert "No failed email to send again." in again
    assert _status(session, their_failed) == DeliveryStatus.failed


def test_a_viewer_sees_failed_emails_but_may_not_send_them_again(client, auth, session):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    failed, _other = _mail(session, wave, DeliveryStatus.failed, DeliveryStatus.failed)
    viewer = make_user(session, role=Role.viewer)
    grant_project(session, viewer=viewer, project=project)
    _login(auth, viewer)
    card = _card(client, wave)
    assert "2 not sent" in card and SEND_AGAIN not in card and SEND_ALL not in card
    assert _send_again(client, wave, failed).status_code == 403
    assert _send_again(client, wave).status_code == 403
    assert _status(session, failed) == DeliveryStatus.failed


def test_a_failed_email_is_sent_once_more_by_the_mail_job(
    client, auth, session, redis_url, smtp_server, monkeypatch
):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    [failed] = _mail(session, wave, DeliveryStatus.failed)
    [(invitation, stakeholder)] = invitations_of(session, wave)
    pm = _pm_of(session, project)
    _login(auth, pm)
    page = _send_again(client, wave, failed, follow_redirects=True).text
    assert "The email will be sent again in a moment." in page
    assert 'id="mail-problems"' not in page
    _run_mail_jobs(redis_url, smtp_server.url, monkeypatch)
    [message] = smtp_server.handler.messages
    assert smtp_server.handler.to(stakeholder.email) == [message]
    assert message["Message-ID"] == f"<invitation-{invitation.id}.w{wave.id}@rapport.invalid>"
    assert _status(session, failed) == DeliveryStatus.sent
    [entry] = _audited(session)
    assert (entry.actor_id, entry.target_kind, entry.target_id) == (
        pm.id,
        "mail_delivery",
        failed.id,
    )
    assert entry.detail == {"wave_id": wave.id, "kind": "invitation"}


def test_pressing_twice_sends_once(client, auth, session, redis_url, smtp_server, monkeypatch):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    [failed] = _mail(session, wave, DeliveryStatus.failed)
    _login(auth, _pm_of(session, project))
    _send_again(client, wave, failed)
    again = _send_again(client, wave, failed, follow_redirects=True).text
    assert "The email was not sent again: it is already on its way." in again
    _run_mail_jobs(redis_url, smtp_server.url, monkeypatch)
    assert len(smtp_server.handler.messages) == 1
    late = _send_again(client, wave, failed, follow_redirects=True).text
    assert "The email was not sent again: it was sent." in late
    _run_mail_jobs(redis_url, smtp_server.url, monkeypatch)
    assert len(smtp_server.handler.messages) == 1
    assert len(_audited(session)) == 1


def _unsubscribe(session, stakeholder: Stakeholder) -> None:  # type: ignore[no-untyped-def]
    stakeholder.unsubscribed_at = utcnow()
    session.add(stakeholder)
    session.commit()


def _suppress(session, stakeholder: Stakeholder) -> None:  # type: ignore[no-untyped-def]
    session.add(MailSuppression(email=stakeholder.email.lower(), reason="550 no such user"))
    session.commit()


@pytest.mark.parametrize(
    ("stop", "why"),
    [(_unsubscribe, "the stakeholder unsubscribed"), (_suppress, "the address bounced")],
)
def test_no_email_goes_to_someone_who_opted_out_or_bounced(
    client, auth, session, redis_url, smtp_server, monkeypatch, stop, why
):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    [failed] = _mail(session, wave, DeliveryStatus.failed)
    [(_invitation, stakeholder)] = invitations_of(session, wave)
    stop(session, stakeholder)
    _login(auth, _pm_of(session, project))
    page = _send_again(client, wave, failed, follow_redirects=True).text
    assert f"The email was not sent again: {why}." in page
    assert _status(session, failed) == DeliveryStatus.failed
    assert _mail_jobs(redis_url) == 0
    _run_mail_jobs(redis_url, smtp_server.url, monkeypatch)
    assert smtp_server.handler.messages == []
    assert _audited(session) == []


def test_send_all_sends_the_failed_ones_it_may(
    client, auth, session, redis_url, smtp_server, monkeypatch
):
    project = project_with(session, 4)
    wave = open_wave(session, projects=[project])
    _mail(
        session,
        wave,
        DeliveryStatus.failed,
        DeliveryStatus.failed,
        DeliveryStatus.failed,
        DeliveryStatus.sent,
    )
    people = [s for _i, s in invitations_of(session, wave)]
    _unsubscribe(session, people[2])
    _login(auth, _pm_of(session, project))
    page = _send_again(client, wave, follow_redirects=True).text
    assert (
        "2 emails will be sent again in a moment. "
        "Not sent again: 1 because the stakeholder unsubscribed." in page
    )
    _run_mail_jobs(redis_url, smtp_server.url, monkeypatch)
    assert sorted(rcpt for _f, [rcpt] in smtp_server.handler.envelopes) == sorted(
        p.email for p in people[:2]
    )
    assert len(_audited(session)) == 2

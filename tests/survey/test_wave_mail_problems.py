"""The PM sees a wave's stuck, failed and re-sent emails; the admin sees which waves have some."""

from __future__ import annotations

from datetime import timedelta

from survey.models import Attribution, DeliveryStatus, MailDelivery, Role, User, utcnow
from tests.builders import make_user
from tests.wave_builders import invitations_of, open_wave, project_with
from workers import deliveries


def _deliveries_in_trouble(session, wave) -> list[str]:  # type: ignore[no-untyped-def]
    """Give the wave's three people a failed, a stuck and a re-sent invitation."""
    now = utcnow()
    people = invitations_of(session, wave)
    states = [
        (DeliveryStatus.failed, now - timedelta(hours=1), None, "SMTP 452: mailbox full"),
        (DeliveryStatus.sending, now - timedelta(minutes=40), None, None),
        (DeliveryStatus.sent, now - timedelta(minutes=5), now - timedelta(minutes=10), None),
    ]
    for (invitation, _s), (status, claimed, interrupted, error) in zip(people, states):
        session.add(
            MailDelivery(
                invitation_id=invitation.id,  # type: ignore[arg-type]
                wave_id=wave.id,
                kind="invitation",
                status=status,
                attempts=1,
                claimed_at=claimed,
                interrupted_at=interrupted,
                last_error=error,
            )
        )
    session.commit()
    return [s.name for _i, s in people]


def _login_pm(auth, session, project) -> None:  # type: ignore[no-untyped-def]
    pm = session.get(User, project.pm_id)
    assert auth.login(pm.email, "demo").status_code == 302


def test_the_wave_page_names_each_email_in_trouble(client, auth, session):
    project = project_with(session, 3)
    wave = open_wave(session, projects=[project])
    failed, stuck, resent = _deliveries_in_trouble(session, wave)
    _login_pm(auth, session, project)
    page = client.get(f"/waves/{wave.id}").text
    card = page[page.index('id="mail-problems"') :]
    assert "1 not sent" in card and "1 interrupted while sending" in card
    assert "1 sent again after an interruption (may have arrived twice)" in card
    for name in (failed, stuck, resent):
        assert name in card
    assert "not sent: SMTP 452: mailbox full" in card
    assert "a worker stopped while sending it; it is sent again automatically" in card


def test_a_claim_still_in_progress_is_not_shown_as_stuck(client, auth, session):
    project = project_with(session, 1)
    wave = open_wave(session, projects=[project])
    [(invitation, _s)] = invitations_of(session, wave)
    session.add(
        MailDelivery(
            invitation_id=invitation.id,  # type: ignore[arg-type]
            wave_id=wave.id,
            kind="invitation",
            status=DeliveryStatus.sending,
            claimed_at=utcnow(),
        )
    )
    session.commit()
    _login_pm(auth, session, project)
    assert 'id="mail-problems"' not in client.get(f"/waves/{wave.id}").text


def test_a_confidential_wave_counts_without_names(client, auth, session):
    project = project_with(session, 3)
    wave = open_wave(session, projects=[project], attribution=Attribution.confidential)
    names = _deliveries_in_trouble(session, wave)
    _login_pm(auth, session, project)
    page = client.get(f"/waves/{wave.id}").text
    card = page[page.index('id="mail-problems"') : page.index('id="results"')]
    assert "1 not sent" in card and "names are not shown" in card
    assert not any(name in card for name in names)


def test_the_admin_queue_page_lists_waves_with_mail_in_trouble(client, auth, session):
    project = project_with(session, 3)
    wave = open_wave(session, projects=[project])
    _deliveries_in_trouble(session, wave)
    admin = make_user(session, role=Role.admin)
    assert auth.login(admin.email, "demo").status_code == 302
    page = client.get("/admin/queues").text
    section = page[page.index('id="mail-trouble"') :]
    assert f"/waves/{wave.id}#mail-problems" in section
    assert '<td>1</td><td class="flag">1</td>' in section  # one stuck, one failed
    # Once the scheduler has queued the stuck one again, only the failed one is left.
    deliveries.recover_interrupted(session, now=utcnow())
    session.commit()
    page = client.get("/admin/queues").text
    assert '<td>0</td><td class="flag">1</td>' in page[page.index('id="mail-trouble"') :]

"""The wave list and wave page for a wave shared between two PMs' projects: each PM sees the
figures, people and emails of their own project only; an admin sees the whole wave."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey import distribution, waves
from survey.models import (
    DeliveryStatus,
    MailDelivery,
    MailSuppression,
    Response,
    Role,
    Stakeholder,
    Wave,
    WaveStatus,
    utcnow,
)
from tests.builders import TEST_SECRET, grant_project, make_project, make_user
from tests.conftest import csrf_token
from tests.wave_builders import add_stakeholder, invitations_of, open_wave

THEIRS = ("HR-SECRET", "Hush-hush", "Raj Patel", "Bea Bounce", "Uma Unsub")


def _answer(session, wave: Wave, *names: str) -> None:  # type: ignore[no-untyped-def]
    for invitation, stakeholder in invitations_of(session, wave):
        if stakeholder.name in names:
            invitation.responded_at = utcnow()
            session.add(invitation)
            session.add(
                Response(
                    invitation_id=invitation.id,  # type: ignore[arg-type]
                    wave_id=wave.id,  # type: ignore[arg-type]
                    relationship_id=invitation.relationship_id,
                )
            )
    session.commit()


@pytest.fixture
def shared(session):  # type: ignore[no-untyped-def]
    """One open wave over FIN (two people, one answered) and HR-SECRET of another PM (Raj
    answered but a reminder to him failed, Bea's address bounced, Uma opted out)."""
    pm = make_user(session, email="pm@example.com")
    other_pm = make_user(session, email="other.pm@example.com")
    fin = make_project(session, pm=pm, code="FIN", name="Finance ERP")
    hr = make_project(session, pm=other_pm, code="HR-SECRET", name="Hush-hush HR programme")
    for name in ("Maria Chen", "Mo Ahmed"):
        add_stakeholder(session, project=fin, name=name)
    for name in ("Raj Patel", "Bea Bounce", "Uma Unsub"):
        add_stakeholder(session, project=hr, name=name)
    bea = session.exec(select(Stakeholder).where(Stakeholder.name == "Bea Bounce")).one()
    uma = session.exec(select(Stakeholder).where(Stakeholder.name == "Uma Unsub")).one()
    session.add(MailSuppression(email=bea.email, stakeholder_id=bea.id))
    uma.unsubscribed_at = utcnow()
    session.add(uma)
    session.commit()
    wave = open_wave(session, projects=[fin, hr])
    wave.title = "Quarterly pulse"
    session.add(wave)
    distribution.plan(session, wave=wave, now=utcnow(), fatigue_days=14)
    session.commit()
    _answer(session, wave, "Maria Chen", "Raj Patel")
    raj = next(i for i, s in invitations_of(session, wave) if s.name == "Raj Patel")
    session.add(
        MailDelivery(
            invitation_id=raj.id,  # type: ignore[arg-type]
            wave_id=wave.id,  # type: ignore[arg-type]
            kind="reminder-1",
            status=DeliveryStatus.failed,
            last_error="SMTP 452: mailbox full",
        )
    )
    session.commit()
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    grant_project(session, viewer=viewer, project=fin)
    make_user(session, email="admin@example.com", role=Role.admin)
    return {"wave": wave, "fin": fin, "hr": hr, "bea": bea}


def _login(auth, email: str) -> None:  # type: ignore[no-untyped-def]
    assert auth.login(email, "demo").status_code == 302


def _text(client, path: str) -> str:  # type: ignore[no-untyped-def]
    response = client.get(path)
    assert response.status_code == 200
    return " ".join(response.text.split())


def _list_row(client) -> str:  # type: ignore[no-untyped-def]
    """The wave's row on the wave list, from its title to its last figure."""
    page = _text(client, "/waves")
    start = page.index("Quarterly pulse")
    return page[start : page.index("</tr>", start)]


def _figures(invited: int, answered: int, bounced: int, opted_out: int) -> str:
    return f"<td>{invited}</td><td>{answered}</td><td>{bounced}</td><td>{opted_out}</td>"


@pytest.mark.parametrize(
    ("email", "figures"),
    [
        ("pm@example.com", _figures(invited=2, answered=1, bounced=0, opted_out=0)),
        ("viewer@example.com", _figures(invited=2, answered=1, bounced=0, opted_out=0)),
        ("other.pm@example.com", _figures(invited=3, answered=1, bounced=1, opted_out=1)),
        ("admin@example.com", _figures(invited=5, answered=2, bounced=1, opted_out=1)),
    ],
)
def test_the_wave_list_counts_only_the_projects_you_may_see(client, auth, shared, email, figures):
    _login(auth, email)
    assert figures in _list_row(client)


def test_the_wave_page_shows_only_your_projects_figures_people_and_emails(client, auth, shared):
    _login(auth, "pm@example.com")
    page = _text(client, f"/waves/{shared['wave'].id}")
    assert "Invited 2 · emailed 0 · answered 1 · bounced 0 · opted out 0" in page
    assert "deferred 0 · skipped 0" in page
    assert "Maria Chen" in page and "Mo Ahmed" in page and "FIN" in page
    assert 'id="mail-problems"' not in page and "All projects" not in page
    for hidden in THEIRS:
        assert hidden not in page, hidden


def test_the_other_pm_sees_their_figures_and_failed_email(client, auth, shared):
    _login(auth, "other.pm@example.com")
    page = _text(client, f"/waves/{shared['wave'].id}")
    assert "Invited 3 · emailed 0 · answered 1 · bounced 1 · opted out 1" in page
    assert "deferred 0 · skipped 2" in page
    assert "1 not sent" in page and "Raj Patel" in page
    for hidden in ("FIN", "Finance ERP", "Maria Chen", "Mo Ahmed"):
        assert hidden not in page, hidden


def test_an_admin_sees_the_whole_wave(client, auth, shared):
    _login(auth, "admin@example.com")
    page = _text(client, f"/waves/{shared['wave'].id}")
    assert "Invited 5 · emailed 0 · answered 2 · bounced 1 · opted out 1" in page
    assert "deferred 0 · skipped 2" in page
    for name in ("FIN", "HR-SECRET", "Maria Chen", "Raj Patel", "Bea Bounce", "All projects"):
        assert name in page, name


def test_the_preview_of_a_shared_draft_names_only_your_people(client, auth, shared, session):
    draft = waves.create_wave(
        session,
        projects=[shared["fin"], shared["hr"]],
        opens_at=utcnow(),
        closes_at=shared["wave"].closes_at,
        secret_key=TEST_SECRET,
        title="Draft pulse",
    )
    session.commit()
    _login(auth, "pm@example.com")
    page = _text(client, f"/waves/{draft.id}")
    assert "Before sending" in page and "Invited 2 ·" in page
    for hidden in THEIRS:
        assert hidden not in page, hidden


def _clear_bea(client, shared):  # type: ignore[no-untyped-def]
    wave = shared["wave"]
    token = csrf_token(client.get(f"/waves/{wave.id}").text)
    path = f"/waves/{wave.id}/bounces/{shared['bea'].id}/clear"
    return client.post(path, data={"csrf_token": token})


def test_a_pm_cannot_clear_a_bounce_on_another_pms_project(client, auth, shared, session):
    _login(auth, "pm@example.com")
    assert _clear_bea(client, shared).status_code == 404
    assert len(session.exec(select(MailSuppression)).all()) == 1


def test_the_pm_of_the_project_clears_the_bounce(client, auth, shared, session):
    _login(auth, "other.pm@example.com")
    assert _clear_bea(client, shared).status_code == 303
    session.expire_all()
    assert session.exec(select(MailSuppression)).all() == []


def _close(client, shared):  # type: ignore[no-untyped-def]
    wave = shared["wave"]
    token = csrf_token(client.get("/login").text)
    return client.post(f"/waves/{wave.id}/close", data={"csrf_token": token})


@pytest.mark.parametrize("email", ["pm@example.com", "other.pm@example.com"])
def test_a_pm_cannot_close_a_wave_that_also_mails_another_pms_people(
    client, auth, shared, session, email
):
    _login(auth, email)
    assert "Close the wave now" not in _text(client, f"/waves/{shared['wave'].id}")
    assert _close(client, shared).status_code == 403
    session.expire_all()
    assert session.get(Wave, shared["wave"].id).status == WaveStatus.open


def test_an_admin_closes_a_shared_wave(client, auth, shared, session):
    _login(auth, "admin@example.com")
    assert "Close the wave now" in _text(client, f"/waves/{shared['wave'].id}")
    assert _close(client, shared).status_code == 303
    session.expire_all()
    assert session.get(Wave, shared["wave"].id).status == WaveStatus.closed

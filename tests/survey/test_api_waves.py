"""GET /api/v1/waves/<id> for a wave shared between projects: each caller sees the codes and
counts of the projects they may see, and nothing of the others."""

from __future__ import annotations

import pytest
from sqlmodel import select

from survey.api.tokens import issue
from survey.models import (
    DeliveryStatus,
    Invitation,
    MailDelivery,
    MailSuppression,
    Role,
    Stakeholder,
    TokenScope,
    utcnow,
)
from tests.builders import grant_project, make_project, make_relationship, make_user
from tests.pm_builders import add_wave, all_ratings


@pytest.fixture
def shared(session):  # type: ignore[no-untyped-def]
    """One wave over FIN (one person, answered) and HR (three people: one answered, one
    bounced, one unsubscribed), each project with its own PM."""
    pm = make_user(session, email="pm@example.com")
    other_pm = make_user(session, email="other.pm@example.com")
    fin = make_project(session, pm=pm, code="FIN", name="Finance ERP")
    hr = make_project(session, pm=other_pm, code="HR-SECRET", name="Hush-hush HR programme")
    maria = make_relationship(session, project=fin, name="Maria Chen")
    raj, bounced, gone = (
        make_relationship(session, project=hr, name=name)
        for name in ("Raj Patel", "Bea Bounce", "Uma Unsub")
    )
    wave = add_wave(
        session,
        projects=[fin, hr],
        answers=[(maria, all_ratings(4)), (raj, all_ratings(2)), (bounced, None), (gone, None)],
        months_ago=1,
        title="Quarterly pulse",
    )
    bounced_invitation = session.exec(
        select(Invitation).where(Invitation.relationship_id == bounced.id)
    ).one()
    session.add(
        MailDelivery(
            invitation_id=bounced_invitation.id,  # type: ignore[arg-type]
            wave_id=wave.id,  # type: ignore[arg-type]
            kind="invitation",
            status=DeliveryStatus.bounced,
        )
    )
    person = session.get(Stakeholder, bounced.stakeholder_id)
    session.add(MailSuppression(email=person.email, stakeholder_id=person.id))
    unsubscribed = session.get(Stakeholder, gone.stakeholder_id)
    unsubscribed.unsubscribed_at = utcnow()
    session.add(unsubscribed)
    session.commit()
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    grant_project(session, viewer=viewer, project=fin)
    return {
        "wave": wave,
        "pm": issue(session, user=pm, scope=TokenScope.read),
        "other_pm": issue(session, user=other_pm),
        "viewer": issue(session, user=viewer, scope=TokenScope.read),
        "admin": issue(session, user=make_user(session, role=Role.admin)),
        "stranger": issue(session, user=make_user(session, email="stranger@example.com")),
    }


def _wave(client, shared, who: str):  # type: ignore[no-untyped-def]
    headers = {"Authorization": f"Bearer {shared[who]}"}
    return client.get(f"/api/v1/waves/{shared['wave'].id}", headers=headers)


def _document(client, shared, who: str) -> dict:  # type: ignore[no-untyped-def]
    response = _wave(client, shared, who)
    assert response.status_code == 200, response.text
    return response.get_json()["wave"]


NOTHING = {"invited": 0, "emailed": 0, "answered": 0, "bounced": 0, "unsubscribed": 0}


def test_a_pm_sees_only_their_project_and_its_counts(client, shared):
    response = _wave(client, shared, "pm")
    wave = _document(client, shared, "pm")
    assert wave["projects"] == ["FIN"]
    assert wave["counts"] == {**NOTHING, "invited": 1, "emailed": 1, "answered": 1, "deferred": 0}
    assert wave["title"] == "Quarterly pulse"
    for hidden in ("HR-SECRET", "Hush-hush", "Raj", "Bea", "Uma"):
        assert hidden not in response.text, hidden


def test_the_other_pm_sees_their_project_and_its_counts(client, shared):
    wave = _document(client, shared, "other_pm")
    assert wave["projects"] == ["HR-SECRET"]
    assert wave["counts"] == {
        "invited": 3,
        "emailed": 3,
        "answered": 1,
        "bounced": 1,
        "unsubscribed": 1,
        "deferred": 0,
    }


def test_a_viewer_sees_the_granted_project_and_an_admin_sees_all(client, shared):
    assert _document(client, shared, "viewer") == _document(client, shared, "pm")
    admin = _document(client, shared, "admin")
    assert admin["projects"] == ["FIN", "HR-SECRET"]
    assert admin["counts"]["invited"] == 4 and admin["counts"]["answered"] == 2


def test_a_wave_of_no_project_of_yours_is_404(client, shared):
    response = _wave(client, shared, "stranger")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert "Quarterly" not in response.text

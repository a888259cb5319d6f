"""Waves: creation rules, survey fatigue, the PM's pages (preview, confidential mode) and API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from survey import distribution, waves
from survey.api.tokens import issue
from survey.models import (
    Attribution,
    Invitation,
    MailDelivery,
    Project,
    Relationship,
    Response,
    User,
    Wave,
    WaveStatus,
    utcnow,
)
from tests.builders import TEST_SECRET
from tests.conftest import csrf_token
from tests.wave_builders import add_stakeholder, invitations_of, open_wave, project_with

DAY = timedelta(days=1)
FOURTEEN = timedelta(days=14)


def _create(session, projects=None, **kw):  # type: ignore[no-untyped-def]
    now = utcnow()
    args = dict(projects=projects, opens_at=now, closes_at=now + 10 * DAY, secret_key=TEST_SECRET)
    return waves.create_wave(session, **{**args, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"closes_at": utcnow() - DAY}, "close after it opens"),
        ({"reminders": (3, 12)}, "before the wave closes"),
        ({"reminders": (6, 3)}, "must increase"),
        ({"projects": []}, "at least one project"),
        ({"relationship_ids": [99999]}, "not an active relationship"),
    ],
)
def test_bad_waves_are_refused_with_a_reason(session, change, message):
    project = project_with(session, 1)
    with pytest.raises(waves.WaveError, match=message):
        _create(session, **{"projects": [project], **change})


def test_a_project_without_active_relationships_has_no_one_to_invite(session):
    project = project_with(session, 1)
    for rel in session.exec(select(Relationship)):
        rel.active = False
        session.add(rel)
    session.commit()
    with pytest.raises(waves.WaveError, match="no active relationships"):
        _create(session, [project])


def test_a_chosen_subset_gets_invitations_and_nobody_else(session):
    project = project_with(session, 3)
    rels = session.exec(select(Relationship).order_by(Relationship.id)).all()
    wave = _create(session, [project], relationship_ids=[rels[0].id, rels[2].id])
    invited = session.exec(select(Invitation.relationship_id).where(Invitation.wave_id == wave.id))
    assert sorted(invited.all()) == [rels[0].id, rels[2].id]
    assert wave.status == WaveStatus.draft and wave.reminder_days == "3,6"


def test_lifecycle_is_driven_by_the_clock(session):
    project = project_with(session, 1)
    now = utcnow()
    wave = _create(session, [project], opens_at=now + DAY, closes_at=now + 9 * DAY)
    waves.schedule(session, wave=wave)
    assert waves.advance(session, now=now) == [] and wave.status == WaveStatus.scheduled
    assert waves.advance(session, now=now + DAY) == [wave]
    waves.advance(session, now=now + 9 * DAY)
    assert wave.status == WaveStatus.closed
    with pytest.raises(waves.WaveError):
        waves.schedule(session, wave=wave)


@pytest.mark.parametrize(
    ("last_days_ago", "closes_in", "expected"),
    [(None, 10, "send"), (14, 10, "send"), (10, 10, "defer"), (2, 10, "skip"), (1, 30, "defer")],
)
def test_fatigue_decision(last_days_ago, closes_in, expected):
    now = utcnow()
    last = None if last_days_ago is None else now - last_days_ago * DAY
    action, until = distribution.fatigue_decision(
        last_invited=last, now=now, closes_at=now + closes_in * DAY, window=FOURTEEN
    )
    assert action == expected
    assert (until == last + FOURTEEN) if expected == "defer" else until is None


def test_fatigue_holds_across_projects_and_is_told_before_sending(session, client, auth):
    crm = project_with(session, 0, name="CRM")
    erp = project_with(session, 0, name="ERP")
    shared = add_stakeholder(session, project=crm, name="Maria Chen", email="maria@example.com")
    add_stakeholder(session, project=erp, email="maria@example.com")
    add_stakeholder(session, project=erp, name="Tom Reilly")
    first = open_wave(session, projects=[crm], now=utcnow() - 5 * DAY)
    for invitation, _s in invitations_of(session, first):
        invitation.sent_at = utcnow() - 5 * DAY
        session.add(invitation)
    session.commit()
    assert shared.stakeholder_id
    second = _create(session, [erp], closes_at=utcnow() + 20 * DAY)
    session.commit()
    pm = session.get(User, session.get(Project, erp.id).pm_id)
    auth.login(pm.email)
    page = client.get(f"/waves/{second.id}")
    assert "Maria Chen: deferred to" in page.text and "invited in the last 14 days" in page.text
    assert "1 people get the invitation" in page.text
    # When it opens, only Tom is mailed; Maria's invitation waits for the window to pass.
    waves.open_now(session, wave=second, now=utcnow())
    assert distribution.plan(session, wave=second, now=utcnow(), fatigue_days=14) == 1
    later = utcnow() + 10 * DAY
    assert distribution.plan(session, wave=second, now=later, fatigue_days=14) == 1


def test_one_person_on_two_projects_of_one_wave_gets_one_invitation(session):
    crm = project_with(session, 0)
    erp = project_with(session, 0)
    add_stakeholder(session, project=crm, email="both@example.com")
    add_stakeholder(session, project=erp, email="both@example.com")
    wave = open_wave(session, projects=[crm, erp])
    assert distribution.plan(session, wave=wave, now=utcnow(), fatigue_days=14) == 1
    skipped = [i for i, _s in invitations_of(session, wave) if i.skip_reason]
    assert len(skipped) == 1 and len(session.exec(select(MailDelivery)).all()) == 1


def _login_pm_of(session, auth, project):  # type: ignore[no-untyped-def]
    auth.login(session.get(User, project.pm_id).email)


def test_pm_creates_previews_and_schedules_a_wave_through_the_form(session, client, auth):
    project = project_with(session, 2)
    _login_pm_of(session, auth, project)
    form = client.get("/waves/new")
    assert project.code in form.text
    data = {
        "csrf_token": csrf_token(form.text),
        "title": "June pulse",
        "project": str(project.id),
        "recipients": "all",
        "attribution": "confidential",
        "reminder_days": "2,4",
    }
    created = client.post("/waves/new", data=data)
    assert created.status_code == 303
    wave = session.exec(select(Wave)).one()
    assert wave.attribution == Attribution.confidential and wave.status == WaveStatus.draft
    detail = client.get(created.headers["Location"])
    assert "Before sending" in detail.text and "2 people get the invitation" in detail.text
    scheduled = client.post(
        f"/waves/{wave.id}/schedule", data={"csrf_token": csrf_token(detail.text)}
    )
    assert scheduled.status_code == 303
    session.expire_all()
    assert session.get(Wave, wave.id).status == WaveStatus.open
    assert len(session.exec(select(MailDelivery)).all()) == 2
    listing = client.get("/waves")
    assert "June pulse" in listing.text and "confidential" in listing.text


def test_the_form_refuses_a_missing_csrf_token_and_bad_dates(session, client, auth):
    project = project_with(session, 1)
    _login_pm_of(session, auth, project)
    assert client.post("/waves/new", data={"project": str(project.id)}).status_code == 400
    form = client.get("/waves/new")
    bad = client.post(
        "/waves/new",
        data={"csrf_token": csrf_token(form.text), "project": str(project.id), "closes_on": "soon"},
    )
    assert bad.status_code == 400 and "not a date" in bad.text
    assert session.exec(select(Wave)).all() == []


def test_another_pms_wave_is_not_found(session, client, auth):
    mine = project_with(session, 1)
    theirs = project_with(session, 1)
    wave = open_wave(session, projects=[theirs])
    _login_pm_of(session, auth, mine)
    assert client.get(f"/waves/{wave.id}").status_code == 404


def _respond(session, wave, n, satisfaction=4):  # type: ignore[no-untyped-def]
    for invitation, _s in invitations_of(session, wave)[:n]:
        invitation.responded_at = utcnow()
        session.add(invitation)
        session.add(
            Response(
                invitation_id=invitation.id,
                wave_id=wave.id,
                relationship_id=invitation.relationship_id,
            )
        )
    session.commit()


def test_confidential_wave_hides_names_on_answers_and_small_groups(session, client, auth):
    big = project_with(session, 4, name="Big")
    small = project_with(session, 2, name="Small")
    small.pm_id = big.pm_id
    session.add(small)
    session.commit()
    wave = open_wave(session, projects=[big, small], attribution=Attribution.confidential)
    _respond(session, wave, 5)  # 4 in Big, 1 in Small
    _login_pm_of(session, auth, big)
    while_open = client.get(f"/waves/{wave.id}")
    # Open: nothing yet, or two looks one answer apart would give that answer away.
    assert while_open.text.count('class="muted">shown when the wave closes</td>') == 3
    wave.status = WaveStatus.closed
    session.add(wave)
    session.commit()
    page = client.get(f"/waves/{wave.id}")
    hidden = 'class="muted">not enough responses</td>'
    # Small (1) is hidden, and Big (4) too: the total (5) minus Big would give Small away.
    assert page.text.count(hidden) == 2
    assert "<td>All projects</td><td>5</td>" in page.text
    assert "Answered</th>" not in page.text


def test_attributed_wave_shows_who_answered(session, client, auth):
    project = project_with(session, 2)
    wave = open_wave(session, projects=[project])
    _respond(session, wave, 1)
    _login_pm_of(session, auth, project)
    page = client.get(f"/waves/{wave.id}")
    assert "Answered</th>" in page.text and "not enough responses" not in page.text


def test_counts_cover_the_whole_wave_or_only_the_projects_asked_for(session):
    crm = project_with(session, 1)
    erp = project_with(session, 2)
    wave = open_wave(session, projects=[crm, erp])
    _respond(session, wave, 1)  # the first invitation: CRM's one person
    whole = waves.counts(session, wave_id=wave.id)
    assert (whole.invited, whole.answered) == (3, 1)
    only_erp = waves.counts(session, wave_id=wave.id, project_ids=[erp.id])
    assert (only_erp.invited, only_erp.answered) == (2, 0)
    assert waves.counts(session, wave_id=wave.id, project_ids=[]).invited == 0


def test_api_creates_a_wave_with_a_bearer_token(session, client):
    project = project_with(session, 2)
    token = issue(session, user=session.get(User, project.pm_id))
    headers = {"Authorization": f"Bearer {token}"}
    closes = (utcnow() + 10 * DAY).isoformat()
    body = {"projects": [project.code], "closes_at": closes, "attribution": "confidential"}
    created = client.post("/api/v1/waves", json=body, headers=headers)
    assert created.status_code == 201
    wave = created.json["wave"]
    assert wave["status"] == "draft" and wave["counts"]["invited"] == 2
    assert wave["reminder_days"] == [3, 6] and wave["attribution"] == "confidential"
    assert client.get(f"/api/v1/waves/{wave['id']}", headers=headers).status_code == 200
    assert client.post("/api/v1/waves", json=body).status_code == 401
    bad = client.post("/api/v1/waves", json={**body, "closes_at": "tomorrow"}, headers=headers)
    assert bad.status_code == 400 and "ISO 8601" in bad.json["error"]["message"]
    other = client.post("/api/v1/waves", json={**body, "projects": ["NOPE"]}, headers=headers)
    assert other.status_code == 400

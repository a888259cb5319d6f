"""Per-person alerts and confidential waves: a confidential wave closing never re-raises or
names a per-person alert, and alerts left over from before (a wave made confidential later,
older rules) are hidden at once and withdrawn at the next evaluation."""

from __future__ import annotations

import importlib.util

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlmodel import select

from survey import db, digests, migrate, pm_actions, queries
from survey.api.tokens import issue
from survey.models import Alert, AlertStatus, Attribution, Audience, Project, Wave, utcnow
from tests.builders import make_project, make_relationship, make_user
from tests.conftest import csrf_token
from tests.pm_builders import add_wave, all_ratings
from workers import alerting, context

NAME = "Maria Secretary"


def _alerts(session, project: Project) -> list[Alert]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.exec(select(Alert).where(Alert.project_id == project.id).order_by(Alert.id)).all()
    )


def _wave(session, project, answers, *, months_ago, confidential=False):  # type: ignore[no-untyped-def]
    return add_wave(
        session,
        projects=[project],
        answers=answers,
        months_ago=months_ago,
        attribution=Attribution.confidential if confidential else Attribution.attributed,
    )


@pytest.fixture
def dropped(session):  # type: ignore[no-untyped-def]
    """LUNA: Maria's trust falls from 4 to 1 over two attributed waves (a named trust drop);
    three colleagues answer steadily."""
    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="LUNA", name="Luna Finance")
    maria = make_relationship(session, project=project, name=NAME, influence=4)
    others = [make_relationship(session, project=project, name=f"Colleague {n}") for n in range(3)]
    steady = [(r, all_ratings(4)) for r in others]
    first = _wave(session, project, [(maria, all_ratings(4)), *steady], months_ago=3)
    fall = {"satisfaction": 3, "trust": 1, "communication": 3, "partnership": 3}
    second = _wave(session, project, [(maria, fall), *steady], months_ago=2)
    return {"pm": pm, "project": project, "maria": maria, "others": others}, first, second


def _trust_drop(session, world) -> Alert:  # type: ignore[no-untyped-def]
    key = f"trust_drop:relationship:{world['maria'].id}"
    return next(a for a in _alerts(session, world["project"]) if a.key == key)


def _login(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    client.post(
        "/login",
        data={"email": "pm@example.com", "password": "demo", "csrf_token": csrf_token(page.text)},
    )


# The rules read each person's attributed waves only, and only their latest wave can raise a
# change, so a closing confidential wave leaves a gap that raises and refreshes nothing. These
# two pin that down; the rest cover alerts left over from before.


def test_a_per_person_alert_keeps_its_attributed_evidence(session, dropped):
    world, _first, second = dropped
    alert = _trust_drop(session, world)
    assert NAME in alert.message and alert.wave_id == second.id
    # A confidential wave closes: the alert stays on the attributed wave it came from.
    everyone = [world["maria"], *world["others"]]
    answers = [(r, all_ratings(1)) for r in everyone]
    _wave(session, world["project"], answers, months_ago=1, confidential=True)
    alerting.evaluate_project(session, project_id=world["project"].id)
    session.commit()
    assert _trust_drop(session, world).wave_id == second.id


def test_a_confidential_wave_does_not_bring_back_a_resolved_alert(session, dropped):
    world, _first, _second = dropped
    alert = _trust_drop(session, world)
    pm_actions.resolve(session, alert=alert, note="Talked it through", actor=world["pm"])
    session.commit()
    everyone = [world["maria"], *world["others"]]
    answers = [(r, all_ratings(1)) for r in everyone]
    _wave(session, world["project"], answers, months_ago=1, confidential=True)
    raised = alerting.evaluate_project(session, project_id=world["project"].id)
    session.commit()
    alerts = _alerts(session, world["project"])
    # Re-raising it now would email the PM a named alert timed with the confidential wave.
    assert not [a for a in alerts if a.id in raised and a.subject_kind == "relationship"]
    per_person = [a for a in alerts if a.subject_kind == "relationship"]
    assert [a.status for a in per_person] == [AlertStatus.resolved]


def _make_second_wave_confidential(session, second: Wave) -> None:
    wave = session.get(Wave, second.id)
    wave.attribution = Attribution.confidential
    session.add(wave)
    session.commit()


def test_an_alert_from_a_wave_made_confidential_later_is_not_shown(client, session, dropped):
    world, _first, second = dropped
    alert = _trust_drop(session, world)
    _make_second_wave_confidential(session, second)
    _login(client)
    for path in ("/projects/LUNA", "/alerts", f"/relationships/{world['maria'].id}"):
        page = client.get(path).text
        assert alert.message not in page, path
    token = issue(session, user=world["pm"])
    api = client.get("/api/v1/alerts", headers={"Authorization": f"Bearer {token}"}).get_json()
    assert alert.id not in {a["id"] for a in api["alerts"]}
    assert queries.alert_for(session, user=world["pm"], alert_id=alert.id) is None
    counts = queries.open_alert_counts(session, project_ids=[world["project"].id])
    assert counts.get(world["project"].id, 0) == 0
    now = utcnow()
    digest = digests.build(
        session,
        project=world["project"],
        audience=Audience.detailed,
        since=now.replace(year=now.year - 1),
        now=now,
    )
    assert all(NAME not in a.message for a in digest.open_alerts + digest.alerts_raised)


def test_the_next_evaluation_withdraws_it_without_the_name(client, session, dropped):
    world, _first, second = dropped
    alert = _trust_drop(session, world)
    _make_second_wave_confidential(session, second)
    withdrawn_ids = alerting.evaluate_project(session, project_id=world["project"].id)
    session.commit()
    session.expire_all()
    withdrawn = session.get(Alert, alert.id)
    assert withdrawn.status == AlertStatus.resolved and withdrawn.resolved_at is not None
    assert NAME not in withdrawn.message and "withdrawn" in withdrawn.message
    assert (withdrawn.subject_kind, withdrawn.subject_id) == ("project", world["project"].id)
    assert withdrawn.key == f"withdrawn:{alert.id}"
    # Only the first wave is attributed now: nothing left to raise about Maria.
    assert not [a for a in _alerts(session, world["project"]) if a.subject_kind == "relationship"]
    assert alert.id not in withdrawn_ids
    _login(client)
    page = client.get("/projects/LUNA").text
    assert "withdrawn" in page and NAME not in page.split('id="alerts"')[1].split("</section>")[0]
    # Running it again changes nothing.
    alerting.evaluate_project(session, project_id=world["project"].id)
    session.commit()
    session.expire_all()
    assert session.get(Alert, alert.id).message == withdrawn.message


def test_an_upgraded_database_re_evaluates_projects_with_such_alerts(session, dropped):
    world, _first, second = dropped
    alert = _trust_drop(session, world)
    _make_second_wave_confidential(session, second)
    project = session.get(Project, world["project"].id)
    assert project.alerts_evaluated_at is not None
    assert world["project"].id not in alerting.projects_due(session)
    path = migrate.MIGRATIONS / "versions" / "0013_recheck_confidential_alerts.py"
    spec = importlib.util.spec_from_file_location("recheck_confidential_alerts", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    engine = db.get_engine(str(session.get_bind().url))
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        migration.upgrade()
    session.expire_all()
    assert world["project"].id in alerting.projects_due(session)
    alerting.evaluate_due(context.settings())
    session.expire_all()
    assert session.get(Alert, alert.id).status == AlertStatus.resolved
    assert NAME not in session.get(Alert, alert.id).message

"""The PM's pages: portfolio quadrant, project health, alerts handling, status and actions."""

from __future__ import annotations

import json
import re

import pytest
from sqlmodel import select

from survey.models import (
    ActionStatus,
    Alert,
    AlertStatus,
    FollowUpAction,
    Role,
    Stakeholder,
    StatusReport,
)
from tests.builders import grant_project, make_project, make_relationship, make_user
from tests.conftest import csrf_token
from tests.pm_builders import add_wave, all_ratings, report_status

CHART_BLOCK = re.compile(
    r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', re.DOTALL
)
XSS = "<script>alert(1)</script>"


def _charts(page: str) -> dict[str, dict]:
    return {chart_id: json.loads(body) for chart_id, body in CHART_BLOCK.findall(page)}


@pytest.fixture
def portfolio(session):  # type: ignore[no-untyped-def]
    """FIN-ERP sinks while reported green; CRM-ROLL is healthy; HR-SELF belongs to another PM."""
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other.pm@example.com")
    viewer = make_user(session, email="viewer@example.com", role=Role.viewer)
    fin = make_project(session, pm=pm, code="FIN-ERP", name="Finance ERP replacement")
    grant_project(session, viewer=viewer, project=fin)
    crm = make_project(session, pm=pm, code="CRM-ROLL", name="Sales CRM rollout")
    hr = make_project(session, pm=other, code="HR-SELF", name="HR self-service portal")
    maria = make_relationship(session, project=fin, name="Maria Chen", influence=5, interest=4)
    tom = make_relationship(session, project=fin, name="Tom Reilly", influence=4, interest=5)
    sofia = make_relationship(session, project=crm, name="Sofia Lindqvist", influence=4)
    raj = make_relationship(session, project=hr, name="Raj Patel", influence=4)
    tom_person = session.get(Stakeholder, tom.stakeholder_id)
    tom_person.nervous = True
    session.add(tom_person)
    for project in (fin, crm, hr):
        report_status(session, project=project, status="green", note="On plan.")
    for months_ago, fin_rating, tom_answer in ((3, 4, True), (2, 3, False), (1, 1, False)):
        add_wave(
            session,
            projects=[fin, crm, hr],
            answers=[
                (maria, all_ratings(fin_rating, "The dates keep moving.")),
                (tom, all_ratings(4) if tom_answer else None),
                (sofia, all_ratings(5, "Great partnership, clear updates.")),
                (raj, all_ratings(4)),
            ],
            months_ago=months_ago,
        )
    return {"fin": fin, "crm": crm, "hr": hr, "maria": maria, "tom": tom}


def _login(client, email: str = "pm@example.com") -> None:  # type: ignore[no-untyped-def]
    page = client.get("/login")
    client.post(
        "/login", data={"email": email, "password": "demo", "csrf_token": csrf_token(page.text)}
    )


def _alert(session, project, rule: str) -> Alert:  # type: ignore[no-untyped-def]
    session.expire_all()
    return session.exec(
        select(Alert).where(Alert.project_id == project.id, Alert.rule == rule)
    ).one()


def test_portfolio_shows_the_watermelon_quadrant(client, portfolio):
    _login(client)
    page = client.get("/portfolio").text
    quadrant = _charts(page)["portfolio-quadrant"]
    points = {trace["text"][0]: trace for trace in quadrant["data"]}
    assert set(points) == {"FIN-ERP", "CRM-ROLL"}
    # Reported green (x = 3) on both, measured red for FIN-ERP and green for CRM-ROLL.
    assert round(points["FIN-ERP"]["x"][0]) == 3 and points["FIN-ERP"]["y"][0] < 50
    assert points["CRM-ROLL"]["y"][0] >= 70
    labels = [a["text"] for a in quadrant["layout"]["annotations"]]
    assert "Watermelon: green on paper, red inside" in labels
    assert quadrant["layout"]["xaxis"]["title"]["text"].startswith("Reported status")
    fin_row = page[page.index("FIN-ERP · Finance") : page.index("</tr>", page.index("FIN-ERP · F"))]
    assert "Watermelon" in fin_row and "↓ falling" in fin_row
    assert "How is this computed?" in page and "influence (1-5)" in page


def test_project_page_draws_health_next_to_reported_status_and_the_stakeholder_map(
    client, portfolio
):
    _login(client)
    page = client.get("/projects/FIN-ERP").text
    charts = _charts(page)
    assert set(charts) == {"project-health", "stakeholder-map", "project-trend", "project-themes"}
    traces = {t["name"]: t for t in charts["project-health"]["data"]}
    assert len(traces["Measured health"]["y"]) == 3
    assert traces["Reported status"]["y"] == [85.0]  # green, at the middle of the green band
    people = {t["name"]: t for t in charts["stakeholder-map"]["data"]}
    assert people["Tom Reilly"]["marker"]["symbol"] == "x"  # silent, influence 4
    assert people["Tom Reilly"]["marker"]["line"]["width"] == 3  # nervous
    assert (people["Maria Chen"]["x"][0], people["Maria Chen"]["y"][0]) == (4, 5)
    assert "<summary>How is this computed?</summary>" in page
    assert "Reported green but measured health" in page
    assert page.count('<svg class="spark"') == 2
    assert 'id="alerts"' in page and "silent stakeholder" in page


def _post(client, path: str, page_path: str, data: dict):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get(page_path).text)
    return client.post(path, data={**data, "csrf_token": token})


def test_acknowledge_then_resolve_an_alert(client, session, portfolio):
    _login(client)
    alert = _alert(session, portfolio["fin"], "watermelon")
    response = _post(client, f"/alerts/{alert.id}/acknowledge", "/projects/FIN-ERP", {"note": ""})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/projects/FIN-ERP#alerts")
    assert _alert(session, portfolio["fin"], "watermelon").status == AlertStatus.acknowledged

    # Resolving needs a note saying what was done.
    _post(client, f"/alerts/{alert.id}/resolve", "/projects/FIN-ERP", {"note": "  "})
    assert _alert(session, portfolio["fin"], "watermelon").status == AlertStatus.acknowledged
    _post(
        client,
        f"/alerts/{alert.id}/resolve",
        "/alerts",
        {"note": "Re-planned with the CFO", "back": "inbox"},
    )
    resolved = _alert(session, portfolio["fin"], "watermelon")
    assert resolved.status == AlertStatus.resolved and resolved.note == "Re-planned with the CFO"
    assert resolved.resolved_by_id is not None
    inbox = client.get("/alerts?status=resolved").text
    assert "Re-planned with the CFO" in inbox


def test_alert_forms_need_the_csrf_token(client, session, portfolio):
    _login(client)
    alert = _alert(session, portfolio["fin"], "watermelon")
    for action in ("acknowledge", "resolve"):
        response = client.post(f"/alerts/{alert.id}/{action}", data={"note": "no token"})
        assert response.status_code == 400
    assert _alert(session, portfolio["fin"], "watermelon").status == AlertStatus.open


def test_viewers_read_but_cannot_change(client, session, portfolio):
    _login(client, "viewer@example.com")
    page = client.get("/projects/FIN-ERP").text
    assert "Reported green but measured health" in page
    assert "Record status" not in page and "/acknowledge" not in page
    alert = _alert(session, portfolio["fin"], "watermelon")
    token = csrf_token(client.get("/portfolio").text)
    posts = [
        (f"/alerts/{alert.id}/acknowledge", {}),
        (f"/alerts/{alert.id}/resolve", {"note": "done"}),
        ("/projects/FIN-ERP/status", {"status": "red"}),
        ("/projects/FIN-ERP/actions", {"what": "Call the CFO"}),
        ("/projects/FIN-ERP/webhook", {"webhook_url": "https://example.com/hook"}),
    ]
    for path, data in posts:
        assert client.post(path, data={**data, "csrf_token": token}).status_code == 403, path
    assert _alert(session, portfolio["fin"], "watermelon").status == AlertStatus.open


def test_another_pm_gets_404_for_pages_and_forms(client, session, portfolio):
    _login(client, "other.pm@example.com")
    alert = _alert(session, portfolio["fin"], "watermelon")
    token = csrf_token(client.get("/portfolio").text)
    assert client.get("/projects/FIN-ERP").status_code == 404
    assert client.get(f"/relationships/{portfolio['maria'].id}").status_code == 404
    for path in (
        f"/alerts/{alert.id}/acknowledge",
        f"/alerts/{alert.id}/resolve",
        "/projects/FIN-ERP/status",
        "/projects/FIN-ERP/actions",
    ):
        response = client.post(path, data={"csrf_token": token, "note": "x", "status": "red"})
        assert response.status_code == 404, path
    inbox = client.get("/alerts").text
    assert "FIN-ERP" not in inbox and "Finance ERP" not in inbox


def test_record_status_from_the_project_page(client, session, portfolio):
    _login(client)
    before = client.get("/projects/FIN-ERP").text
    response = _post(
        client, "/projects/FIN-ERP/status", "/projects/FIN-ERP", {"status": "red", "note": "Honest"}
    )
    assert response.status_code == 302
    latest = session.exec(
        select(StatusReport)
        .where(StatusReport.project_id == portfolio["fin"].id)
        .order_by(StatusReport.id.desc())
    ).first()
    assert (latest.status, latest.note) == ("red", "Honest")
    page = client.get("/projects/FIN-ERP").text
    assert "watermelon-banner" in before
    # Red on paper and red measured: no watermelon banner (the raised alert stays until resolved).
    assert "watermelon-banner" not in page
    assert _charts(page)["project-health"]["data"][1]["y"] == [85.0, 25.0]
    bad = _post(client, "/projects/FIN-ERP/status", "/projects/FIN-ERP", {"status": "blue"})
    assert bad.status_code == 302
    assert "Status not saved" in client.get("/projects/FIN-ERP").text


def test_follow_up_action_from_an_alert_and_its_status(client, session, portfolio):
    _login(client)
    alert = _alert(session, portfolio["fin"], "watermelon")
    _post(
        client,
        "/projects/FIN-ERP/actions",
        "/projects/FIN-ERP",
        {
            "what": "Weekly call with Maria",
            "owner": "Dana",
            "due_on": "2030-01-31",
            "alert_id": alert.id,
        },
    )
    action = session.exec(select(FollowUpAction)).one()
    assert (action.alert_id, action.owner, str(action.due_on)) == (alert.id, "Dana", "2030-01-31")
    _post(client, f"/actions/{action.id}/status", "/projects/FIN-ERP", {"status": "done"})
    session.expire_all()
    done = session.get(FollowUpAction, action.id)
    assert done.status == ActionStatus.done and done.closed_at is not None
    # An alert of another project cannot be attached.
    other_alert = Alert(
        project_id=portfolio["hr"].id,
        key="x:project:1",
        rule="x",
        subject_kind="project",
        subject_id=1,
        severity="info",
        message="m",
    )
    session.add(other_alert)
    session.commit()
    response = _post(
        client,
        "/projects/FIN-ERP/actions",
        "/projects/FIN-ERP",
        {"what": "Sneaky", "alert_id": other_alert.id},
    )
    assert response.status_code == 404


def test_relationship_page_shows_changes_alerts_and_comments(client, portfolio):
    _login(client)
    page = client.get(f"/relationships/{portfolio['maria'].id}").text
    assert "Trends and changes" in page
    assert "dropped" in page  # trust fell from 3 to 1
    assert "trust drop" in page
    assert "The dates keep moving." in page


def test_stakeholder_names_stay_escaped_in_charts_and_pages(client, session, portfolio):
    person = session.get(Stakeholder, portfolio["maria"].stakeholder_id)
    person.name = XSS
    session.add(person)
    session.commit()
    _login(client)
    assert XSS not in client.get("/alerts").text
    for path in ("/projects/FIN-ERP", f"/relationships/{portfolio['maria'].id}"):
        page = client.get(path).text
        assert XSS not in page, path
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page, path
    charts = _charts(client.get("/projects/FIN-ERP").text)
    names = [t["name"] for t in charts["stakeholder-map"]["data"]]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in names
    assert all("<script" not in json.dumps(c) for c in charts.values())

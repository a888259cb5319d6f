"""The PM's dashboard: login, access rules, the project page and its chart."""

from __future__ import annotations

import json
import re
from pathlib import Path

import plotly
import pytest
from sqlmodel import select

from survey.models import CommentScore, Role, User
from tests.builders import (
    GOOD_ANSWERS,
    answer_pulse,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from tests.conftest import csrf_token
from workers.pipeline import drain_outbox

CHART_BLOCK = re.compile(
    r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', re.DOTALL
)


@pytest.fixture
def two_pms(session):  # type: ignore[no-untyped-def]
    """pm@example.com owns FIN-ERP; another PM owns HR-SELF."""
    mine = make_user(session, email="pm@example.com")
    theirs = make_user(session, email="other.pm@example.com")
    own = make_project(session, pm=mine, code="FIN-ERP", name="Finance ERP replacement")
    other = make_project(session, pm=theirs, code="HR-SELF", name="HR self-service portal")
    return own, other


def _cells(page: str, stakeholder: str) -> list[str]:
    """The plain cells of the one table row whose link names `stakeholder`."""
    rows = [r for r in re.findall(r"<tr>(.*?)</tr>", page, re.DOTALL) if f">{stakeholder}</a>" in r]
    assert len(rows) == 1, f"{stakeholder}: {len(rows)} rows"
    return re.findall(r"<td>([^<]*)</td>", rows[0])


def _logged_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/portfolio").status_code == 200


def test_wrong_password_shows_an_error_and_does_not_log_in(client, auth, session):
    make_user(session, email="pm@example.com", password="demo")
    response = auth.login(password="not-the-password")
    assert response.status_code == 401
    assert "Email or password is not right." in response.text
    assert not _logged_in(client)


def test_unknown_email_gets_the_same_error_as_a_wrong_password(client, auth, session):
    response = auth.login(email="nobody@example.com")
    assert response.status_code == 401
    assert "Email or password is not right." in response.text


def test_deactivated_user_cannot_log_in(client, auth, session):
    user = make_user(session, email="pm@example.com")
    user.active = False
    session.add(user)
    session.commit()
    assert auth.login().status_code == 401
    assert not _logged_in(client)


def test_login_without_csrf_token_is_rejected(client, session):
    make_user(session, email="pm@example.com")
    response = client.post("/login", data={"email": "pm@example.com", "password": "demo"})
    assert response.status_code == 400
    assert "security token" in response.text
    assert not _logged_in(client)


def test_login_lands_on_the_portfolio(client, auth, session):
    make_user(session, email="pm@example.com")
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/portfolio"
    assert _logged_in(client)


def test_pages_need_a_login(client, two_pms):
    own, _other = two_pms
    for path in ("/portfolio", f"/projects/{own.code}"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


def test_logout_ends_the_session(client, auth, session):
    make_user(session, email="pm@example.com")
    auth.login()
    page = client.get("/portfolio")
    response = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
    assert not _logged_in(client)


def test_logout_is_not_possible_with_a_get(client, auth, session):
    # A link (or an image tag on another site) must not log anyone out.
    make_user(session, email="pm@example.com")
    auth.login()
    assert client.get("/logout").status_code == 405
    assert _logged_in(client)


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example/phish",
        "/\t/evil.example/phish",
        "http:/evil.example",
    ],
)
def test_next_never_redirects_off_site(client, session, target):
    make_user(session, email="pm@example.com")
    page = client.get("/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": "pm@example.com", "password": "demo", "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/portfolio"


def test_next_to_a_local_page_is_followed(client, session, two_pms):
    page = client.get("/login")
    response = client.post(
        "/login",
        query_string={"next": "/projects/FIN-ERP"},
        data={"email": "pm@example.com", "password": "demo", "csrf_token": csrf_token(page.text)},
    )
    assert response.headers["Location"] == "/projects/FIN-ERP"


def test_portfolio_lists_only_the_pms_own_projects(client, auth, two_pms):
    auth.login()
    page = client.get("/portfolio").text
    assert "FIN-ERP" in page and "Finance ERP replacement" in page
    assert "HR-SELF" not in page and "HR self-service portal" not in page


def test_another_pms_project_page_is_not_found(client, auth, two_pms):
    auth.login()
    assert client.get("/projects/FIN-ERP").status_code == 200
    response = client.get("/projects/HR-SELF")
    assert response.status_code == 404
    assert "HR self-service portal" not in response.text


def test_another_pms_relationship_page_is_not_found(client, auth, session, two_pms):
    own, other = two_pms
    mine = make_relationship(session, project=own, name="Maria Chen")
    theirs = make_relationship(session, project=other, name="Raj Patel")
    auth.login()
    assert client.get(f"/relationships/{mine.id}").status_code == 200
    response = client.get(f"/relationships/{theirs.id}")
    assert response.status_code == 404
    assert "Raj Patel" not in response.text


def test_unknown_project_and_relationship_are_not_found(client, auth, two_pms):
    auth.login()
    assert client.get("/projects/NOPE").status_code == 404
    assert client.get("/relationships/999999").status_code == 404


def test_admin_sees_every_project(client, auth, session, two_pms):
    _own, other = two_pms
    make_user(session, email="admin@example.com", role=Role.admin)
    theirs = make_relationship(session, project=other, name="Raj Patel")
    auth.login(email="admin@example.com")
    page = client.get("/portfolio").text
    assert "FIN-ERP" in page and "HR-SELF" in page
    assert client.get("/projects/HR-SELF").status_code == 200
    assert client.get(f"/relationships/{theirs.id}").status_code == 200


def test_project_without_answers_says_the_chart_comes_later(client, auth, session, two_pms):
    own, _other = two_pms
    make_relationship(session, project=own, name="Maria Chen")
    auth.login()
    page = client.get("/projects/FIN-ERP").text
    assert "Maria Chen" in page
    assert "the chart appears after the first pulse comes back" in page
    # Only the stakeholder map, which places people by influence and interest before answers.
    assert [chart_id for chart_id, _ in CHART_BLOCK.findall(page)] == ["stakeholder-map"]


def test_project_page_shows_latest_scores_per_relationship_and_a_chart(
    app, client, auth, session, two_pms
):
    own, _other = two_pms
    maria = make_relationship(session, project=own, name="Maria Chen", influence=5)
    make_relationship(session, project=own, name="Tom Reilly", influence=2)
    earlier = make_wave(session, project=own, days_left=3)
    later = make_wave(session, project=own, days_left=9)
    earlier.title, later.title = "March pulse", "April pulse"
    session.add_all([earlier, later])
    session.commit()
    _inv, raw_march = make_invitation(session, wave=earlier, relationship=maria)
    _inv, raw_april = make_invitation(session, wave=later, relationship=maria)
    answer_pulse(app, raw_march, {**GOOD_ANSWERS, "satisfaction": "5", "trust": "5"})
    april = {**GOOD_ANSWERS, "satisfaction": "3", "trust": "1", "comment": "Terrible, late again."}
    answer_pulse(app, raw_april, april)
    drain_outbox()
    april_score = session.exec(select(CommentScore).order_by(CommentScore.id.desc())).first()
    assert april_score is not None and april_score.polarity < 0

    auth.login()
    page = client.get("/projects/FIN-ERP").text
    # influence / interest, satisfaction, trust, sentiment, answers: April's values, not March's
    maria = ["5 / 3", "3.0", "1.0", f"{april_score.polarity:.2f}", "1"]
    assert _cells(page, "Maria Chen")[:5] == maria
    assert _cells(page, "Tom Reilly")[:5] == ["2 / 3", "–", "–", "–", "0"]

    blocks = dict(CHART_BLOCK.findall(page))
    assert "project-trend" in blocks
    figure = json.loads(blocks["project-trend"])
    traces = {trace["name"]: trace for trace in figure["data"]}
    assert set(traces) >= {"Satisfaction", "Trust", "Communication", "Partnership"}
    assert traces["Satisfaction"]["x"] == ["March pulse", "April pulse"]
    assert traces["Satisfaction"]["y"] == [5.0, 3.0]
    assert traces["Trust"]["y"] == [5.0, 1.0]
    sentiment = traces["Comment sentiment"]
    assert sentiment["yaxis"] == "y2"
    assert sentiment["y"][1] == pytest.approx(april_score.polarity)


def test_chart_pages_load_plotly_locally_and_have_no_inline_script(
    app, client, auth, session, two_pms
):
    own, _other = two_pms
    relationship = make_relationship(session, project=own)
    wave = make_wave(session, project=own)
    _inv, raw = make_invitation(session, wave=wave, relationship=relationship)
    answer_pulse(app, raw, GOOD_ANSWERS)
    drain_outbox()
    auth.login()
    for path in ("/portfolio", "/projects/FIN-ERP", f"/relationships/{relationship.id}"):
        response = client.get(path)
        assert response.status_code == 200
        assert "script-src 'self'" in response.headers["Content-Security-Policy"]
        scripts = re.findall(r"<script([^>]*)>", response.text)
        assert scripts, path
        assert '<script src="/vendor/plotly.min.js"></script>' in response.text, path
        # The CSP forbids inline code: every script is a local file or an inert JSON block.
        for attributes in scripts:
            assert 'src="/' in attributes or 'type="application/json"' in attributes, path
        assert CHART_BLOCK.search(response.text), path


def test_plotly_js_is_served_from_the_installed_package(client):
    response = client.get("/vendor/plotly.min.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert response.data == bundled.read_bytes()
    assert response.cache_control.max_age and response.cache_control.max_age > 0


def test_logout_invalidates_a_copied_session_cookie(app, session, auth, client):
    from tests.builders import make_user

    make_user(session, email="leaky@example.com")
    auth.login("leaky@example.com", "demo")
    cookie = client.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/portfolio").status_code == 200
    page = client.get("/portfolio")
    logout = client.post("/logout", data={"csrf_token": csrf_token(page.text)})
    assert logout.status_code == 302
    assert thief.get("/portfolio").status_code == 302  # back to the login page


def test_login_starts_a_fresh_session(app, session, client):
    from tests.builders import make_user

    make_user(session, email="fresh@example.com")
    with client.session_transaction() as planted:
        planted["planted"] = "by an attacker"
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "email": "fresh@example.com",
            "password": "demo",
            "csrf_token": csrf_token(page.text),
        },
    )
    with client.session_transaction() as after:
        assert "planted" not in after
        assert after["_user_id"].startswith(
            f"{session.exec(select(User).where(User.email == 'fresh@example.com')).one().id}:"
        )

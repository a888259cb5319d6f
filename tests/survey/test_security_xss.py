"""Hostile text in comments, names, project names and notes renders inert everywhere."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from sqlmodel import select

from survey.config import load_settings
from survey.csv_safety import neutralise
from survey.models import Invitation, Rag, Stakeholder, StatusReport
from tests.builders import GOOD_ANSWERS, make_invited, make_user
from tests.conftest import csrf_token
from tests.hostile_text import IMG, PAYLOAD, SCRIPT, TEMPLATE, assert_inert


@pytest.fixture
def hostile(app, session):  # type: ignore[no-untyped-def]
    """A project, stakeholder, status note and comment all carrying the payloads."""
    invitation, raw, project = make_invited(session)
    pm = make_user(session, email="pm@example.com")
    project.pm_id = pm.id
    project.name = f"ERP {SCRIPT} {IMG}"[:200]
    stakeholder = session.exec(select(Stakeholder)).one()
    stakeholder.name = f"Eve {IMG}"[:120]
    session.add_all([project, stakeholder])
    session.add(
        StatusReport(
            project_id=project.id, reported_on=date.today(), status=Rag.green, note=PAYLOAD
        )
    )
    session.commit()
    client = app.test_client()
    page = client.get(f"/s/{raw}")
    data = {**GOOD_ANSWERS, "comment": PAYLOAD, "csrf_token": csrf_token(page.text)}
    assert client.post(f"/s/{raw}", data=data).status_code == 303
    from workers import pipeline

    pipeline.drain_outbox()
    return {"raw": raw, "project": project, "invitation_id": invitation.id}


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _chart_blocks(html: str) -> list[str]:
    return re.findall(r'<script type="application/json"[^>]*>(.*?)</script>', html, re.S)


def test_capture_pages_show_hostile_names_as_text(hostile, client):
    for path in (f"/s/{hostile['raw']}", f"/s/{hostile['raw']}/thanks"):
        page = client.get(path)
        assert page.status_code == 200
        assert_inert(page.text)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text


def test_comment_is_kept_verbatim_in_the_form_but_inert(hostile, client):
    page = client.get(f"/s/{hostile['raw']}")
    assert_inert(page.text)
    assert TEMPLATE in page.text  # shown literally, never evaluated as a template
    assert "49" not in re.sub(r"\d{3,}", "", page.text.split("<textarea", 1)[1][:3000])


@pytest.mark.parametrize("path", ["/portfolio", "/projects/{code}", "/relationships/{rel}"])
def test_dashboard_pages_render_hostile_text_inert(hostile, client, auth, session, path):
    from survey.models import Relationship

    rel = session.exec(select(Relationship)).one()
    auth.login("pm@example.com", "demo")
    page = client.get(path.format(code=hostile["project"].code, rel=rel.id))
    assert page.status_code == 200
    assert_inert(page.text)
    assert "&lt;img src=x" in page.text or "\\u003cimg src=x" in page.text


def test_plotly_figure_json_cannot_close_its_script_block(hostile, client, auth):
    auth.login("pm@example.com", "demo")
    page = client.get(f"/projects/{hostile['project'].code}")
    blocks = _chart_blocks(page.text)
    assert blocks, "the project page should carry its chart"
    titles = []
    for block in blocks:
        assert "<" not in block  # so neither </script> nor <!-- can end the block early
        figure = json.loads(block)
        titles.append(figure["layout"]["title"]["text"])
        # Plotly draws titles and hover text as (a subset of) HTML: names must arrive escaped.
        raw_markup = [t for t in _strings(figure) if "<img" in t or "<script" in t]
        assert not raw_markup, raw_markup
    assert not [t for t in titles if "<script>" in t or "<img" in t]
    everything = [t for block in blocks for t in _strings(json.loads(block))]
    assert any("Eve &quot;&gt;&lt;img" in t or "Eve &#34;&gt;&lt;img" in t for t in everything)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in t for t in titles), titles


def test_invitation_email_escapes_html_and_keeps_headers_single_line(hostile, session):
    from workers import invitations

    project = hostile["project"]
    project.name = "ERP\r\nBcc: victim@example.com <b>"
    session.add(project)
    session.commit()
    invitation = session.get(Invitation, hostile["invitation_id"])
    message = invitations.compose(load_settings(), session, invitation)
    html = message.get_body(preferencelist=("html",)).get_content()
    assert_inert(html)
    assert "&lt;img src=x" in html or "&#34;&gt;&lt;img" in html
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message["Bcc"] is None
    assert "victim@example.com" not in str(message["To"])


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("plain words", "plain words"),
        ("a=b", "a=b"),
        ("", ""),
        (-0.5, -0.5),
        (3, 3),
        (None, None),
    ],
)
def test_neutralise_prefixes_only_cells_a_spreadsheet_would_evaluate(cell, expected):
    assert neutralise(cell) == expected


def test_lessons_csv_export_has_no_live_formula(app, client, auth, session):
    from tests.builders import make_project

    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="CSV1")
    auth.login("pm@example.com", "demo")
    for text in ('=HYPERLINK("http://evil","click")', "@SUM(1+1)", "+cmd|' /C calc'!A0", PAYLOAD):
        token = csrf_token(client.get("/portfolio").text)
        reply = client.post(
            f"/projects/{project.code}/lessons", data={"text": text, "csrf_token": token}
        )
        assert reply.status_code in (302, 303)
    export = client.get("/lessons.csv")
    assert export.status_code == 200
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    cells = [cell for row in rows[1:] for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), cell
        assert not (cell.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", cell)), cell

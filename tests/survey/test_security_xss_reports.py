"""Hostile text stays inert in what leaves the web pages: the review pack (HTML, PDF, CSV)
and every audience's digest email."""

from __future__ import annotations

import csv
import io
import re
import subprocess
from datetime import date, timedelta
from email.utils import getaddresses

import pytest
from sqlmodel import select

from survey import digests, plans, review_render, reviews
from survey.config import load_settings
from survey.models import (
    ActionStatus,
    Audience,
    FollowUpAction,
    Frequency,
    Lesson,
    LessonKind,
    Rag,
    Response,
    Stakeholder,
    StatusReport,
)
from survey.quarters import Quarter
from tests.hostile_text import IMG, PAYLOAD, SCRIPT, assert_inert
from tests.report_builders import utc
from tests.survey.review_fixture import fixture_project
from workers import digests as digest_jobs

FORMULA = '=HYPERLINK("http://evil","x")'
Q1 = Quarter.parse("2026Q1")
NOW = utc(2026, 3, 12, 11)


@pytest.fixture
def hostile_project(session):  # type: ignore[no-untyped-def]
    """The review fixture with payloads in every free-text field a report shows."""
    _pm, project, _alice, _bob = fixture_project(session)
    project.name = f"ERP {SCRIPT}"
    session.add(project)
    for stakeholder in session.exec(select(Stakeholder)).all():
        stakeholder.name = f"{stakeholder.name} {IMG}"[:120]
        session.add(stakeholder)
    for response in session.exec(select(Response)).all():
        if response.comment:
            response.comment = f"{response.comment} {PAYLOAD}"
            session.add(response)
    when = utc(2026, 3, 11)
    session.add_all(
        [
            StatusReport(
                project_id=project.id, reported_on=date(2026, 3, 11), status=Rag.green, note=PAYLOAD
            ),
            FollowUpAction(
                project_id=project.id,
                what=f"{FORMULA} {PAYLOAD}",
                owner=IMG,
                status=ActionStatus.done,
                created_at=when,
            ),
            Lesson(project_id=project.id, kind=LessonKind.note, text=PAYLOAD, recorded_at=when),
        ]
    )
    session.commit()
    return project


def test_review_pack_html_shows_payloads_as_text(session, hostile_project):
    page = review_render.html(reviews.build(session, project=hostile_project, quarter=Q1))
    assert_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the project name, escaped
    assert "&lt;img src=x" in page  # a stakeholder's name or a comment, escaped


def test_review_pack_pdf_prints_payloads_as_text_and_carries_no_script(
    session, hostile_project, tmp_path
):
    pdf = review_render.pdf(reviews.build(session, project=hostile_project, quarter=Q1))
    assert pdf.startswith(b"%PDF")
    for marker in (b"/JavaScript", b"/JS ", b"/Launch", b"/OpenAction", b"javascript:"):
        assert marker not in pdf, marker
    path = tmp_path / "pack.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(
        ["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # Escaped on the way in, so WeasyPrint typeset the markup as visible characters.
    assert "<script>alert(1)</script>" in text


def test_review_pack_csv_neutralises_formulas_in_every_text_cell(session, hostile_project):
    rows = list(
        csv.reader(
            io.StringIO(
                review_render.to_csv(reviews.build(session, project=hostile_project, quarter=Q1))
            )
        )
    )
    cells = [cell for row in rows for cell in row]
    assert cells, "the CSV should carry the pack's numbers"
    live = [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r") or re.match(r"-\D", c)]
    assert not live, live


@pytest.mark.parametrize("audience", [Audience.summary, Audience.detailed, Audience.statistical])
def test_every_digest_email_escapes_payloads_and_keeps_headers_single_line(
    session, hostile_project, audience
):
    hostile_project.name = f"ERP\r\nBcc: victim@example.com {SCRIPT}"
    session.add(hostile_project)
    session.commit()
    digest = digests.build(
        session, project=hostile_project, audience=audience, since=NOW - timedelta(days=30), now=NOW
    )
    line = plans.PlanLine(
        recipient="stakeholder:1",
        name=f"Reader {IMG}\r\nCc: victim@example.com",
        email="reader@example.com",
        role="Business lead",
        audience=audience,
        frequency=Frequency.weekly,
        is_default=False,
    )
    message = digest_jobs.compose(load_settings(), line, digest, "2026-W11")
    html = message.get_body(preferencelist=("html",)).get_content()
    assert_inert(html)
    if audience == Audience.detailed:  # the one that quotes comments and names
        assert "&lt;img src=x" in html or "&#34;&gt;&lt;img" in html
    for header in ("Subject", "To", "From"):
        assert "\n" not in str(message[header]) and "\r" not in str(message[header])
    assert message["Bcc"] is None and message["Cc"] is None
    # The name may keep the words, quoted, but the only address is the reader's.
    assert [addr for _name, addr in getaddresses([str(message["To"])])] == ["reader@example.com"]

"""The quarterly review pack: numbers against a hand-computed fixture, PDF text, CSV safety,
confidential waves, the web page and the CLI."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import date

import pytest

from analysis.privacy import NOT_ENOUGH
from survey import review_render, reviews
from survey.csv_safety import neutralise
from survey.models import Rag, StatusReport
from survey.quarters import Quarter
from tests.builders import make_user
from tests.report_builders import answer, closed_wave, person, utc
from tests.survey.review_fixture import fixture_project

Q1 = Quarter.parse("2026Q1")


def test_quarter_parsing_and_ranges():
    assert Q1.start == utc(2026, 1, 1, 0) and Q1.end == utc(2026, 4, 1, 0)
    assert str(Q1.previous()) == "2025Q4" and str(Quarter.parse("2025q4").next()) == "2026Q1"
    assert Quarter.last_finished(utc(2026, 4, 2)) == Q1
    with pytest.raises(ValueError):
        Quarter.parse("2026Q5")


def test_review_numbers_equal_the_hand_computed_fixture(session):
    _pm, project, _a, _b = fixture_project(session)
    pack = reviews.build(session, project=project, quarter=Q1)
    this, last = pack.project_row.this, pack.project_row.last
    # Pooled over the three 2026Q1 answers: (4+5+2)/3, (4+4+2)/3, (3+4+2)/3, (5+5+2)/3.
    assert this.dimensions == pytest.approx(
        {"satisfaction": 11 / 3, "trust": 10 / 3, "communication": 3.0, "partnership": 4.0}
    )
    assert this.answers == 3 and last.answers == 2
    assert this.sentiment == pytest.approx(0.1)  # (0.5 + 0.3 - 0.5) / 3
    alice, bob = pack.rows
    # Alice: trust .75*25 + satisfaction .875*20 + partnership 1*15 + communication .625*15
    #        + sentiment (0.4+1)/2*15 + engagement 2/2*10 = 81.125
    assert alice.this.health == pytest.approx(81.125)
    # Bob: every rating 2 -> .25, sentiment -0.5 -> .25 (90% of the weight), engagement 1/2.
    assert bob.this.health == pytest.approx(27.5)
    # Last quarter: Alice 53.5; Bob (no comment) (.75*.75 + .1) / .85.
    assert alice.last.health == pytest.approx(53.5)
    assert bob.last.health == pytest.approx((0.75 * 0.75 + 0.1) / 0.85 * 100)
    # Project health is influence-weighted: (81.125*4 + 27.5*2) / 6 = 63.25.
    assert this.health == pytest.approx(63.25)
    assert last.health == pytest.approx((53.5 * 4 + bob.last.health * 2) / 6)
    themes = {t.theme: t for t in pack.themes}
    assert (themes["communication"].count, themes["communication"].count_last) == (2, 1)
    assert themes["communication"].direction == "better"
    assert themes["estimates"].direction == "new"
    kinds = {q.kind: q for q in pack.quotes}
    assert kinds["Most positive"].text == "Great weekly demos with us."
    assert kinds["Most negative"].who == "Bob Quill"
    assert "Most discussed theme: communication" in kinds
    assert any("Communication fell from 3.5 to 3.0" in p for p in pack.agenda)


def test_status_reports_are_checked_against_measured_health(session):
    _pm, project, _a, _b = fixture_project(session)
    session.add(StatusReport(project_id=project.id, reported_on=date(2026, 3, 20), status=Rag.red))
    session.commit()
    pack = reviews.build(session, project=project, quarter=Q1)
    [check] = pack.status_checks
    assert check.status == "red" and check.health is not None
    assert pack.verdict is not None and pack.verdict.reported_on == date(2026, 3, 20)


def test_pdf_opens_and_its_text_has_the_headings_and_figures(session, tmp_path):
    _pm, project, _a, _b = fixture_project(session)
    pack = reviews.build(session, project=project, quarter=Q1)
    path = tmp_path / "pack.pdf"
    path.write_bytes(review_render.pdf(pack))
    assert path.read_bytes().startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    for heading in (
        "Relationship review 2026Q1",
        "Health and dimensions",
        "Themes",
        "You said, we did",
        "Agenda for the review meeting",
    ):
        assert heading in text
    assert "63" in text and "81" in text and "Alice Zephyr" in text  # health and a name


def test_csv_has_the_numbers_and_neutralises_formulas(session):
    _pm, project, _a, _b = fixture_project(session)
    pack = reviews.build(session, project=project, quarter=Q1)
    rows = list(csv.reader(io.StringIO(review_render.to_csv(pack))))
    project_health = [
        r for r in rows if r[0] == "project" and r[2] == "health" and r[3] == "2026Q1"
    ]
    assert project_health == [["project", "Fixture ERP", "health", "2026Q1", "63.25", "3"]]
    assert any(r[0] == "theme" and r[1] == "communication" and r[4] == "2" for r in rows)
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "@")), cell
            assert not (cell.startswith("-") and not _number(cell)), cell


def _number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("cell", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=x"])
def test_neutralise_prefixes_formula_cells(cell):
    assert neutralise(cell) == "'" + cell
    assert neutralise("plain") == "plain" and neutralise(-0.5) == -0.5


def test_a_stakeholder_named_like_a_formula_is_neutralised_in_the_csv(session):
    _pm, project, alice, _b = fixture_project(session)
    from survey.models import Stakeholder

    stakeholder = session.get(Stakeholder, alice.stakeholder_id)
    stakeholder.name = "@SUM(1+1)"
    session.add(stakeholder)
    session.commit()
    text = review_render.to_csv(reviews.build(session, project=project, quarter=Q1))
    assert "'@SUM(1+1)" in text and "\n@SUM" not in text and ",@SUM" not in text


def test_confidential_waves_show_groups_not_names_and_hide_small_groups(session):
    _pm, project, _a, _b = fixture_project(session, confidential=True)
    pack = reviews.build(session, project=project, quarter=Q1)
    assert pack.rows_are_groups and {r.subject for r in pack.rows} == {"Finance", "Sales"}
    assert not any(r.this.shown for r in pack.rows)  # one person each: below three
    assert not pack.project_row.this.shown  # two people in all
    assert pack.quotes == [] and pack.themes == []
    html = review_render.html(pack)
    text = review_render.to_csv(pack)
    for output in (html, text):
        assert "Alice Zephyr" not in output and "Bob Quill" not in output
        assert "Great weekly demos" not in output
        assert NOT_ENOUGH in output
    assert "63.25" not in text and "81.125" not in text


def test_confidential_groups_of_three_are_shown_without_names(session):
    pm = make_user(session)
    from tests.builders import make_project

    project = make_project(session, pm=pm, code="CONF")
    people = [
        person(session, project=project, name=f"Finance {i}", unit="Finance") for i in range(3)
    ]
    people += [person(session, project=project, name=f"Sales {i}", unit="Sales") for i in range(3)]
    wave = closed_wave(session, project=project, closes=utc(2026, 2, 1), invite=people,
                       confidential=True)  # fmt: skip
    for i, rel in enumerate(people):
        answer(session, wave=wave, relationship=rel, ratings=(4, 4, 4, 4),
               comment=f"Comment number {i}", polarity=0.2, themes="quality")  # fmt: skip
    pack = reviews.build(session, project=project, quarter=Q1)
    assert all(r.this.shown and r.this.answers == 3 for r in pack.rows)
    assert pack.quotes and all(q.who == reviews.ANONYMOUS for q in pack.quotes)
    html = review_render.html(pack)
    assert "Finance 0" not in html and "Sales 2" not in html


def test_review_page_pdf_and_csv_for_the_pm_only(app, client, auth, session):
    pm, project, _a, _b = fixture_project(session)
    other = make_user(session, email="other-pm@example.com")
    auth.login(pm.email)
    page = client.get(f"/projects/{project.code}/reviews/2026Q1")
    assert page.status_code == 200 and "Relationship review 2026Q1" in page.text
    assert "<script" not in page.text
    pdf = client.get(f"/projects/{project.code}/reviews/2026Q1/pack.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert client.get(f"/projects/{project.code}/reviews/2026Q1/pack.csv").mimetype == "text/csv"
    assert client.get(f"/projects/{project.code}/reviews/2026Q9").status_code == 404
    client.post("/logout")
    auth.login(other.email)
    assert client.get(f"/projects/{project.code}/reviews/2026Q1").status_code == 404


def test_cli_writes_html_pdf_and_csv(session, rapport_env, tmp_path):
    from click.testing import CliRunner

    from survey.cli import main

    _pm, project, _a, _b = fixture_project(session)
    runner = CliRunner()
    for fmt, magic in (("html", b"<!doctype html>"), ("pdf", b"%PDF"), ("csv", b"section,")):
        out = tmp_path / f"pack.{fmt}"
        result = runner.invoke(
            main,
            [
                "review",
                "--project",
                project.code,
                "--quarter",
                "2026Q1",
                "--format",
                fmt,
                "-o",
                str(out),
            ],  # fmt: skip
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(magic)
    bad = runner.invoke(main, ["review", "--project", "NOPE", "--quarter", "2026Q1", "-o", "x"])
    assert bad.exit_code == 1 and "no project" in bad.output

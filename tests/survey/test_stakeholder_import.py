"""Stakeholder CSV import (page and `rapport stakeholder import`) and export."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from survey.cli import main
from survey.models import AuditEntry, Relationship, Role, Stakeholder
from tests.builders import make_project, make_relationship, make_user
from tests.conftest import csrf_token

HEADER = "name,email,title,business_unit,kind,influence,interest,nervous,project_code,role\n"
GOOD = (
    HEADER
    + "Ada Ng,ada@example.com,Head of Finance,Finance,business,5,4,yes,FIN-ERP,Business lead\n"
    + "Ben Ito,ben@example.com,CIO,IT,it_executive,4,3,no,,\n"
)


@pytest.fixture
def setup(session):  # type: ignore[no-untyped-def]
    pm = make_user(session, email="pm@example.com")
    other = make_user(session, email="other@example.com")
    make_user(session, email="viewer@example.com", role=Role.viewer)
    own = make_project(session, pm=pm, code="FIN-ERP")
    theirs = make_project(session, pm=other, code="HR-SELF")
    raj = make_relationship(session, project=theirs, name="Raj Patel")
    return {"own": own, "theirs": theirs, "raj": session.get(Stakeholder, raj.stakeholder_id)}


def _people(session) -> dict[str, Stakeholder]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return {s.email: s for s in session.exec(select(Stakeholder))}


def _upload(client, auth, text: str, dry_run: bool = False):  # type: ignore[no-untyped-def]
    auth.login("pm@example.com")
    page = client.get("/setup/stakeholders/import")
    data = {
        "file": (io.BytesIO(text.encode()), "people.csv"),
        "csrf_token": csrf_token(page.text),
    }
    if dry_run:
        data["dry_run"] = "yes"
    return client.post("/setup/stakeholders/import", data=data, content_type="multipart/form-data")


def test_import_creates_links_and_audits(client, auth, session, setup):
    reply = _upload(client, auth, GOOD)
    assert reply.status_code == 302, reply.text
    people = _people(session)
    ada = people["ada@example.com"]
    assert (ada.influence, ada.interest, ada.nervous, ada.title) == (5, 4, True, "Head of Finance")
    assert people["ben@example.com"].kind == "it_executive"
    link = session.exec(select(Relationship).where(Relationship.stakeholder_id == ada.id)).one()
    assert (link.project_id, link.role, link.active) == (setup["own"].id, "Business lead", True)
    listing = client.get("/setup/stakeholders")
    assert "Imported: 2 new, 0 updated, 1 put on projects." in listing.text
    assert "Ben Ito" in listing.text  # added by this PM, so theirs to see


def test_import_updates_by_email_and_reactivates_the_link(client, auth, session, setup):
    _upload(client, auth, GOOD)
    ada = _people(session)["ada@example.com"]
    link = session.exec(select(Relationship).where(Relationship.stakeholder_id == ada.id)).one()
    link.active = False
    session.add(link)
    session.commit()
    again = HEADER + "Ada Ng-Smith,ADA@example.com,CFO,Finance,business,3,5,no,FIN-ERP,Sponsor\n"
    assert _upload(client, auth, again).status_code == 302
    people = _people(session)
    assert len(people) == 3  # Raj, Ada, Ben: no duplicate Ada
    ada = people["ada@example.com"]
    assert (ada.name, ada.title, ada.influence, ada.nervous) == ("Ada Ng-Smith", "CFO", 3, False)
    session.expire_all()
    link = session.exec(select(Relationship).where(Relationship.stakeholder_id == ada.id)).one()
    assert (link.role, link.active) == ("Sponsor", True)


BAD_ROWS = [
    ("Ada,not-an-email,,,business,3,3,no,,\n", "row 2: email: is not a valid email address"),
    ("Ada,a@example.com,,,vendor,3,3,no,,\n", "row 2: kind: must be one of"),
    ("Ada,a@example.com,,,business,9,3,no,,\n", "row 2: influence: must be from 1 to 5"),
    ("Ada,a@example.com,,,business,3,high,no,,\n", "row 2: interest: must be a whole number"),
    ("Ada,a@example.com,,,business,3,3,maybe,,\n", "row 2: nervous:"),
    (",a@example.com,,,business,3,3,no,,\n", "row 2: name: must not be empty"),
    (
        "Ada,a@example.com,,,business,3,3,no,HR-SELF,Lead\n",
        "row 2: project_code: no project HR-SELF",
    ),
    ("Ada,a@example.com,,,business,3,3,no,NOPE,\n", "row 2: project_code: no project NOPE"),
    ("Ada,a@example.com,,,business,3,3,no,,Lead\n", "row 2: role: give a project_code"),
    ("Raj,{raj},,,business,3,3,no,,\n", "row 2: email: belongs to a stakeholder on another PM"),
    ("Ada,a@example.com,,,business,3,3,no,,,extra\n", "row 2: more cells than columns"),
]


@pytest.mark.parametrize(("row", "message"), BAD_ROWS)
def test_a_bad_row_is_reported_and_the_good_row_imported(
    client, auth, session, setup, row, message
):
    good = "Zed Good,zed@example.com,,,business,3,3,no,FIN-ERP,Lead\n"
    text = HEADER + row.replace("{raj}", setup["raj"].email) + good
    reply = _upload(client, auth, text)
    assert reply.status_code == 200, reply.text
    assert "Imported 1 new, 0 updated, 1 put on projects; 1 row not imported" in reply.text
    assert message in reply.text, reply.text
    people = _people(session)
    assert set(people) == {setup["raj"].email, "zed@example.com"}  # the bad row's Ada is not
    link = session.exec(
        select(Relationship).where(Relationship.stakeholder_id == people["zed@example.com"].id)
    ).one()
    assert (link.project_id, link.role) == (setup["own"].id, "Lead")
    raj = people[setup["raj"].email]
    assert (raj.name, raj.influence) == ("Raj Patel", 3)  # another PM's person: untouched


def test_every_bad_row_is_reported_with_its_number(client, auth, session, setup):
    text = (
        HEADER
        + "Ada,ada@example.com,,,business,3,3,no,,\n"
        + "Bad One,bad,,,business,3,3,no,,\n"
        + "Ada Again,ADA@example.com,,,business,3,3,no,,\n"
        + "Bad Two,b2@example.com,,,business,0,3,no,,\n"
    )
    reply = _upload(client, auth, text)
    assert reply.status_code == 200
    assert "3 rows not imported" in reply.text
    assert "row 3: email" in reply.text
    assert "row 4: email: also on row 2" in reply.text
    assert "row 5: influence" in reply.text
    assert "row 2:" not in reply.text
    assert set(_people(session)) == {setup["raj"].email, "ada@example.com"}


def test_a_file_of_bad_rows_only_imports_nothing(client, auth, session, setup):
    text = HEADER + "Bad One,bad,,,business,3,3,no,,\n" + "Bad Two,b2@example.com,,,x,3,3,no,,\n"
    reply = _upload(client, auth, text)
    assert reply.status_code == 400
    assert "Nothing was imported: 2 rows rejected" in reply.text
    assert "row 2: email" in reply.text and "row 3: kind" in reply.text
    assert set(_people(session)) == {setup["raj"].email}


def test_a_later_row_may_stand_in_for_a_rejected_one(client, auth, session, setup):
    text = (
        HEADER
        + "Ada,ada@example.com,,,business,3,3,no,NOPE,\n"
        + "Ada Ng,ada@example.com,,,business,4,3,no,FIN-ERP,Lead\n"
    )
    reply = _upload(client, auth, text)
    assert reply.status_code == 200
    assert "row 2: project_code: no project NOPE" in reply.text
    assert "also on row" not in reply.text
    assert _people(session)["ada@example.com"].influence == 4


def test_importing_a_mixed_file_again_duplicates_no_one(client, auth, session, setup):
    mixed = GOOD + "Bad,bad-email,,,business,3,3,no,,\n"
    first = _upload(client, auth, mixed)
    assert first.status_code == 200 and "Imported 2 new" in first.text
    fixed = GOOD + "Bad,cy@example.com,,,business,3,3,no,FIN-ERP,Sponsor\n"
    again = _upload(client, auth, fixed)
    assert again.status_code == 302  # every row good now: back to the list
    people = _people(session)
    assert set(people) == {
        setup["raj"].email,
        "ada@example.com",
        "ben@example.com",
        "cy@example.com",
    }
    links = session.exec(select(Relationship).where(Relationship.project_id == setup["own"].id))
    assert sorted(r.role for r in links) == ["Business lead", "Sponsor"]
    assert (
        "Imported: 1 new, 2 updated, 2 put on projects." in client.get("/setup/stakeholders").text
    )


def test_dry_run_of_a_mixed_file_reports_and_saves_nothing(client, auth, session, setup):
    reply = _upload(client, auth, GOOD + "Bad,bad-email,,,business,3,3,no,,\n", dry_run=True)
    assert reply.status_code == 400
    assert "1 row would not be imported; nothing saved yet" in reply.text
    assert "would add 2 new stakeholders, update 0 and put 1 on projects" in reply.text
    assert "row 4: email: is not a valid email address" in reply.text
    assert set(_people(session)) == {setup["raj"].email}


def test_the_audit_log_counts_rejected_rows(client, auth, session, setup):
    _upload(client, auth, GOOD + "Bad,bad-email,,,business,3,3,no,,\n")
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "stakeholders.import")).one()
    assert entry.detail["created"] == 2 and entry.detail["rejected"] == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("full_name,email\nAda,a@example.com\n", "missing column name"),
        ("name,email,colour\nAda,a@example.com,red\n", "unknown column &#39;colour&#39;"),
        (HEADER, "the file has no stakeholder rows"),
        ("", "missing column name"),
    ],
)
def test_bad_header_or_empty_file_is_rejected(client, auth, session, setup, text, message):
    reply = _upload(client, auth, text)
    assert reply.status_code == 400 and message in reply.text, reply.text
    assert set(_people(session)) == {setup["raj"].email}


def test_non_utf8_file_is_a_clear_error(client, auth, session, setup):
    auth.login("pm@example.com")
    page = client.get("/setup/stakeholders/import")
    data = {
        "file": (io.BytesIO(HEADER.encode() + "Zoë,z@example.com\n".encode("latin-1")), "x.csv"),
        "csrf_token": csrf_token(page.text),
    }
    reply = client.post("/setup/stakeholders/import", data=data)
    assert reply.status_code == 400 and "not UTF-8" in reply.text
    assert set(_people(session)) == {setup["raj"].email}


def test_upload_without_a_file_says_so(client, auth, session, setup):
    auth.login("pm@example.com")
    page = client.get("/setup/stakeholders/import")
    reply = client.post("/setup/stakeholders/import", data={"csrf_token": csrf_token(page.text)})
    assert reply.status_code == 400 and "Choose a CSV file" in reply.text


def test_dry_run_checks_but_saves_nothing(client, auth, session, setup):
    reply = _upload(client, auth, GOOD, dry_run=True)
    assert reply.status_code == 200
    assert "would add 2 new stakeholders, update 0 and put 1 on projects" in reply.text
    assert set(_people(session)) == {setup["raj"].email}


def test_viewer_cannot_import(client, auth, session, setup):
    auth.login("viewer@example.com")
    token = csrf_token(client.get("/setup/stakeholders").text)
    data = {"file": (io.BytesIO(GOOD.encode()), "people.csv"), "csrf_token": token}
    assert client.post("/setup/stakeholders/import", data=data).status_code == 403
    assert set(_people(session)) == {setup["raj"].email}


def test_export_lists_only_visible_people_and_neutralises_formulas(client, auth, session, setup):
    evil = (
        HEADER
        + '"=HYPERLINK(""http://x"")",eve@example.com,+1 boss,,business,3,3,no,FIN-ERP,-lead\n'
    )
    assert _upload(client, auth, evil).status_code == 302
    reply = client.get("/setup/stakeholders/export.csv")
    assert reply.status_code == 200 and reply.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(reply.text)))
    assert rows[0] == HEADER.strip().split(",")
    assert len(rows) == 2  # Eve only: Raj is on another PM's project
    assert rows[1][0].startswith("'=") and rows[1][2] == "'+1 boss" and rows[1][9] == "'-lead"
    assert rows[1][8] == "FIN-ERP"
    assert setup["raj"].email not in reply.text


def test_export_round_trips_through_import(client, auth, session, setup):
    _upload(client, auth, GOOD)
    exported = client.get("/setup/stakeholders/export.csv").text
    before = {e: (s.name, s.influence, s.nervous) for e, s in _people(session).items()}
    assert _upload(client, auth, exported).status_code == 302
    after = {e: (s.name, s.influence, s.nervous) for e, s in _people(session).items()}
    assert after == before


def test_cli_import_dry_run_then_real(runner, session, setup, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    dry = runner.invoke(main, ["stakeholder", "import", str(path), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "nothing saved" in dry.output and "2 new" in dry.output
    assert set(_people(session)) == {setup["raj"].email}
    real = runner.invoke(main, ["stakeholder", "import", str(path)])
    assert real.exit_code == 0, real.output
    assert "imported 2 new, 0 updated, 1 put on projects" in real.output
    assert {"ada@example.com", "ben@example.com"} <= set(_people(session))


def test_cli_import_keeps_good_rows_reports_bad_ones_and_exits_1(runner, session, setup, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD + "Bad,bad-email,,,business,3,3,no,,\n", encoding="utf-8")
    result = runner.invoke(main, ["stakeholder", "import", str(path)])
    assert result.exit_code == 1
    assert f"{path}: row 4: email: is not a valid email address" in result.output
    assert "imported 2 new, 0 updated, 1 put on projects" in result.output
    assert f"1 row of {path} not imported" in result.output
    assert "Traceback" not in result.output
    assert {"ada@example.com", "ben@example.com"} <= set(_people(session))
    assert len(_people(session)) == 3
    # The same file again: the good rows update the same people, the bad one is still bad.
    again = runner.invoke(main, ["stakeholders", "import", str(path)])
    assert again.exit_code == 1
    assert "imported 0 new, 2 updated, 1 put on projects" in again.output
    assert len(_people(session)) == 3
    assert len(session.exec(select(Relationship)).all()) == 2  # Raj's and Ada's, once each


def test_cli_dry_run_of_a_mixed_file_saves_nothing_and_exits_1(runner, session, setup, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(GOOD + "Bad,bad@example.com,,,business,7,3,no,,\n", encoding="utf-8")
    result = runner.invoke(main, ["stakeholder", "import", str(path), "--dry-run"])
    assert result.exit_code == 1
    assert "row 4: influence: must be from 1 to 5" in result.output
    assert "nothing saved: would import 2 new" in result.output
    assert "1 row of" in result.output and "would not be imported" in result.output
    assert set(_people(session)) == {setup["raj"].email}


def test_cli_a_bad_header_imports_nothing(runner, session, setup, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("full_name,email\nAda,a@example.com\n", encoding="utf-8")
    result = runner.invoke(main, ["stakeholder", "import", str(path)])
    assert result.exit_code == 1
    assert "missing column name" in result.output and "nothing was imported" in result.output
    assert set(_people(session)) == {setup["raj"].email}
    missing = runner.invoke(main, ["stakeholder", "import", str(tmp_path / "nope.csv")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_cli_reasons_cannot_carry_terminal_escapes(runner, session, setup, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text(HEADER + "Ada,a@example.com,,,business,3,3,no,\x1b[2JX,\n", encoding="utf-8")
    result = runner.invoke(main, ["stakeholder", "import", str(path)])
    assert result.exit_code == 1
    assert "no project ?[2JX" in result.output and "\x1b" not in result.output

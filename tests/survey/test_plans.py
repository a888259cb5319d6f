"""The communication plan: role defaults, per-person changes (including none), the pages."""

from __future__ import annotations

from survey import plans
from survey.models import Audience, DigestLog, Frequency, ReportStatus
from tests.builders import make_project, make_user
from tests.conftest import csrf_token
from tests.report_builders import person


def _project(session):  # type: ignore[no-untyped-def]
    pm = make_user(session)
    project = make_project(session, pm=pm, code="PLAN")
    for name, role in (
        ("Area Manager", "Business area manager"),
        ("Lead Person", "business lead"),
        ("Sponsor Person", "IT sponsor"),
        ("Key User", "Key user"),
    ):
        person(session, project=project, name=name, role=role)
    return pm, project


def test_role_defaults(session):
    pm, project = _project(session)
    by_name = {line.name: line for line in plans.plan_for(session, project=project)}
    assert (by_name["Area Manager"].audience, by_name["Area Manager"].frequency) == (
        Audience.summary, Frequency.weekly,
    )  # fmt: skip
    assert (by_name["Lead Person"].audience, by_name["Lead Person"].frequency) == (
        Audience.detailed, Frequency.daily,
    )  # fmt: skip
    assert by_name["Sponsor Person"].audience == Audience.statistical
    assert not by_name["Key User"].receives
    assert by_name[pm.name].recipient == f"user:{pm.id}" and by_name[pm.name].receives
    assert all(line.is_default for line in by_name.values())


def test_a_person_can_be_changed_including_to_none(session):
    _pm, project = _project(session)
    lead = next(
        item for item in plans.plan_for(session, project=project) if item.name == "Lead Person"
    )
    plans.set_entry(
        session, project=project, recipient=lead.recipient, audience=Audience.none,
        frequency=Frequency.none,
    )  # fmt: skip
    session.commit()
    plans.set_entry(
        session, project=project, recipient=lead.recipient, audience=Audience.statistical,
        frequency=Frequency.weekly,
    )  # fmt: skip
    session.commit()
    again = next(
        item for item in plans.plan_for(session, project=project) if item.name == "Lead Person"
    )
    assert (again.audience, again.frequency, again.is_default) == (
        Audience.statistical, Frequency.weekly, False,
    )  # fmt: skip


def test_plan_page_saves_and_previews_render(client, auth, session):
    pm, project = _project(session)
    auth.login(pm.email)
    page = client.get(f"/projects/{project.code}/plan")
    assert page.status_code == 200 and "Lead Person" in page.text
    lead = next(
        item for item in plans.plan_for(session, project=project) if item.name == "Lead Person"
    )
    saved = client.post(
        f"/projects/{project.code}/plan",
        data={
            "recipient": lead.recipient,
            "audience": "none",
            "frequency": "none",
            "csrf_token": csrf_token(page.text),
        },  # fmt: skip
    )
    assert saved.status_code == 302
    session.expire_all()
    again = next(
        item for item in plans.plan_for(session, project=project) if item.name == "Lead Person"
    )
    assert not again.receives
    for audience in ("summary", "detailed", "statistical"):
        preview = client.get(f"/projects/{project.code}/digests/{audience}")
        assert preview.status_code == 200 and f"{audience} digest preview" in preview.text
    assert client.get(f"/projects/{project.code}/digests/none").status_code == 404


def test_plan_page_words_what_the_digest_job_did(client, auth, session):
    pm, project = _project(session)
    for period, status in (
        ("2026-W01", ReportStatus.sent),
        ("2026-W02", ReportStatus.resend),
        ("2026-W03", ReportStatus.dismissed),
    ):
        session.add(
            DigestLog(
                project_id=project.id,  # type: ignore[arg-type]
                recipient=f"user:{pm.id}",
                kind="digest",
                audience="summary",
                period=period,
                status=status,
            )
        )
    session.commit()
    auth.login(pm.email)
    page = client.get(f"/projects/{project.code}/plan").text
    assert "to be sent again" in page and "interrupted; not sent again" in page
    assert ">sent</td>" in page

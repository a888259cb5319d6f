"""`rapport stakeholder erase EMAIL` removes the person everywhere and leaves others intact."""

from __future__ import annotations

import base64
import re
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import Queue
from rq.job import Job
from rq.worker import SimpleWorker
from sqlalchemy import select as sa_select
from sqlmodel import SQLModel, col, select

from survey import distribution, erasure, queue
from survey.cli import main
from survey.config import load_settings
from survey.models import (
    Alert,
    AuditEntry,
    FollowUpAction,
    Invitation,
    MailDelivery,
    MailSuppression,
    OutboxEvent,
    Relationship,
    RelationshipTrend,
    Response,
    Stakeholder,
    utcnow,
)
from tests.builders import (
    GOOD_ANSWERS,
    make_invitation,
    make_project,
    make_relationship,
    make_user,
    make_wave,
)
from tests.conftest import csrf_token

ERASED_COMMENT = "Honestly Zebulon-the-sponsor keeps hiding the budget overrun from us."
KEPT_COMMENT = "Steady progress, the weekly summary is clear."
REFUSED: dict[int, str] = {}


def refuse_mail(wave_id: int) -> None:
    """A mail job that fails the way a refusing SMTP server makes it fail."""
    raise RuntimeError(f"recipient refused: {{'{REFUSED[wave_id]}': (550, b'no such user')}}")


def _submit(client, raw: str, comment: str, trust: str = "2"):  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{raw}")
    data = {**GOOD_ANSWERS, "trust": trust, "comment": comment, "csrf_token": csrf_token(page.text)}
    assert client.post(f"/s/{raw}", data=data).status_code == 303


def _dump_database(session) -> str:  # type: ignore[no-untyped-def]
    """Every row of every table as text: what a database dump would contain."""
    parts = []
    for table in SQLModel.metadata.sorted_tables:
        parts.extend(repr(tuple(row)) for row in session.execute(sa_select(table)))
    return "\n".join(parts)


def _maybe_decompress(value: bytes) -> bytes:
    """RQ stores payloads zlib-compressed, and results base64-encoded on top."""
    for decode in (lambda v: v, base64.b64decode):
        try:
            return zlib.decompress(decode(value))
        except (zlib.error, ValueError):
            continue
    return value


def _dump_redis(url: str) -> bytes:
    """Every value in Redis, with RQ's compressed job payloads decompressed."""
    conn = redis.Redis.from_url(url)
    out = []
    for key in conn.scan_iter("*"):
        kind = conn.type(key)
        out.append(key)
        if kind == b"string":
            out.append(conn.get(key) or b"")
        elif kind == b"hash":
            for field, value in conn.hgetall(key).items():
                out += [field, value, _maybe_decompress(value)]
        elif kind == b"list":
            out += conn.lrange(key, 0, -1)
        elif kind in (b"set", b"zset"):
            out += list(conn.zrange(key, 0, -1) if kind == b"zset" else conn.smembers(key))
        elif kind == b"stream":  # RQ keeps job results and tracebacks in streams
            for _id, fields in conn.xrange(key):
                for field, value in fields.items():
                    out += [field, value, _maybe_decompress(value)]
    return b"\n".join(out)


@pytest.fixture
def portfolio(app, session, rapport_env):  # type: ignore[no-untyped-def]
    """Two stakeholders on one project, both invited, mailed, answered and scored."""
    from workers import deliveries, pipeline

    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="ERP", name="Finance ERP")
    maria = make_relationship(session, project=project, name="Maria Chen")
    oskar = make_relationship(session, project=project, name="Oskar Berg")
    wave = make_wave(session, project=project)
    inv_maria, raw_maria = make_invitation(session, wave=wave, relationship=maria)
    inv_oskar, raw_oskar = make_invitation(session, wave=wave, relationship=oskar)
    maria_id, oskar_id = maria.id, oskar.id
    inv_maria_id, inv_oskar_id = inv_maria.id, inv_oskar.id
    settings = load_settings()
    for invitation in (inv_maria, inv_oskar):
        distribution.insert_delivery(
            session, invitation=invitation, kind="invitation", now=utcnow()
        )
    session.commit()
    assert deliveries.send_due(settings, wave_id=wave.id, plan_first=False)["sent"] == 2
    # A reminder that is still to come.
    later = utcnow() + timedelta(days=3)
    distribution.insert_delivery(session, invitation=inv_maria, kind="reminder-1", now=later)
    session.commit()

    client = app.test_client()
    _submit(client, raw_maria, ERASED_COMMENT)
    _submit(client, raw_oskar, KEPT_COMMENT, trust="4")
    pipeline.drain_outbox()
    # A changed answer whose event sits in Redis, not yet taken by a worker.
    _submit(client, raw_maria, ERASED_COMMENT + " Still.", trust="1")

    session.expire_all()
    maria_response = session.exec(
        select(Response).where(Response.relationship_id == maria_id)
    ).one()
    session.add_all(
        [
            Alert(
                project_id=project.id,
                key=f"silent:relationship:{maria_id}",
                rule="silent",
                subject_kind="relationship",
                subject_id=maria_id,
                severity="high",
                message="Maria Chen has gone quiet",
            ),
            Alert(
                project_id=project.id,
                key=f"watermelon:project:{project.id}",
                rule="watermelon",
                subject_kind="project",
                subject_id=project.id,
                severity="high",
                message="Reported green, measured amber",
            ),
            FollowUpAction(
                project_id=project.id, response_id=maria_response.id, what="Publish the budget"
            ),
            MailSuppression(email="old-" + "x@example.com", reason="bounced"),
        ]
    )
    session.commit()
    maria_stakeholder = session.get(Stakeholder, maria.stakeholder_id)
    session.add(MailSuppression(email=maria_stakeholder.email, reason="550 no such user"))
    session.commit()
    # A failed mail job whose traceback quotes the refused address, run by a real worker.
    conn = redis.Redis.from_url(rapport_env["RAPPORT_REDIS_URL"])
    REFUSED[wave.id] = maria_stakeholder.email
    Queue("mail", connection=conn).enqueue(f"{__name__}.refuse_mail", wave.id, job_id="failed-mail")
    SimpleWorker([Queue("mail", connection=conn)], connection=conn).work(burst=True)
    assert Job.fetch("failed-mail", connection=conn).get_status() == "failed"
    return {
        "project": project,
        "wave": wave,
        "maria_id": maria_id,
        "oskar_id": oskar_id,
        "maria_stakeholder_id": maria.stakeholder_id,
        "maria_email": maria_stakeholder.email,
        "maria_response_id": maria_response.id,
        "invitations": (inv_maria_id, inv_oskar_id),
        "raw_oskar": raw_oskar,
        "mailbox": Path(rapport_env["RAPPORT_HOME"]) / "mail",
        "redis_url": rapport_env["RAPPORT_REDIS_URL"],
    }


def test_job_payloads_in_redis_carry_ids_only(portfolio, session):
    jobs = [
        Job.fetch(job_id, connection=redis.Redis.from_url(portfolio["redis_url"]))
        for name in ("events", "mail", "analysis", "reports")
        for job_id in Queue(name, connection=redis.Redis.from_url(portfolio["redis_url"])).job_ids
    ]
    assert jobs, "the fixture should leave at least one job queued"
    for job in jobs:
        assert all(isinstance(arg, int) for arg in job.args), job.args
        assert job.kwargs == {}
    stored = _dump_redis(portfolio["redis_url"]).decode("utf-8", "replace")
    # Only the failed mail job quotes an address (a server's refusal); queued work never does.
    stored = stored.replace(portfolio["maria_email"], "<failed-job-quote>")
    assert "<failed-job-quote>" in stored
    for secret in ("Maria Chen", "Oskar Berg", "Zebulon", "Steady progress", "@example.com"):
        assert secret not in stored


def test_every_enqueued_job_function_is_classified_for_erasure():
    sources = [*Path("survey").rglob("*.py"), *Path("workers").rglob("*.py")]
    names = {
        name
        for path in sources
        for name in re.findall(r"\"(workers\.[a-z_]+\.[a-z_]+)\"", path.read_text())
    }
    assert names, "no job functions found: is the test running from the project root?"
    assert names <= set(erasure.JOB_ARGUMENTS), names - set(erasure.JOB_ARGUMENTS)


def test_erase_removes_everything_about_the_person_and_keeps_the_rest(
    portfolio, session, runner, client, auth
):
    maria_id, oskar_id = portfolio["maria_id"], portfolio["oskar_id"]
    events_before = session.exec(select(OutboxEvent)).all()
    result = runner.invoke(
        main, ["stakeholder", "erase", portfolio["maria_email"].upper(), "--yes"]
    )
    assert result.exit_code == 0, result.output
    assert "erased stakeholder" in result.output
    session.expire_all()

    dump = _dump_database(session)
    for secret in ("Maria Chen", portfolio["maria_email"], "Zebulon", "gone quiet"):
        assert secret not in dump
    assert session.get(Relationship, maria_id) is None
    assert session.exec(select(Response).where(Response.relationship_id == maria_id)).all() == []
    assert session.get(Invitation, portfolio["invitations"][0]) is None
    assert (
        session.exec(
            select(MailDelivery).where(MailDelivery.invitation_id == portfolio["invitations"][0])
        ).all()
        == []
    )
    assert (
        session.exec(
            select(RelationshipTrend).where(RelationshipTrend.relationship_id == maria_id)
        ).all()
        == []
    )
    remaining_events = session.exec(select(OutboxEvent)).all()
    assert len(remaining_events) < len(events_before)
    assert all(
        e.payload.get("response_id") != portfolio["maria_response_id"] for e in remaining_events
    )

    # Everyone else is untouched.
    assert session.get(Relationship, oskar_id) is not None
    assert "Oskar Berg" in dump and KEPT_COMMENT in dump
    oskar_point = session.exec(
        select(RelationshipTrend).where(RelationshipTrend.relationship_id == oskar_id)
    ).one()
    assert oskar_point.trust == 4
    assert session.exec(select(Alert).where(Alert.subject_kind == "project")).one()
    action = session.exec(select(FollowUpAction)).one()
    assert action.what == "Publish the budget" and action.response_id is None
    assert session.exec(
        select(MailSuppression).where(MailSuppression.email == "old-x@example.com")
    ).one()

    # Mail files: hers are gone, his remain.
    names = sorted(p.name for p in portfolio["mailbox"].iterdir())
    kept = f"invitation-{portfolio['invitations'][1]}.w{portfolio['wave'].id}_rapport.invalid.eml"
    assert names == [kept]

    # Redis: no job points at her any more.
    stored = _dump_redis(portfolio["redis_url"]).decode("utf-8", "replace")
    assert portfolio["maria_email"] not in stored
    conn = redis.Redis.from_url(portfolio["redis_url"])
    for job_id in Queue("events", connection=conn).job_ids:
        event_id = Job.fetch(job_id, connection=conn).args[0]
        assert session.get(OutboxEvent, event_id) is not None

    # The project page now aggregates Oskar alone.
    auth.login("pm@example.com", "demo")
    page = client.get(f"/projects/{portfolio['project'].code}")
    assert page.status_code == 200
    assert "Maria Chen" not in page.text and "Zebulon" not in page.text
    assert KEPT_COMMENT in page.text


def test_others_events_waiting_on_the_erased_persons_drain_job_get_a_new_one(
    portfolio, session, runner, app
):
    conn = redis.Redis.from_url(portfolio["redis_url"])
    waiting = Queue("events", connection=conn)
    [drain_id] = waiting.job_ids  # named after Maria's changed answer, and the marker says so
    assert conn.get(queue.drain_marker("events")) == drain_id.encode()
    # Oskar changes his answer: the marker promises him Maria's job, so none of his own.
    oskar_raw = portfolio["raw_oskar"]
    _submit(app.test_client(), oskar_raw, KEPT_COMMENT + " Even better now.", trust="5")
    assert waiting.job_ids == [drain_id]

    result = runner.invoke(main, ["stakeholder", "erase", portfolio["maria_email"], "--yes"])
    assert result.exit_code == 0, result.output
    # Her job is gone; another one, not named after anything of hers, now waits for Oskar.
    [replacement] = waiting.job_ids
    assert replacement != drain_id
    assert conn.get(queue.drain_marker("events")) == replacement.encode()
    SimpleWorker([waiting], connection=conn).work(burst=True)
    session.expire_all()
    assert (
        session.exec(select(OutboxEvent).where(col(OutboxEvent.processed_at).is_(None))).all() == []
    )
    oskar_point = session.exec(
        select(RelationshipTrend).where(RelationshipTrend.relationship_id == portfolio["oskar_id"])
    ).one()
    assert oskar_point.trust == 5


def test_erasure_is_recorded_in_the_audit_log_without_personal_data(portfolio, session, runner):
    email = portfolio["maria_email"]
    stakeholder_id = portfolio["maria_stakeholder_id"]
    assert runner.invoke(main, ["stakeholder", "erase", email, "--yes"]).exit_code == 0
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "stakeholder.erase")).one()
    assert entry.target_kind == "stakeholder" and entry.target_id == stakeholder_id
    assert entry.actor_id is None
    assert entry.at.tzinfo is not None
    assert entry.detail["response_rows"] == 1 and entry.detail["jobs"] >= 2
    text = repr(entry.model_dump())
    assert email not in text and "Maria" not in text and "Zebulon" not in text


def test_erasing_twice_or_an_unknown_address_fails_clearly(portfolio, runner):
    email = portfolio["maria_email"]
    assert runner.invoke(main, ["stakeholder", "erase", email, "--yes"]).exit_code == 0
    again = runner.invoke(main, ["stakeholder", "erase", email, "--yes"])
    assert again.exit_code == 1
    assert "no stakeholder with email" in again.output


def test_erase_asks_for_confirmation_and_stops_on_no(portfolio, session, runner):
    result = runner.invoke(main, ["stakeholder", "erase", portfolio["maria_email"]], input="n\n")
    assert result.exit_code == 1
    session.expire_all()
    assert session.get(Relationship, portfolio["maria_id"]) is not None


def test_erase_with_redis_down_erases_nothing_and_says_so(portfolio, session, runner, monkeypatch):
    from survey import queue

    monkeypatch.setenv("RAPPORT_REDIS_URL", "redis://127.0.0.1:1/0")
    queue.redis_for.cache_clear()
    result = runner.invoke(main, ["stakeholder", "erase", portfolio["maria_email"], "--yes"])
    assert result.exit_code == 1
    assert "Nothing was erased" in result.output
    session.expire_all()
    assert session.get(Relationship, portfolio["maria_id"]) is not None
    assert len(list(portfolio["mailbox"].iterdir())) == 2
    assert (
        session.exec(select(AuditEntry).where(col(AuditEntry.action) == "stakeholder.erase")).all()
        == []
    )

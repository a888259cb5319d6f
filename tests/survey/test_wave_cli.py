"""`rapport wave create | send | close` against a real SMTP server."""

from __future__ import annotations

from sqlmodel import select

from survey.cli import main
from survey.models import Wave, WaveStatus
from tests import smtp_server as loopback_smtp
from tests.wave_builders import project_with
from workers import context

smtp_server = loopback_smtp.smtp_server


def test_create_send_close_against_smtp(runner, session, smtp_server, monkeypatch):
    monkeypatch.setenv("RAPPORT_MAIL_URL", smtp_server.url)
    context.settings.cache_clear()
    project = project_with(session, 3)
    created = runner.invoke(main, ["wave", "create", "--project", project.code, "--closes-in", "9"])
    assert created.exit_code == 0, created.output
    wave_id = int(created.stdout.strip().splitlines()[-1])
    assert session.get(Wave, wave_id).status == WaveStatus.draft
    sent = runner.invoke(main, ["wave", "send", str(wave_id)])
    assert sent.exit_code == 0, sent.output
    assert f"wave {wave_id}: 3 sent" in sent.stdout
    assert len(smtp_server.handler.messages) == 3
    again = runner.invoke(main, ["wave", "send", str(wave_id)])
    assert "nothing due" in again.stdout and len(smtp_server.handler.messages) == 3
    closed = runner.invoke(main, ["wave", "close", str(wave_id)])
    assert closed.exit_code == 0 and "0 of 3 answered" in closed.stdout
    session.expire_all()
    assert session.get(Wave, wave_id).status == WaveStatus.closed


def test_open_now_opens_the_wave(runner, session):
    project = project_with(session, 1)
    created = runner.invoke(main, ["wave", "create", "--project", project.code, "--open-now"])
    assert created.exit_code == 0, created.output
    assert session.exec(select(Wave)).one().status == WaveStatus.open


def test_errors_are_one_line_and_exit_non_zero(runner, session):
    unknown = runner.invoke(main, ["wave", "create", "--project", "NOPE"])
    assert unknown.exit_code == 1 and unknown.output.strip() == "Error: no project with code NOPE"
    missing = runner.invoke(main, ["wave", "send", "999"])
    assert missing.exit_code == 1 and missing.output.strip() == "Error: no wave with id 999"
    project = project_with(session, 1)
    bad = runner.invoke(main, ["wave", "create", "--project", project.code, "--reminders", "x"])
    assert bad.exit_code == 1 and len(bad.output.strip().splitlines()) == 1


def test_send_reports_a_down_server_and_exits_non_zero(runner, session, monkeypatch):
    from tests.smtp_server import free_port

    monkeypatch.setenv("RAPPORT_MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    project = project_with(session, 2)
    created = runner.invoke(main, ["wave", "create", "--project", project.code])
    wave_id = created.stdout.strip().splitlines()[-1]
    sent = runner.invoke(main, ["wave", "send", wave_id])
    assert sent.exit_code == 1 and "1 to retry" in sent.output

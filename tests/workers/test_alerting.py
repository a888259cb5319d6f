"""Alert evaluation after scoring: snapshots from the DB, dedupe, the PM's email, the webhook."""

from __future__ import annotations

import json
import threading
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
import redis
from rq import Queue, SimpleWorker
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from survey import db, snapshots
from survey.models import Alert, AlertStatus, Project, Response, WaveStatus, utcnow
from tests.builders import make_project, make_relationship, make_user
from tests.pm_builders import add_wave, all_ratings, report_status
from workers import alerting, context
from workers.pipeline import drain_outbox


def _alerts(session, project: Project) -> list[Alert]:  # type: ignore[no-untyped-def]
    session.expire_all()
    return list(
        session.exec(select(Alert).where(Alert.project_id == project.id).order_by(Alert.id)).all()
    )


def _health(trust: float, sat: float, part: float, comm: float, engagement: float) -> float:
    # Written out from docs/health.md, not through analysis.health: no sentiment, so the
    # weights present are 0.25 + 0.20 + 0.15 + 0.15 + 0.10 = 0.85.
    def n(x: float) -> float:
        return (x - 1) / 4

    total = 0.25 * n(trust) + 0.20 * n(sat) + 0.15 * n(part) + 0.15 * n(comm)
    return 100 * (total + 0.10 * engagement) / 0.85


@pytest.fixture
def falling(session):  # type: ignore[no-untyped-def]
    """FIN-ERP: a sponsor (influence 5) whose trust collapses and a key user (influence 1)
    who stops answering; reported green. Two closed waves and one open wave."""
    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="FIN-ERP", name="Finance ERP replacement")
    sponsor = make_relationship(session, project=project, name="Maria Chen", influence=5)
    user = make_relationship(session, project=project, name="Aisha Karim", influence=1)
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, all_ratings(4)), (user, all_ratings(2))],
        months_ago=2,
        drain=False,
    )
    later = {"satisfaction": 2, "trust": 1, "communication": 2, "partnership": 2}
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, later), (user, None)],
        months_ago=1,
        drain=False,
    )
    # The open wave's glowing answers must not count: its numbers still move.
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, all_ratings(5)), (user, all_ratings(5))],
        months_ago=0,
        status=WaveStatus.open,
        drain=False,
    )
    report_status(session, project=project, status="green")
    return project, sponsor, user


def test_snapshot_from_the_database_matches_hand_computed_values(session, falling):
    project, sponsor, user = falling
    drain_outbox()
    health = snapshots.project_health(session, project=project)

    assert len(health.waves) == 2  # the open wave is left out
    by_id = {r.relationship.id: r for r in health.relationships}
    assert by_id[sponsor.id].answered == [True, True]
    assert by_id[user.id].answered == [True, False]
    assert by_id[sponsor.id].series("trust") == [4.0, 1.0]
    assert by_id[user.id].series("trust") == [2.0, None]

    sponsor_health = [_health(4, 4, 4, 4, 1.0), _health(1, 2, 2, 2, 1.0)]
    # The key user's first answers carry into the unanswered wave, at half engagement.
    user_health = [_health(2, 2, 2, 2, 1.0), _health(2, 2, 2, 2, 0.5)]
    assert by_id[sponsor.id].health == pytest.approx(sponsor_health)
    assert by_id[user.id].health == pytest.approx(user_health)
    expected = [(s * 5 + u * 1) / 6 for s, u in zip(sponsor_health, user_health, strict=True)]
    assert health.series == pytest.approx(expected)
    assert health.series == pytest.approx([70.588, 26.716], abs=1e-3)
    assert health.rates == [(2, 2), (1, 2)]

    snapshot = snapshots.project_snapshot(session, project_id=project.id)
    assert snapshot is not None
    assert snapshot.reported_status == "green"
    assert [r.stakeholder_name for r in snapshot.relationships] == ["Maria Chen", "Aisha Karim"]


def test_a_scored_batch_raises_the_watermelon_and_the_trust_drop(session, falling):
    project, sponsor, _user = falling
    drain_outbox()
    alerts = {a.key: a for a in _alerts(session, project)}
    assert set(alerts) == {
        f"watermelon:project:{project.id}",
        f"trust_drop:relationship:{sponsor.id}",
    }
    watermelon = alerts[f"watermelon:project:{project.id}"]
    assert watermelon.severity == "critical" and watermelon.status == AlertStatus.open
    assert "26.7 (red)" in watermelon.message
    assert alerts[f"trust_drop:relationship:{sponsor.id}"].severity == "critical"
    assert watermelon.wave_id is not None


def test_evaluating_twice_leaves_one_open_alert_per_key(session, falling):
    project, _sponsor, _user = falling
    drain_outbox()
    first = _alerts(session, project)
    with db.session_scope(context.settings().database_url) as s:
        assert alerting.evaluate_project(s, project_id=project.id) == []
        assert alerting.evaluate_project(s, project_id=project.id) == []
    assert [a.id for a in _alerts(session, project)] == [a.id for a in first]


def test_the_database_refuses_a_second_unresolved_alert_with_the_same_key(session, falling):
    project, _sponsor, _user = falling
    drain_outbox()
    existing = _alerts(session, project)[0]
    session.add(
        Alert(
            project_id=project.id,
            key=existing.key,
            rule=existing.rule,
            subject_kind=existing.subject_kind,
            subject_id=existing.subject_id,
            severity="info",
            message="duplicate",
        )
    )
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()


def test_a_resolved_alert_is_raised_again_only_by_a_newer_wave(session, falling):
    project, sponsor, user = falling
    drain_outbox()
    key = f"watermelon:project:{project.id}"
    watermelon = next(a for a in _alerts(session, project) if a.key == key)
    watermelon.status = AlertStatus.resolved
    watermelon.resolved_at = utcnow()
    session.add(watermelon)
    session.commit()

    with db.session_scope(context.settings().database_url) as s:
        assert alerting.evaluate_project(s, project_id=project.id) == []

    # Another bad month closes: the same rule, on new evidence, raises a new alert.
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, all_ratings(1)), (user, all_ratings(1))],
        months_ago=0,
    )
    same_key = [a for a in _alerts(session, project) if a.key == key]
    assert [a.status for a in same_key] == [AlertStatus.resolved, AlertStatus.open]
    assert same_key[1].wave_id != same_key[0].wave_id


def test_a_healthy_project_raises_nothing(session):
    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="CRM-ROLL", name="Sales CRM rollout")
    a = make_relationship(session, project=project, name="Sofia Lindqvist", influence=4)
    b = make_relationship(session, project=project, name="Ben Adeyemi", influence=3)
    report_status(session, project=project, status="green")
    for months_ago in (3, 2, 1):
        add_wave(
            session,
            projects=[project],
            answers=[(a, all_ratings(4)), (b, all_ratings(5))],
            months_ago=months_ago,
        )
    assert _alerts(session, project) == []
    assert snapshots.project_health(session, project=project).band == "green"


def test_a_silent_sponsor_raises_one_alert_not_one_per_batch(session):
    pm = make_user(session, email="pm@example.com")
    project = make_project(session, pm=pm, code="HR-SELF", name="HR self-service portal")
    sponsor = make_relationship(session, project=project, name="Raj Patel", influence=5)
    others = [make_relationship(session, project=project, name=f"User {i}") for i in range(3)]
    add_wave(
        session,
        projects=[project],
        answers=[(sponsor, all_ratings(4)), *[(o, all_ratings(4)) for o in others]],
        months_ago=3,
    )
    for months_ago in (2, 1):
        add_wave(
            session,
            projects=[project],
            answers=[(sponsor, None), *[(o, all_ratings(4)) for o in others]],
            months_ago=months_ago,
        )
    # Late answers keep arriving, each scored in its own batch: the sponsor is still silent.
    response_ids = session.exec(select(Response.id)).all()
    for response_id in response_ids:
        with db.session_scope(context.settings().database_url) as s:
            alerting.evaluate_after_scoring(s, [response_id])
    silent = [a for a in _alerts(session, project) if a.rule == "silent_stakeholder"]
    assert len(silent) == 1
    assert silent[0].subject_id == sponsor.id
    assert "Raj Patel (influence 5) has not answered the last 2 pulses" in silent[0].message


def test_a_closed_wave_is_evaluated_once_by_the_scheduler(session, falling):
    project, _sponsor, _user = falling
    settings = context.settings()
    # Nobody drained the outbox: only the wave closing can bring the rules to this project.
    assert alerting.projects_due(session) == [project.id]
    drain_outbox()  # scoring evaluates it too
    assert alerting.projects_due(session) == []
    session.expire_all()
    project.alerts_evaluated_at = None
    session.add(project)
    session.commit()
    assert alerting.evaluate_due(settings) == 0  # nothing new: the alerts are already open
    assert alerting.projects_due(session) == []


def _work_mail_queue(redis_url: str) -> None:
    conn = redis.Redis.from_url(redis_url)
    SimpleWorker([Queue("mail", connection=conn)], connection=conn).work(burst=True)


def test_the_pm_is_emailed_once_per_alert(session, falling, redis_url):
    project, _sponsor, _user = falling
    drain_outbox()  # raises two alerts and queues their emails
    _work_mail_queue(redis_url)
    alerts = _alerts(session, project)
    assert all(a.notified_at is not None for a in alerts)

    # Running the job again (a retry, a second dispatch, the sweeper) sends nothing more.
    for alert in alerts:
        assert alerting.email_alert(alert.id) is False  # type: ignore[arg-type]
    mailbox = Path(context.settings().mailbox_dir)
    messages = [
        message_from_bytes(p.read_bytes(), policy=policy.default) for p in mailbox.iterdir()
    ]
    assert len(messages) == len(alerts) == 2
    assert {m["To"] for m in messages} == {"pm@example.com"}
    watermelon = next(m for m in messages if "watermelon" in m["Subject"])
    assert watermelon["Subject"].startswith("[Rapport] CRITICAL: watermelon on FIN-ERP")
    body = watermelon.get_content()
    assert "Reported green but measured health is 26.7 (red)." in body
    assert "http://rapport.test/projects/FIN-ERP#alert-" in body


class _Hook(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - the http.server protocol
        length = int(self.headers["Content-Length"])
        type(self).received.append(json.loads(self.rfile.read(length)))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def webhook_server():  # type: ignore[no-untyped-def]
    """A real HTTP endpoint on 127.0.0.1 that fails with 500 once, then accepts."""
    _Hook.answers = [500]
    _Hook.received = []
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", _Hook
    server.shutdown()
    server.server_close()


def test_the_webhook_is_retried_until_the_endpoint_accepts(
    session, falling, redis_url, webhook_server, monkeypatch
):
    url, hook = webhook_server
    project, _sponsor, _user = falling
    project.alert_webhook_url = url
    session.add(project)
    session.commit()
    # RQ re-queues at once with a zero interval, so one burst worker sees the retry.
    monkeypatch.setattr(alerting, "RETRY_INTERVALS", (0, 0, 0))
    drain_outbox()
    _work_mail_queue(redis_url)

    alerts = _alerts(session, project)
    assert len(alerts) == 2
    assert all(a.webhook_notified_at is not None for a in alerts)
    # Two alerts, one 500 on the way: three POSTs, and each alert delivered exactly once.
    assert len(hook.received) == 3
    delivered = [body["alert"]["id"] for body in hook.received]
    assert sorted(set(delivered)) == sorted(a.id for a in alerts)
    first = hook.received[0]
    assert first["text"].startswith(("CRITICAL: ", "Warning: "))
    assert "FIN-ERP" in first["text"] and first["alert"]["project"] == "FIN-ERP"


def test_the_instance_webhook_is_used_when_the_project_has_none(
    session, falling, redis_url, webhook_server, monkeypatch
):
    url, hook = webhook_server
    hook.answers = []
    monkeypatch.setenv("RAPPORT_ALERT_WEBHOOK_URL", url)
    context.settings.cache_clear()
    drain_outbox()
    _work_mail_queue(redis_url)
    assert len(hook.received) == 2


def test_no_webhook_configured_means_no_post(session, falling, redis_url):
    project, _sponsor, _user = falling
    drain_outbox()
    _work_mail_queue(redis_url)
    assert all(a.webhook_notified_at is None for a in _alerts(session, project))
    conn = redis.Redis.from_url(redis_url)
    assert not any(k.startswith(b"rq:job:alert-webhook") for k in conn.keys("rq:job:*"))


def test_the_demo_portfolio_flags_its_watermelon_and_only_that(session):
    from survey import demo

    with db.session_scope(context.settings().database_url) as s:
        demo.seed(s, seed=7, secret_key=context.settings().secret_key)
    drain_outbox()
    session.expire_all()
    rows = session.exec(select(Alert, Project).join(Project, Project.id == Alert.project_id)).all()
    watermelons = {p.code for a, p in rows if a.rule == "watermelon"}
    assert watermelons == {"FIN-ERP"}
    fin = next(a for a, p in rows if p.code == "FIN-ERP" and a.rule == "watermelon")
    assert fin.status == AlertStatus.open and fin.severity == "critical"
    # The healthy CRM rollout, reported green, raises no project-level alert.
    assert not [a for a, p in rows if p.code == "CRM-ROLL" and a.subject_kind == "project"]


def test_alert_webhook_to_a_private_address_is_refused_at_send_time(webhook_server):
    url, hook = webhook_server
    hook.answers = []
    with pytest.raises(alerting.WebhookError, match="refused"):
        alerting.post_json(url, {"text": "x"}, allow_private=False)
    assert hook.received == []
    assert alerting.post_json(url, {"text": "x"}, allow_private=True) == 200
    assert hook.received == [{"text": "x"}]

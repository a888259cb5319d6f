"""Raise alerts from the rules and tell the PM: one email, and a webhook POST if configured.

Evaluation runs inside the caller's transaction (after a scored batch, or when a wave has
closed); notifications go out as separate jobs on the "mail" queue once that has committed.
Each notification job is safe to run twice: what was sent is recorded on the alert.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

from rq import Retry
from sqlalchemy import bindparam, update
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from analysis import alerts as rules
from survey import db, queue, snapshots, webhook_events
from survey.config import Settings
from survey.models import (
    Alert,
    AlertStatus,
    Attribution,
    Project,
    Relationship,
    Response,
    User,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from workers import context, rendering, webhooks
from workers.invitations import MAIL_POLICY, SENDER, header_safe
from workers.mail import MailError, deliver

log = logging.getLogger(__name__)

EMAIL_JOB = "workers.alerting.email_alert"
WEBHOOK_JOB = "workers.alerting.post_alert_webhook"
# Seconds between attempts of a failed notification (RQ Retry: one more attempt per entry).
RETRY_INTERVALS: Sequence[int] = (10, 60, 300, 900)
# The sweeper re-sends notifications that never reached Redis; older alerts are left alone so
# an endpoint that is gone for good is not retried forever.
SWEEP_AFTER = timedelta(minutes=30)
SWEEP_WINDOW = timedelta(days=1)
SEVERITY_LABELS = {rules.CRITICAL: "CRITICAL", rules.WARNING: "Warning", rules.INFO: "Info"}


class WebhookError(RuntimeError):
    """The webhook endpoint did not accept the alert; the job fails so RQ retries it."""


# --- Evaluation ------------------------------------------------------------------------------

_relationships = Relationship.__table__  # type: ignore[attr-defined]
_responses = Response.__table__  # type: ignore[attr-defined]
_waves = Wave.__table__  # type: ignore[attr-defined]
# Built once and on Core tables: it runs after every scored batch, usually to find nothing.
_CLOSED_WAVE_PROJECTS = (
    sa_select(_relationships.c.project_id)
    .join(_responses, _responses.c.relationship_id == _relationships.c.id)
    .join(_waves, _waves.c.id == _responses.c.wave_id)
    .where(_responses.c.id.in_(bindparam("ids", expanding=True)))
    .where(_waves.c.status == WaveStatus.closed)
    .distinct()
)


def evaluate_project(
    session: Session, *, project_id: int, now: datetime | None = None
) -> list[int]:
    """Run the rules on the project's closed waves and store new alerts; returns their ids."""
    project = session.get(Project, project_id)
    if project is None:
        return []
    health = snapshots.project_health(session, project=project)
    wave_id = health.waves[-1].id if health.waves else None
    raised = record_candidates(
        session,
        project_id=project_id,
        candidates=rules.evaluate_rules(health.snapshot),
        wave_id=wave_id,
        now=now,
    )
    withdraw_confidential(session, project_id=project_id, now=now)
    project.alerts_evaluated_at = now or utcnow()
    session.add(project)
    return raised


WITHDRAWN = (
    "A {rule} alert on one stakeholder was withdrawn: it came from a confidential wave, "
    "and confidential answers name no one."
)


def withdraw_confidential(
    session: Session, *, project_id: int, now: datetime | None = None
) -> list[int]:
    """Resolve and anonymise per-person alerts whose evidence is a confidential wave.

    The rules never raise these now; any left were raised before a wave was made
    confidential or by older rules. Each is resolved, and its text, subject and key stop
    saying who it was about. Returns their ids.
    """
    stale = session.exec(
        select(Alert)
        .join(Wave, col(Wave.id) == col(Alert.wave_id))
        .where(Alert.project_id == project_id)
        .where(Alert.subject_kind == rules.SUBJECT_RELATIONSHIP)
        .where(Wave.attribution == Attribution.confidential)
    ).all()
    for alert in stale:
        if alert.status != AlertStatus.resolved:
            alert.status = AlertStatus.resolved
            alert.resolved_at = now or utcnow()
        alert.message = WITHDRAWN.format(rule=alert.rule.replace("_", " "))
        alert.subject_kind = rules.SUBJECT_PROJECT
        alert.subject_id = project_id
        alert.key = f"withdrawn:{alert.id}"
        session.add(alert)
    return [a.id for a in stale]  # type: ignore[misc]


def record_candidates(
    session: Session,
    *,
    project_id: int,
    candidates: Iterable[rules.AlertCandidate],
    wave_id: int | None,
    now: datetime | None = None,
) -> list[int]:
    """Store each candidate unless an unresolved alert has its key; returns new alert ids."""
    now = now or utcnow()
    existing = session.exec(
        select(Alert)
        .where(Alert.project_id == project_id)
        .order_by(col(Alert.raised_at), col(Alert.id))
    ).all()
    unresolved = {a.key: a for a in existing if a.status != AlertStatus.resolved}
    # Ordered by time, so the last resolved alert per key wins.
    resolved = {a.key: a for a in existing if a.status == AlertStatus.resolved}
    raised: list[int] = []
    for candidate in candidates:
        current = unresolved.get(candidate.key)
        if current is not None:
            # Same alert, fresher evidence: keep the text current, but do not notify again.
            current.message = candidate.message[:500]
            current.severity = candidate.severity
            current.wave_id = wave_id
            session.add(current)
            continue
        earlier = resolved.get(candidate.key)
        if earlier is not None and earlier.wave_id == wave_id:
            continue  # The PM resolved it on this very evidence; a newer wave may raise it again.
        alert = Alert(
            project_id=project_id,
            key=candidate.key,
            rule=candidate.rule,
            subject_kind=candidate.subject_kind,
            subject_id=candidate.subject_id,
            severity=candidate.severity,
            message=candidate.message[:500],
            raised_at=now,
            wave_id=wave_id,
        )
        try:
            # Another worker may have raised the same key a moment ago: the unique index on
            # unresolved keys refuses the second one, and only this insert is undone.
            with session.begin_nested():
                session.add(alert)
        except IntegrityError:
            log.info("alert %s already raised by another worker", candidate.key)
            continue
        raised.append(alert.id)  # type: ignore[arg-type]
        webhook_events.alert_raised(session, alert)
    return raised


def projects_of_responses(session: Session, response_ids: Iterable[int]) -> list[int]:
    """The projects of those of the given responses that answer a closed wave."""
    ids = sorted(set(response_ids))
    if not ids:
        return []
    rows = session.execute(_CLOSED_WAVE_PROJECTS, {"ids": ids}).scalars()
    return sorted(rows)


def evaluate_after_scoring(session: Session, response_ids: Iterable[int]) -> list[int]:
    """Evaluate every project whose closed-wave data a scored batch changed; new alert ids.

    The rules read closed waves only, so answers to an open wave change nothing until it
    closes, when the scheduler's `evaluate_due` picks the project up: skipping them here
    keeps the scoring pipeline fast.
    """
    raised: list[int] = []
    for project_id in projects_of_responses(session, response_ids):
        raised.extend(evaluate_project(session, project_id=project_id))
    return raised


def projects_due(session: Session) -> list[int]:
    """Projects with a wave closed after their last evaluation (or never evaluated)."""
    rows = session.exec(
        select(Project.id)
        .join(WaveProject, col(WaveProject.project_id) == col(Project.id))
        .join(Wave, col(Wave.id) == col(WaveProject.wave_id))
        .where(Wave.status == WaveStatus.closed)
        .where(
            col(Project.alerts_evaluated_at).is_(None)
            | (col(Wave.closes_at) > col(Project.alerts_evaluated_at))
        )
        .distinct()
    ).all()
    return sorted(r for r in rows if r is not None)


def evaluate_due(settings: Settings) -> int:
    """Scheduler entry: evaluate projects whose waves closed since; returns alerts raised."""
    with db.session_scope(settings.database_url) as session:
        raised: list[int] = []
        for project_id in projects_due(session):
            raised.extend(evaluate_project(session, project_id=project_id))
        session.commit()
    dispatch(settings, raised)
    return len(raised)


# --- Notification ----------------------------------------------------------------------------


def webhook_url(settings: Settings, project: Project) -> str | None:
    """The project's own webhook, else the instance default, else None."""
    return project.alert_webhook_url or settings.alert_webhook_url


def dispatch(settings: Settings, alert_ids: Iterable[int]) -> None:
    """Queue the email (and the webhook, if one is configured) for each committed alert."""
    ids = list(alert_ids)
    if not ids:
        return
    with db.session_scope(settings.database_url) as session:
        webhooks = {
            a.id
            for a, p in session.exec(
                select(Alert, Project)
                .join(Project, col(Project.id) == col(Alert.project_id))
                .where(col(Alert.id).in_(ids))
            ).all()
            if webhook_url(settings, p)
        }
    for alert_id in ids:
        _enqueue(settings, EMAIL_JOB, alert_id, f"alert-email-{alert_id}")
        if alert_id in webhooks:
            _enqueue(settings, WEBHOOK_JOB, alert_id, f"alert-webhook-{alert_id}")


def _enqueue(settings: Settings, func: str, alert_id: int, job_id: str) -> None:
    retry = Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))
    # False means Redis is down: the alert stays un-notified and the sweeper sends it later.
    queue.enqueue(settings.redis_url, "mail", func, alert_id, job_id=job_id, retry=retry)


def sweep_notifications(settings: Settings, now: datetime | None = None) -> int:
    """Scheduler entry: re-queue notifications of recent alerts that never went out."""
    now = now or utcnow()
    with db.session_scope(settings.database_url) as session:
        pending = session.exec(
            select(Alert, Project)
            .join(Project, col(Project.id) == col(Alert.project_id))
            .where(col(Alert.status) != AlertStatus.resolved)
            .where(col(Alert.raised_at) < now - SWEEP_AFTER)
            .where(col(Alert.raised_at) > now - SWEEP_WINDOW)
            .where(col(Alert.notified_at).is_(None) | col(Alert.webhook_notified_at).is_(None))
        ).all()
        work = [
            (
                a.id,
                a.notified_at is None,
                a.webhook_notified_at is None and webhook_url(settings, p),
            )
            for a, p in pending
        ]
    for alert_id, email, hook in work:
        assert alert_id is not None
        if email:
            _enqueue(settings, EMAIL_JOB, alert_id, f"alert-email-{alert_id}")
        if hook:
            _enqueue(settings, WEBHOOK_JOB, alert_id, f"alert-webhook-{alert_id}")
    return len(work)


def alert_url(settings: Settings, project: Project, alert: Alert) -> str:
    """Where the PM reads and acts on the alert."""
    return f"{settings.base_url}/projects/{project.code}#alert-{alert.id}"


def headline(alert: Alert, project: Project) -> str:
    """One line naming severity, rule and project."""
    label = SEVERITY_LABELS.get(alert.severity, alert.severity)
    return f"{label}: {alert.rule.replace('_', ' ')} on {project.code} {project.name}"


def compose_email(settings: Settings, alert: Alert, project: Project, pm: User) -> EmailMessage:
    """The plain-text email that tells the PM about one alert."""
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = header_safe(f"[Rapport] {headline(alert, project)}")
    message["From"] = SENDER
    message["To"] = header_safe(pm.email)
    message["Date"] = format_datetime(utcnow())
    # Stable per alert: the file mailbox overwrites, a mail server sees one message.
    message["Message-ID"] = f"<alert-{alert.id}@rapport.invalid>"
    message["Auto-Submitted"] = "auto-generated"
    body = rendering.render(
        "email/alert.txt",
        alert=alert,
        project=project,
        pm=pm,
        headline=headline(alert, project),
        url=alert_url(settings, project, alert),
    )
    message.set_content(body, cte="8bit")
    return message


def _load(session: Session, alert_id: int) -> tuple[Alert, Project] | None:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.status == AlertStatus.resolved:
        return None
    project = session.get(Project, alert.project_id)
    return (alert, project) if project is not None else None


def email_alert(alert_id: int) -> bool:
    """Job: email the project's PM about one alert, at most once; True if it was sent now."""
    settings = context.settings()
    with db.session_scope(settings.database_url) as session:
        found = _load(session, alert_id)
        if found is None:
            return False
        alert, project = found
        pm = session.get(User, project.pm_id) if project.pm_id is not None else None
        if pm is None or not pm.active:
            log.warning("alert %s: project %s has no active PM to email", alert_id, project.code)
            return False
        # Claim before sending, in its own commit: a second run of this job sends nothing.
        claimed = session.execute(
            update(Alert)
            .where(col(Alert.id) == alert_id, col(Alert.notified_at).is_(None))
            .values(notified_at=utcnow())
        )
        session.commit()
        if not claimed.rowcount:  # type: ignore[attr-defined]
            return False
        try:
            deliver(settings, compose_email(settings, alert, project, pm))
        except MailError as exc:
            if exc.permanent:
                log.error("alert %s: email to the PM refused for good: %s", alert_id, exc)
                return False
            # Release the claim so the retry can send it.
            session.execute(update(Alert).where(col(Alert.id) == alert_id).values(notified_at=None))
            session.commit()
            raise
    return True


def webhook_payload(settings: Settings, alert: Alert, project: Project) -> dict:
    """JSON with a "text" field (Slack and Teams incoming webhooks) and the details."""
    url = alert_url(settings, project, alert)
    return {
        "text": f"{headline(alert, project)}\n{alert.message}\n{url}",
        "alert": {
            "id": alert.id,
            "project": project.code,
            "rule": alert.rule,
            "severity": alert.severity,
            "message": alert.message,
            "raised_at": alert.raised_at.isoformat(),
            "url": url,
        },
    }


def post_json(url: str, payload: dict, *, allow_private: bool = False) -> int:
    """POST `payload` as JSON; returns the status, raising WebhookError unless it is 2xx.

    Goes through the same checked connection as signed webhooks: the host is resolved and
    refused if it is on a local or private network (unless allowed), right before sending,
    so a DNS change after the URL was saved cannot aim it inside the network.
    """
    if not url.startswith(("https://", "http://")):
        raise WebhookError(f"webhook URL must be http(s): {url[:60]!r}")
    result = webhooks.post(
        url,
        json.dumps(payload).encode(),
        {"Content-Type": "application/json", "User-Agent": "Rapport alerts"},
        allow_private=allow_private,
    )
    if not result.ok:
        raise WebhookError(f"webhook {result.error}")
    assert result.status is not None
    return result.status


def post_alert_webhook(alert_id: int) -> bool:
    """Job: POST one alert to the webhook; raises on failure so RQ retries with backoff."""
    settings = context.settings()
    with db.session_scope(settings.database_url) as session:
        found = _load(session, alert_id)
        if found is None:
            return False
        alert, project = found
        url = webhook_url(settings, project)
        if url is None or alert.webhook_notified_at is not None:
            return False
        post_json(
            url,
            webhook_payload(settings, alert, project),
            allow_private=settings.webhook_allow_private,
        )
        alert.webhook_notified_at = utcnow()
        session.add(alert)
    return True

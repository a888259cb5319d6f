"""Project events from other tools, and the pulses they trigger under the PM's rules.

Keyword-only functions on a session; the caller commits (and then starts the wave through
`survey.distribution.start`, which hands its mail to the queue). No Flask here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey import audit, waves
from survey.models import (
    Project,
    ProjectEvent,
    ProjectEventKind,
    ProjectEventRule,
    User,
    Wave,
    utcnow,
)
from survey.pm_actions import InputError

KIND_LABELS = {
    ProjectEventKind.phase_gate: "Phase gate",
    ProjectEventKind.uat_start: "UAT start",
    ProjectEventKind.go_live: "Go-live",
    ProjectEventKind.change_request_approved: "Change request approved",
}
NOTE_MAX = 500
KEY_MAX = 120
DAYS_MAX = 60


@dataclass(frozen=True)
class Received:
    """The stored event, its wave (if one was created) and whether it was new."""

    event: ProjectEvent
    wave: Wave | None
    created: bool


def rules_for(session: Session, *, project_id: int) -> dict[ProjectEventKind, ProjectEventRule]:
    """One rule per kind; kinds the PM never set come back as unsaved "no pulse" rules."""
    saved = {
        r.kind: r
        for r in session.exec(
            select(ProjectEventRule).where(ProjectEventRule.project_id == project_id)
        ).all()
    }
    return {
        kind: saved.get(kind) or ProjectEventRule(project_id=project_id, kind=kind)
        for kind in ProjectEventKind
    }


def _days(raw: object, name: str, low: int, errors: dict[str, str]) -> int:
    text = str(raw).strip() if raw is not None else ""
    if not text.isdigit() or not low <= int(text) <= DAYS_MAX:
        errors[name] = f"must be a whole number of days from {low} to {DAYS_MAX}"
        return low
    return int(text)


def save_rules(
    session: Session, *, project: Project, data: Mapping[str, object], actor: User
) -> None:
    """From form fields "<kind>.pulse" (on/absent), "<kind>.delay", "<kind>.closes_in"."""
    errors: dict[str, str] = {}
    rules = rules_for(session, project_id=project.id)  # type: ignore[arg-type]
    for kind, rule in rules.items():
        rule.triggers_pulse = data.get(f"{kind}.pulse") in ("on", "1", "true", True)
        rule.delay_days = _days(data.get(f"{kind}.delay", 0), f"{kind}.delay", 0, errors)
        rule.closes_in_days = _days(
            data.get(f"{kind}.closes_in", 7), f"{kind}.closes_in", 1, errors
        )
        rule.updated_at = utcnow()
    if errors:
        raise InputError(errors)
    session.add_all(rules.values())
    audit.record(
        session,
        actor_id=actor.id,
        action="project_event.rules",
        target_kind="project",
        target_id=project.id,
        detail={k.value: r.triggers_pulse for k, r in rules.items()},
    )


def parse(data: Mapping[str, object], *, now: datetime) -> tuple[ProjectEventKind, str, datetime]:
    """(kind, note, occurred_at) from a posted event; raises InputError."""
    errors: dict[str, str] = {}
    kind = None
    try:
        kind = ProjectEventKind(str(data.get("kind", "")))
    except ValueError:
        errors["kind"] = "must be one of " + ", ".join(k.value for k in ProjectEventKind)
    note = data.get("note", "")
    if not isinstance(note, str) or len(note.strip()) > NOTE_MAX:
        errors["note"] = f"must be text of at most {NOTE_MAX} characters"
        note = ""
    occurred = now
    raw = data.get("occurred_at")
    if raw is not None:
        try:
            occurred = datetime.fromisoformat(raw) if isinstance(raw, str) else None  # type: ignore[assignment]
        except ValueError:
            occurred = None  # type: ignore[assignment]
        if occurred is None or occurred.utcoffset() is None:
            errors["occurred_at"] = "must be an ISO 8601 date-time with a time zone"
            occurred = now
        elif occurred > now + timedelta(days=1):
            errors["occurred_at"] = "must not be in the future"
    if errors:
        raise InputError(errors)
    assert kind is not None
    return kind, note.strip(), occurred


def find(session: Session, *, project_id: int, key: str) -> ProjectEvent | None:
    """The event posted earlier under the same idempotency key."""
    return session.exec(
        select(ProjectEvent).where(
            ProjectEvent.project_id == project_id, ProjectEvent.idempotency_key == key
        )
    ).first()


def receive(
    session: Session,
    *,
    project: Project,
    data: Mapping[str, object],
    key: str | None,
    actor: User,
    secret_key: str,
    now: datetime | None = None,
) -> Received:
    """Store the event and, if the project's rule says so, create and schedule its pulse.

    The same `key` twice returns the first event and its wave: a retried POST is harmless.
    """
    now = now or utcnow()
    if key is not None and not 1 <= len(key) <= KEY_MAX:
        raise InputError({"idempotency_key": f"must be 1 to {KEY_MAX} characters"})
    if key is not None and (earlier := find(session, project_id=project.id, key=key)):  # type: ignore[arg-type]
        return Received(earlier, _wave(session, earlier), created=False)
    kind, note, occurred = parse(data, now=now)
    event = ProjectEvent(
        project_id=project.id,  # type: ignore[arg-type]
        kind=kind,
        note=note,
        occurred_at=occurred,
        received_at=now,
        idempotency_key=key,
        created_by_id=actor.id,
    )
    try:
        with session.begin_nested():
            session.add(event)
    except IntegrityError:
        # The same key arrived from a concurrent request a moment ago.
        earlier = find(session, project_id=project.id, key=key or "")  # type: ignore[arg-type]
        if earlier is None:
            raise
        return Received(earlier, _wave(session, earlier), created=False)
    rule = rules_for(session, project_id=project.id)[kind]  # type: ignore[arg-type]
    wave = _trigger(
        session,
        project=project,
        event=event,
        rule=rule,
        actor=actor,
        secret_key=secret_key,
        now=now,
    )
    audit.record(
        session,
        actor_id=actor.id,
        action="project_event.receive",
        target_kind="project_event",
        target_id=event.id,
        detail={"kind": kind.value, "wave_id": wave.id if wave else None},
    )
    return Received(event, wave, created=True)


def _trigger(
    session: Session,
    *,
    project: Project,
    event: ProjectEvent,
    rule: ProjectEventRule,
    actor: User,
    secret_key: str,
    now: datetime,
) -> Wave | None:
    if not rule.triggers_pulse:
        event.outcome = "no pulse: the project's rules do not trigger one for this event"
        session.add(event)
        return None
    # An event reported late still gets its pulse, starting now rather than in the past.
    opens_at = max(now, event.occurred_at + timedelta(days=rule.delay_days))
    closes_at = opens_at + timedelta(days=rule.closes_in_days)
    reminders = tuple(d for d in waves.DEFAULT_REMINDER_DAYS if d < rule.closes_in_days)
    try:
        with session.begin_nested():
            wave = waves.create_wave(
                session,
                projects=[project],
                opens_at=opens_at,
                closes_at=closes_at,
                secret_key=secret_key,
                reminders=reminders,
                title=f"{KIND_LABELS[event.kind]} pulse {opens_at:%Y-%m-%d}",
                created_by_id=actor.id,
            )
            waves.schedule(session, wave=wave)
    except waves.WaveError as exc:
        event.outcome = f"no pulse: {exc}"[:200]
        session.add(event)
        return None
    event.wave_id = wave.id
    event.outcome = f"pulse scheduled to open {opens_at:%Y-%m-%d}"
    session.add(event)
    return wave


def _wave(session: Session, event: ProjectEvent) -> Wave | None:
    return session.get(Wave, event.wave_id) if event.wave_id is not None else None


def recent(session: Session, *, project_id: int, limit: int = 50) -> list[tuple]:
    """The project's latest events with the wave each triggered: (event, wave or None)."""
    return list(
        session.exec(
            select(ProjectEvent, Wave)
            .join(Wave, col(Wave.id) == col(ProjectEvent.wave_id), isouter=True)
            .where(ProjectEvent.project_id == project_id)
            .order_by(col(ProjectEvent.received_at).desc(), col(ProjectEvent.id).desc())
            .limit(limit)
        ).all()
    )

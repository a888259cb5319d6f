"""Waves: create one for some projects and recipients, then move it draft → scheduled → open
→ closed. Keyword-only functions on a session; the caller commits. No Flask here."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, col, func, select

from survey import webhook_events
from survey.models import (
    Attribution,
    DeliveryStatus,
    Invitation,
    MailDelivery,
    MailSuppression,
    Project,
    Relationship,
    Stakeholder,
    User,
    Wave,
    WaveProject,
    WaveStatus,
)
from survey.passwords import invitation_token, new_salt, token_hash
from survey.pm_actions import can_change
from survey.pulse_templates import relationship_pulse

DEFAULT_REMINDER_DAYS = (3, 6)
MAX_REMINDERS = 3


class WaveError(ValueError):
    """A wave cannot be created or changed as asked; the message says why."""


def parse_reminder_days(text: str) -> tuple[int, ...]:
    """'3,6' → (3, 6): up to three increasing whole days from 1 to 60 ('' means none)."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise WaveError(f"reminder days must be whole numbers separated by commas, not {text!r}")
    days = tuple(int(p) for p in parts)
    if len(days) > MAX_REMINDERS or any(not 1 <= d <= 60 for d in days):
        raise WaveError(f"give at most {MAX_REMINDERS} reminder days, each from 1 to 60")
    if list(days) != sorted(set(days)):
        raise WaveError("reminder days must increase, e.g. 3,6")
    return days


def reminder_days(wave: Wave) -> tuple[int, ...]:
    """The wave's reminder offsets in days."""
    return parse_reminder_days(wave.reminder_days)


def _recipients(
    session: Session, *, project_ids: Sequence[int], relationship_ids: Iterable[int] | None
) -> list[Relationship]:
    active = session.exec(
        select(Relationship)
        .where(col(Relationship.project_id).in_(project_ids), col(Relationship.active))
        .order_by(col(Relationship.id))
    ).all()
    if relationship_ids is None:
        return list(active)
    wanted = set(relationship_ids)
    unknown = wanted - {r.id for r in active}
    if unknown:
        listed = ", ".join(str(i) for i in sorted(unknown))
        raise WaveError(f"not an active relationship of the chosen projects: {listed}")
    return [r for r in active if r.id in wanted]


def create_wave(
    session: Session,
    *,
    projects: Sequence[Project],
    opens_at: datetime,
    closes_at: datetime,
    secret_key: str,
    relationship_ids: Iterable[int] | None = None,
    reminders: Sequence[int] = DEFAULT_REMINDER_DAYS,
    attribution: Attribution = Attribution.attributed,
    title: str = "",
    template_id: int | None = None,
    created_by_id: int | None = None,
) -> Wave:
    """A draft wave with one invitation per recipient (all active relationships by default)."""
    if not projects:
        raise WaveError("choose at least one project")
    if closes_at <= opens_at:
        raise WaveError("the wave must close after it opens")
    days = parse_reminder_days(",".join(str(d) for d in reminders))
    if days and timedelta(days=days[-1]) >= closes_at - opens_at:
        raise WaveError("every reminder must fall before the wave closes")
    project_ids = [p.id for p in projects if p.id is not None]
    recipients = _recipients(session, project_ids=project_ids, relationship_ids=relationship_ids)
    if not recipients:
        raise WaveError("the chosen projects have no active relationships to invite")
    wave = Wave(
        template_id=template_id or relationship_pulse(session).id,  # type: ignore[arg-type]
        title=title.strip() or opens_at.strftime("%B %Y pulse"),
        opens_at=opens_at,
        closes_at=closes_at,
        status=WaveStatus.draft,
        attribution=attribution,
        reminder_days=",".join(str(d) for d in days),
        created_by_id=created_by_id,
    )
    session.add(wave)
    session.flush()
    session.add_all(WaveProject(wave_id=wave.id, project_id=pid) for pid in project_ids)  # type: ignore[arg-type]
    add_invitations(session, wave=wave, relationships=recipients, secret_key=secret_key)
    return wave


def add_invitations(
    session: Session, *, wave: Wave, relationships: Iterable[Relationship], secret_key: str
) -> list[Invitation]:
    """One invitation per relationship; ones the wave already has are kept, not duplicated."""
    existing = set(
        session.exec(select(Invitation.relationship_id).where(Invitation.wave_id == wave.id)).all()
    )
    created = []
    for relationship in relationships:
        if relationship.id in existing:
            continue
        salt = new_salt()
        invitation = Invitation(
            wave_id=wave.id,  # type: ignore[arg-type]
            relationship_id=relationship.id,  # type: ignore[arg-type]
            token_salt=salt,
            token_hash=token_hash(invitation_token(secret_key, salt)),
        )
        session.add(invitation)
        created.append(invitation)
    session.flush()
    return created


def schedule(session: Session, *, wave: Wave) -> Wave:
    """Confirm a draft: the scheduler opens it (and mails it) when its time comes."""
    if wave.status != WaveStatus.draft:
        raise WaveError(f"wave {wave.id} is {wave.status}, not a draft")
    wave.status = WaveStatus.scheduled
    session.add(wave)
    return wave


def open_now(session: Session, *, wave: Wave, now: datetime) -> Wave:
    """Open a draft or scheduled wave at once (its opening time becomes now)."""
    if wave.status == WaveStatus.closed:
        raise WaveError(f"wave {wave.id} is closed")
    if wave.closes_at <= now:
        raise WaveError(f"wave {wave.id} closed on {wave.closes_at:%Y-%m-%d}; nothing to send")
    if wave.status != WaveStatus.open:
        wave.status = WaveStatus.open
        wave.opens_at = min(wave.opens_at, now)
        session.add(wave)
    return wave


def close(session: Session, *, wave: Wave, now: datetime) -> Wave:
    """Close a wave now: no more answers, and mail not yet sent is cancelled."""
    if wave.status != WaveStatus.closed:
        wave.status = WaveStatus.closed
        wave.closes_at = min(wave.closes_at, now)
        session.add(wave)
        webhook_events.wave_closed(session, wave)
    cancel_pending_mail(session, wave_id=wave.id)  # type: ignore[arg-type]
    return wave


def cancel_pending_mail(session: Session, *, wave_id: int) -> int:
    """Cancel every delivery of the wave still waiting to go; returns how many."""
    result = session.execute(
        update(MailDelivery)
        .where(col(MailDelivery.wave_id) == wave_id)
        .where(col(MailDelivery.status) == DeliveryStatus.pending)
        .values(status=DeliveryStatus.cancelled, last_error="wave closed")
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def advance(session: Session, *, now: datetime) -> list[Wave]:
    """Open scheduled waves whose time has come and close expired ones; returns open waves."""
    for wave in session.exec(
        select(Wave).where(col(Wave.status).in_([WaveStatus.scheduled, WaveStatus.open]))
    ).all():
        if wave.closes_at <= now:
            close(session, wave=wave, now=now)
        elif wave.status == WaveStatus.scheduled and wave.opens_at <= now:
            wave.status = WaveStatus.open
            session.add(wave)
    session.flush()
    return list(session.exec(select(Wave).where(Wave.status == WaveStatus.open)).all())


@dataclass(frozen=True)
class WaveCounts:
    """A wave's response rate as the PM sees it."""

    invited: int
    emailed: int
    answered: int
    bounced: int
    unsubscribed: int
    deferred: int
    skipped: int

    @property
    def rate(self) -> float | None:
        """Answered per emailed invitation, None before any email went out."""
        return self.answered / self.emailed if self.emailed else None


def counts(
    session: Session, *, wave_id: int, project_ids: Collection[int] | None = None
) -> WaveCounts:
    """Invited, emailed, answered, bounced, unsubscribed, deferred and skipped for one wave,
    over the invitations of `project_ids` only when given (None: the whole wave)."""
    query = (
        select(Invitation, Stakeholder, MailSuppression.id)
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(
            MailSuppression,
            func.lower(Stakeholder.email) == col(MailSuppression.email),
            isouter=True,
        )
        .where(Invitation.wave_id == wave_id)
    )
    if project_ids is not None:
        query = query.where(col(Relationship.project_id).in_(project_ids))
    rows = session.exec(query).all()
    bounced = set(
        session.exec(
            select(MailDelivery.invitation_id).where(
                MailDelivery.wave_id == wave_id, MailDelivery.status == DeliveryStatus.bounced
            )
        ).all()
    )
    return WaveCounts(
        invited=len(rows),
        emailed=sum(1 for inv, _s, _b in rows if inv.sent_at is not None),
        answered=sum(1 for inv, _s, _b in rows if inv.responded_at is not None),
        bounced=sum(1 for inv, _s, sup in rows if sup is not None or inv.id in bounced),
        unsubscribed=sum(1 for _i, s, _b in rows if s.unsubscribed_at is not None),
        deferred=sum(1 for inv, _s, _b in rows if inv.sent_at is None and inv.send_after),
        skipped=sum(1 for inv, _s, _b in rows if inv.skip_reason is not None),
    )


def may_change(user: User, projects: Iterable[Project]) -> bool:
    """Whether `user` may schedule or close a wave of `projects` (`projects_of`): it mails,
    or stops, every project's people, so a wave shared between projects is changed only by
    someone who may change each of them (an admin, or a PM who manages them all)."""
    return all(can_change(user, project) for project in projects)


def projects_of(session: Session, *, wave_id: int) -> list[Project]:
    """The projects a wave covers, by code."""
    return list(
        session.exec(
            select(Project)
            .join(WaveProject, col(WaveProject.project_id) == col(Project.id))
            .where(WaveProject.wave_id == wave_id)
            .order_by(col(Project.code))
        ).all()
    )

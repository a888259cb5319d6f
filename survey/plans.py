"""The communication plan: who gets which digest and how often, with defaults by role; and
the digests and review packs a worker stopped sending midway, which an admin sends again or
gives up on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from survey import audit, mail_problems, queue
from survey.grants import viewers_of
from survey.models import (
    Audience,
    CommunicationPlanEntry,
    DigestLog,
    Frequency,
    Project,
    Relationship,
    ReportStatus,
    Stakeholder,
    StakeholderKind,
    User,
    utcnow,
)

# Role on the project (lower case) -> the report that role needs by default.
ROLE_DEFAULTS: dict[str, tuple[Audience, Frequency]] = {
    "business area manager": (Audience.summary, Frequency.weekly),
    "business lead": (Audience.detailed, Frequency.daily),
    "it sponsor": (Audience.statistical, Frequency.weekly),
}
PM_DEFAULT = (Audience.detailed, Frequency.weekly)
# IT executives without one of the roles above still own the project: numbers, weekly.
IT_EXECUTIVE_DEFAULT = (Audience.statistical, Frequency.weekly)
NO_DIGEST = (Audience.none, Frequency.none)


@dataclass(frozen=True)
class PlanLine:
    """One person's digest on a project, stored or defaulted."""

    recipient: str  # "stakeholder:<id>" or "user:<id>"
    name: str
    email: str
    role: str
    audience: Audience
    frequency: Frequency
    is_default: bool

    @property
    def receives(self) -> bool:
        return self.audience != Audience.none and self.frequency != Frequency.none


def default_for(role: str, kind: StakeholderKind | str | None = None) -> tuple[Audience, Frequency]:
    """The default audience and frequency of a role on the project."""
    found = ROLE_DEFAULTS.get(" ".join(role.lower().split()))
    if found is not None:
        return found
    if kind == StakeholderKind.it_executive:
        return IT_EXECUTIVE_DEFAULT
    return NO_DIGEST


def plan_for(session: Session, *, project: Project) -> list[PlanLine]:
    """The PM, the viewers granted the project and every active stakeholder, with their digest."""
    stored = {
        e.recipient: e
        for e in session.exec(
            select(CommunicationPlanEntry).where(CommunicationPlanEntry.project_id == project.id)
        )
    }
    people: list[tuple[str, str, str, str, tuple[Audience, Frequency]]] = []
    pm = session.get(User, project.pm_id) if project.pm_id else None
    if pm is not None:
        people.append((f"user:{pm.id}", pm.name, pm.email, "Project manager", PM_DEFAULT))
    # Viewers granted the project may be sent its digest; revoking the grant stops it.
    for viewer in viewers_of(session, project_id=project.id):  # type: ignore[arg-type]
        if viewer.active:
            people.append((f"user:{viewer.id}", viewer.name, viewer.email, "Viewer", NO_DIGEST))
    for rel, person in session.exec(
        select(Relationship, Stakeholder)
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .where(Relationship.project_id == project.id, col(Relationship.active))
        .order_by(col(Stakeholder.influence).desc(), col(Stakeholder.name))
    ).all():
        default = default_for(rel.role, person.kind)
        people.append((f"stakeholder:{person.id}", person.name, person.email, rel.role, default))
    lines = []
    for recipient, name, email, role, (audience, frequency) in people:
        entry = stored.get(recipient)
        if entry is not None:
            audience, frequency = entry.audience, entry.frequency
        lines.append(PlanLine(recipient, name, email, role, audience, frequency, entry is None))
    return lines


def set_entry(
    session: Session,
    *,
    project: Project,
    recipient: str,
    audience: Audience,
    frequency: Frequency,
) -> CommunicationPlanEntry:
    """Store one person's choice (replacing an earlier one); the caller commits."""
    kind, _, raw_id = recipient.partition(":")
    if kind not in ("stakeholder", "user") or not raw_id.isdigit():
        raise ValueError(f"not a recipient: {recipient!r}")
    if recipient not in {line.recipient for line in plan_for(session, project=project)}:
        raise ValueError("that person is not on this project")
    entry = session.exec(
        select(CommunicationPlanEntry).where(
            CommunicationPlanEntry.project_id == project.id,
            CommunicationPlanEntry.recipient == recipient,
        )
    ).first() or CommunicationPlanEntry(project_id=project.id, recipient=recipient)  # type: ignore[arg-type]
    entry.stakeholder_id = int(raw_id) if kind == "stakeholder" else None
    entry.user_id = int(raw_id) if kind == "user" else None
    entry.audience = audience
    entry.frequency = frequency
    entry.updated_at = utcnow()
    session.add(entry)
    return entry


# Digests and review packs are sent at most once: a worker that stopped mid-send leaves its
# row in "sending", and whether the email left is unknown. Only an admin sends it again.
INTERRUPTED, SENDING_AGAIN = "interrupted", "sending again"
EXPLANATIONS = {
    INTERRUPTED: "interrupted: may not have arrived",
    SENDING_AGAIN: "to be sent again by the next run (it may arrive twice)",
}
SENT_AGAIN_NOTE = "a worker stopped while sending it; an admin had it sent again"
DISMISSED_NOTE = (
    "a worker stopped while sending it; it may or may not have arrived, "
    "and an admin chose not to send it again"
)


def interrupted_condition(now: datetime) -> ColumnElement[bool]:
    """Log rows claimed for sending so long ago that their worker must have stopped."""
    stale = mail_problems.stale_before(now)
    claimed_at = col(DigestLog.claimed_at)
    return and_(
        col(DigestLog.status) == ReportStatus.sending,
        or_(claimed_at < stale, and_(claimed_at.is_(None), col(DigestLog.created_at) < stale)),
    )


@dataclass(frozen=True)
class UnfinishedReport:
    """A digest or review pack that did not simply go out once."""

    entry: DigestLog
    project: Project
    state: str  # INTERRUPTED or SENDING_AGAIN

    @property
    def person(self) -> str:
        """ "Stakeholder 12" or "User 3": ids only, like the rest of the admin pages."""
        kind, _, raw_id = self.entry.recipient.partition(":")
        return f"{kind.capitalize()} {raw_id}"

    @property
    def what(self) -> str:
        """ "summary digest" or "review pack"."""
        if self.entry.kind == "review":
            return "review pack"
        return f"{self.entry.audience} {self.entry.kind}"

    @property
    def claimed_at(self) -> datetime:
        return self.entry.claimed_at or self.entry.created_at

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.state]


def unfinished_reports(session: Session, *, now: datetime) -> list[UnfinishedReport]:
    """Interrupted digests and packs, and those waiting to be sent again, oldest first."""
    rows = session.exec(
        select(DigestLog, Project)
        .join(Project, col(Project.id) == col(DigestLog.project_id))
        .where(or_(interrupted_condition(now), col(DigestLog.status) == ReportStatus.resend))
        .order_by(col(DigestLog.created_at), col(DigestLog.id))
    ).all()
    return [
        UnfinishedReport(
            entry,
            project,
            SENDING_AGAIN if entry.status == ReportStatus.resend else INTERRUPTED,
        )
        for entry, project in rows
    ]


def _decide(
    session: Session,
    *,
    entry: DigestLog,
    actor_id: int,
    now: datetime,
    status: ReportStatus,
    note: str,
    action: str,
) -> bool:
    # Only from a stale "sending": of two clicks racing, or a click racing a worker that was
    # slow rather than dead, one wins and the other changes nothing.
    result = session.execute(
        update(DigestLog)
        .where(col(DigestLog.id) == entry.id)
        .where(interrupted_condition(now))
        .values(status=status, note=note)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(
        session,
        actor_id=actor_id,
        action=action,
        target_kind="digest_log",
        target_id=entry.id,
        detail={"project_id": entry.project_id, "kind": entry.kind, "period": entry.period},
    )
    return True


def send_again(session: Session, *, entry: DigestLog, actor_id: int, now: datetime) -> bool:
    """Mark an interrupted report to be sent once more; False if it is not interrupted.

    The report job claims it like a new one (resend -> sending), so running the job twice
    still sends it once. The caller commits, then calls hand_to_reports_queue.
    """
    return _decide(
        session,
        entry=entry,
        actor_id=actor_id,
        now=now,
        status=ReportStatus.resend,
        note=SENT_AGAIN_NOTE,
        action="report.send_again",
    )


def dismiss(session: Session, *, entry: DigestLog, actor_id: int, now: datetime) -> bool:
    """Give up on an interrupted report (it is no longer listed); False if not interrupted.
    The caller commits."""
    return _decide(
        session,
        entry=entry,
        actor_id=actor_id,
        now=now,
        status=ReportStatus.dismissed,
        note=DISMISSED_NOTE,
        action="report.dismiss",
    )


def claim(session: Session, entry: DigestLog) -> DigestLog | None:
    """Insert a new log row (a claim on its recipient, kind and period), committed; None
    when another run already holds that claim."""
    session.add(entry)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    return entry


def claim_again(session: Session, *, entry_id: int) -> DigestLog | None:
    """Take a report an admin asked for again (resend -> sending), committed; None when
    another run took it first."""
    result = session.execute(
        update(DigestLog)
        .where(col(DigestLog.id) == entry_id)
        .where(col(DigestLog.status) == ReportStatus.resend)
        .values(status=ReportStatus.sending, claimed_at=utcnow())
    )
    session.commit()
    if not result.rowcount:  # type: ignore[attr-defined]
        return None
    return session.get(DigestLog, entry_id, populate_existing=True)


def queue_digests(redis_url: str, *, project_id: int) -> bool:
    """Ask the reports queue for a run of the project's digests; False when Redis is
    unreachable. One job id per project, so a run already waiting is not queued twice."""
    return queue.enqueue(
        redis_url,
        "reports",
        "workers.digests.send_project_digests",
        project_id,
        job_id=f"digests-{project_id}",
    )


def queue_review(redis_url: str, *, project_id: int, quarter: str) -> bool:
    """Ask the reports queue for the project's review pack of `quarter`; False when Redis
    is unreachable."""
    return queue.enqueue(
        redis_url,
        "reports",
        "workers.reviews.send_review_pack",
        project_id,
        quarter,
        job_id=f"review-{project_id}-{quarter}",
    )


def hand_to_reports_queue(redis_url: str, *, entry: DigestLog) -> bool:
    """Ask the reports queue to run the job that sends this report; False when Redis is
    unreachable (the scheduler's next digest or review run picks it up then)."""
    if entry.kind == "review":
        return queue_review(redis_url, project_id=entry.project_id, quarter=entry.period)
    return queue_digests(redis_url, project_id=entry.project_id)

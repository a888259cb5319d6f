"""The communication plan: who gets which digest and how often, with defaults by role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from survey.grants import viewers_of
from survey.models import (
    Audience,
    CommunicationPlanEntry,
    Frequency,
    Project,
    Relationship,
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

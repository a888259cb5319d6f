"""What the PM may see of a wave: recipients' delivery state and results, with the
confidential-wave rule applied (no names on answers, no group under three respondents)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, col, func, select

from analysis.privacy import NOT_ENOUGH, shown_groups, total_shown
from survey import distribution
from survey.models import (
    Answer,
    Attribution,
    DeliveryStatus,
    Invitation,
    MailDelivery,
    Project,
    Question,
    QuestionKind,
    Relationship,
    Response,
    Stakeholder,
    Wave,
    WaveStatus,
)

CONFIDENTIAL_STATES = ("opted out", "bounced")
UNTIL_CLOSED = "shown when the wave closes"


@dataclass
class RecipientRow:
    """One invitation as the wave page lists it."""

    invitation: Invitation
    stakeholder: Stakeholder
    project: Project
    state: str  # what happened to the email: sent, deferred, skipped, bounced, ...
    answered: bool | None  # None when the wave is confidential


def recipients(session: Session, *, wave: Wave) -> list[RecipientRow]:
    """Each invitation with the state of its email; answered only for attributed waves."""
    rows = session.exec(
        select(Invitation, Stakeholder, Project)
        .join(Relationship, col(Relationship.id) == col(Invitation.relationship_id))
        .join(Stakeholder, col(Stakeholder.id) == col(Relationship.stakeholder_id))
        .join(Project, col(Project.id) == col(Relationship.project_id))
        .where(Invitation.wave_id == wave.id)
        .order_by(col(Project.code), col(Stakeholder.name))
    ).all()
    latest: dict[int, MailDelivery] = {}
    for delivery in session.exec(
        select(MailDelivery).where(MailDelivery.wave_id == wave.id).order_by(col(MailDelivery.id))
    ):
        latest[delivery.invitation_id] = delivery
    bounced = distribution.suppressed_emails(session, (s.email for _i, s, _p in rows))
    confidential = wave.attribution == Attribution.confidential
    out = []
    for invitation, stakeholder, project in rows:
        state = _state(invitation, stakeholder, latest.get(invitation.id), bounced)  # type: ignore[arg-type]
        if confidential and invitation.sent_at is not None and state not in CONFIDENTIAL_STATES:
            # Reminders go only to non-respondents: naming them would say who answered.
            state = "emailed"
        answered = None if confidential else invitation.responded_at is not None
        out.append(RecipientRow(invitation, stakeholder, project, state, answered))
    return out


def _state(
    invitation: Invitation, stakeholder: Stakeholder, delivery: MailDelivery | None, bounced: set
) -> str:
    if stakeholder.unsubscribed_at is not None:
        return "opted out"
    if stakeholder.email.lower() in bounced:
        return "bounced"
    if invitation.skip_reason:
        return f"skipped: {invitation.skip_reason}"
    if delivery is None:
        if invitation.send_after:
            return f"deferred to {invitation.send_after:%-d %b}"
        return "not sent yet"
    if delivery.status == DeliveryStatus.pending and delivery.attempts:
        return f"retrying ({delivery.last_error or 'temporary failure'})"
    label = {"invitation": "invitation", "reminder-1": "reminder 1"}.get(delivery.kind)
    label = label or delivery.kind.replace("-", " ")
    return f"{label} {delivery.status}"


@dataclass
class ResultRow:
    """Means per scale question for one group of respondents, or why they are hidden."""

    label: str
    respondents: int
    means: dict[str, float] = field(default_factory=dict)
    hidden: str | None = None
    project_id: int | None = None  # None: the row over all of the wave's projects


def results(session: Session, *, wave: Wave) -> tuple[list[str], list[ResultRow]]:
    """Per-project and overall means; confidential waves hide groups under three."""
    counts = dict(
        session.exec(
            select(Relationship.project_id, func.count(col(Response.id)))
            .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
            .where(Response.wave_id == wave.id)
            .group_by(col(Relationship.project_id))
        ).all()
    )
    means: dict[int, dict[str, float]] = {}
    keys: list[str] = []
    for project_id, key, mean in session.exec(
        select(Relationship.project_id, Question.key, func.avg(Answer.value_int))
        .join(Response, col(Response.id) == col(Answer.response_id))
        .join(Question, col(Question.id) == col(Answer.question_id))
        .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
        .where(Response.wave_id == wave.id, Question.kind == QuestionKind.scale_1_5)
        .group_by(col(Relationship.project_id), col(Question.key), col(Question.order))
        .order_by(col(Question.order))
    ).all():
        means.setdefault(project_id, {})[key] = float(mean)
        if key not in keys:
            keys.append(key)
    projects = {p.id: p for p in session.exec(select(Project).where(col(Project.id).in_(counts)))}
    confidential = wave.attribution == Attribution.confidential
    # An open confidential wave shows nothing yet: two looks one answer apart would
    # reveal that answer.
    still_open = confidential and wave.status != WaveStatus.closed
    visible = set() if still_open else shown_groups(counts) if confidential else set(counts)
    hidden_note = UNTIL_CLOSED if still_open else NOT_ENOUGH
    rows = [
        ResultRow(
            f"{projects[pid].code} · {projects[pid].name}",
            counts[pid],
            means.get(pid, {}) if pid in visible else {},
            None if pid in visible else hidden_note,
            pid,
        )
        for pid in sorted(counts, key=lambda p: projects[p].code)
    ]
    if len(rows) > 1:
        rows.append(_overall(session, wave, keys, counts, confidential))
    return keys, rows


def _overall(
    session: Session, wave: Wave, keys: list[str], counts: dict[int, int], confidential: bool
) -> ResultRow:
    total = sum(counts.values())
    if confidential and wave.status != WaveStatus.closed:
        return ResultRow("All projects", total, {}, UNTIL_CLOSED)
    if confidential and not total_shown(counts):
        return ResultRow("All projects", total, {}, NOT_ENOUGH)
    overall = dict(
        session.exec(
            select(Question.key, func.avg(Answer.value_int))
            .join(Response, col(Response.id) == col(Answer.response_id))
            .join(Question, col(Question.id) == col(Answer.question_id))
            .where(Response.wave_id == wave.id, Question.kind == QuestionKind.scale_1_5)
            .group_by(col(Question.key))
        ).all()
    )
    return ResultRow("All projects", total, {k: float(overall[k]) for k in keys if k in overall})

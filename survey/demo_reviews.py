"""Demo additions for digests and reviews: a communication plan, follow-up actions ("you said,
we did") and lessons learned. The demo's status reports and alerts, recorded at seeding time,
are the news that today's digests report."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from analysis import sentiment
from survey.models import (
    ActionStatus,
    Audience,
    CommunicationPlanEntry,
    FollowUpAction,
    Frequency,
    Lesson,
    LessonKind,
    Project,
    Relationship,
    utcnow,
)
from survey.plans import default_for
from survey.quarters import Quarter

# project code -> (what, owner, status, shared, days after the quarter started)
PM = "Dana Whitfield"
ACTIONS = {
    "FIN-ERP": (
        ("Weekly build demo for the finance key users", PM, "done", True, 10),
        ("Publish the revised cut-over plan with dates we can keep", PM, "in_progress", False, 40),
        ("Agree a single status page with the CFO's office", "PMO", "open", False, 60),
    ),
    "HR-SELF": (
        ("Escalate the payroll interface slip to the steering group", PM, "done", True, 20),
    ),
}

# Closed a few days ago and shared: the open pulse's invitations carry it as "you said, we did".
RECENT_SHARED = ("CRM-ROLL", "Training sessions moved to mornings, as sales asked")

# project code -> (kind, text, work again)
LESSONS = {
    "FIN-ERP": (
        (
            "went_well",
            "The weekly demos meant finance saw real screens early and trusted the progress.",
            "Yes",
        ),
        (
            "should_change",
            "Bad news about the interface delay reached us late; tell us as soon as you know.",
            "Maybe",
        ),
        ("note", "Agreed at the review: estimates come with a confidence range from now on.", None),
    ),
    "CRM-ROLL": (
        ("went_well", "Sales operations felt like partners in the design workshops.", "Yes"),
    ),
}


def seed(session: Session) -> None:
    """Add the communication plan, actions and lessons to the seeded portfolio."""
    now = utcnow()
    last_quarter = Quarter.last_finished(now)
    projects = {p.code: p for p in session.exec(select(Project)).all()}
    _plan(session, projects["FIN-ERP"])
    for code, rows in ACTIONS.items():
        for what, owner, status, shared, day in rows:
            created = last_quarter.start + timedelta(days=day)
            done = status == "done"
            session.add(
                FollowUpAction(
                    project_id=projects[code].id,  # type: ignore[arg-type]
                    what=what,
                    owner=owner,
                    due_on=(created + timedelta(days=30)).date(),
                    status=ActionStatus(status),
                    share_with_stakeholders=shared,
                    created_at=created,
                    closed_at=created + timedelta(days=14) if done else None,
                )
            )
    code, what = RECENT_SHARED
    session.add(
        FollowUpAction(
            project_id=projects[code].id,  # type: ignore[arg-type]
            what=what,
            owner=PM,
            status=ActionStatus.done,
            share_with_stakeholders=True,
            created_at=now - timedelta(days=20),
            closed_at=now - timedelta(days=3),
        )
    )
    for code, rows in LESSONS.items():
        rels = _relationships(session, projects[code])
        for i, (kind, text, again) in enumerate(rows):
            reading = sentiment.score(text)
            session.add(
                Lesson(
                    project_id=projects[code].id,  # type: ignore[arg-type]
                    relationship_id=None if kind == "note" else rels[i % len(rels)].id,
                    kind=LessonKind(kind),
                    text=text,
                    work_again=again,
                    polarity=reading.polarity,
                    subjectivity=reading.subjectivity,
                    label=reading.label,
                    themes=",".join(reading.themes),
                    analyzer_version=sentiment.ANALYZER_VERSION,
                    recorded_at=last_quarter.start + timedelta(days=70 + i),
                )
            )
    session.flush()


def _relationships(session: Session, project: Project) -> list[Relationship]:
    return list(
        session.exec(
            select(Relationship)
            .where(Relationship.project_id == project.id)
            .order_by(col(Relationship.id))
        ).all()
    )


def _plan(session: Session, project: Project) -> None:
    """Stored entries for one project: the role defaults, and the key user opting out."""
    for rel in _relationships(session, project):
        audience, frequency = default_for(rel.role)
        if rel.role == "Key user":
            audience, frequency = Audience.none, Frequency.none
        elif audience == Audience.none:
            audience, frequency = Audience.summary, Frequency.weekly
        session.add(
            CommunicationPlanEntry(
                project_id=project.id,  # type: ignore[arg-type]
                recipient=f"stakeholder:{rel.stakeholder_id}",
                stakeholder_id=rel.stakeholder_id,
                audience=audience,
                frequency=frequency,
            )
        )

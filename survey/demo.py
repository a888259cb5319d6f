"""A deterministic demo portfolio: projects, stakeholders, six months of pulses, an open wave."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, select

from survey import demo_reviews, events, outbox
from survey.demo_comments import NEGATIVE, NEUTRAL, POSITIVE
from survey.models import (
    Answer,
    Invitation,
    Project,
    ProjectGrant,
    Rag,
    Relationship,
    Response,
    Role,
    Stakeholder,
    StakeholderKind,
    StatusReport,
    User,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.passwords import hash_password, invitation_token, new_salt, token_hash
from survey.pulse_templates import questions_of, relationship_pulse

HISTORY_WAVES = 6

USERS = (
    ("pm@example.com", "Dana Whitfield", Role.pm),
    ("admin@example.com", "Sam Okafor", Role.admin),
    ("pm2@example.com", "Lee Marsh", Role.pm),
    ("viewer@example.com", "Priya Nair", Role.viewer),
)
# The demo viewer, an IT portfolio lead, reads the projects an admin granted her, no others.
VIEWER_GRANTS = {"viewer@example.com": ("FIN-ERP", "DW-MOD")}

# code, name, phase, pm email, reported statuses over the six months, rating drift per wave
PROJECTS = (
    ("FIN-ERP", "Finance ERP replacement", "build", "pm@example.com", ("green",) * 6, (4.2, -0.35)),
    (
        "CRM-ROLL",
        "Sales CRM rollout",
        "deployment",
        "pm@example.com",
        ("amber", "amber", "green", "green", "green", "green"),
        (3.3, 0.18),
    ),
    (
        "HR-SELF",
        "HR self-service portal",
        "testing",
        "pm@example.com",
        ("green", "amber", "red", "red", "red", "red"),
        (3.7, 0.02),
    ),
    (
        "DW-MOD",
        "Data warehouse modernisation",
        "design",
        "pm2@example.com",
        ("green", "green", "amber", "green", "green", "green"),
        (3.5, 0.05),
    ),
)

# name, title, business unit, kind, influence, interest, nervous
STAKEHOLDERS = (
    ("Maria Chen", "Chief Financial Officer", "Finance", "business", 5, 4, False),
    ("Tom Reilly", "Financial Controller", "Finance", "business", 4, 5, True),
    ("Aisha Karim", "Accounts Payable Lead", "Finance", "business", 2, 5, False),
    ("Graham Holt", "CIO", "IT", "it_executive", 5, 3, False),
    ("Sofia Lindqvist", "Head of Sales Operations", "Sales", "business", 4, 4, False),
    ("Ben Adeyemi", "Regional Sales Manager", "Sales", "business", 3, 4, False),
    ("Claire Dubois", "Sales Enablement Lead", "Sales", "business", 2, 3, False),
    ("Raj Patel", "HR Director", "People", "business", 4, 3, True),
    ("Emma Walsh", "HR Operations Manager", "People", "business", 3, 5, False),
    ("Kenji Mori", "Payroll Lead", "People", "business", 2, 4, False),
    ("Olivia Grant", "Head of Analytics", "Strategy", "business", 4, 5, False),
    ("Daniel Novak", "IT Portfolio Director", "IT", "it_executive", 5, 2, False),
    ("Hannah Price", "Procurement Manager", "Finance", "business", 3, 2, False),
)

# project code -> (stakeholder index, role on the project)
MEMBERS = {
    "FIN-ERP": (
        (0, "Sponsor"),
        (1, "Business lead"),
        (2, "Key user"),
        (3, "IT sponsor"),
        (12, "Business area manager"),
    ),
    "CRM-ROLL": ((4, "Sponsor"), (5, "Business lead"), (6, "Key user"), (11, "IT sponsor")),
    "HR-SELF": ((7, "Sponsor"), (8, "Business lead"), (9, "Key user"), (3, "IT sponsor")),
    "DW-MOD": ((10, "Sponsor"), (0, "Business area manager"), (11, "IT sponsor")),
}


@dataclass(frozen=True)
class DemoSummary:
    projects: int
    stakeholders: int
    responses: int
    open_wave_id: int


def is_empty(session: Session) -> bool:
    """True when no project exists yet."""
    return session.exec(select(Project.id)).first() is None


def _comment(rng: random.Random, rating: float) -> str:
    if rng.random() < 0.25:
        return ""
    if rating >= 3.8:
        pool = POSITIVE if rng.random() < 0.85 else NEUTRAL
    elif rating <= 2.7:
        pool = NEGATIVE if rng.random() < 0.85 else NEUTRAL
    else:
        pool = rng.choice((POSITIVE, NEUTRAL, NEGATIVE))
    return rng.choice(pool)


def seed(session: Session, *, seed: int, secret_key: str) -> DemoSummary:
    """Write the demo; every outbox event stays pending for the workers to score."""
    rng = random.Random(seed)
    users = {}
    for email, name, role in USERS:
        user = User(email=email, name=name, role=role, password_hash=hash_password("demo"))
        session.add(user)
        users[email] = user
    session.flush()
    template = relationship_pulse(session)
    questions = {q.key: q for q in questions_of(session, template.id)}  # type: ignore[arg-type]
    people = []
    for name, title, unit, kind, influence, interest, nervous in STAKEHOLDERS:
        email = name.lower().replace(" ", ".") + "@example.com"
        people.append(
            Stakeholder(
                name=name,
                email=email,
                title=title,
                business_unit=unit,
                kind=StakeholderKind(kind),
                influence=influence,
                interest=interest,
                nervous=nervous,
            )
        )
    session.add_all(people)
    session.flush()

    now = utcnow().replace(hour=9, minute=0, second=0, microsecond=0)
    month = timedelta(days=30)
    projects: list[tuple[Project, tuple, list[Relationship]]] = []
    for code, name, phase, pm_email, statuses, drift in PROJECTS:
        project = Project(code=code, name=name, phase=phase, pm_id=users[pm_email].id)
        session.add(project)
        session.flush()
        rels = [
            Relationship(project_id=project.id, stakeholder_id=people[i].id, role=role)  # type: ignore[arg-type]
            for i, role in MEMBERS[code]
        ]
        session.add_all(rels)
        for n, status in enumerate(statuses):
            reported = (now - month * (HISTORY_WAVES - n) + timedelta(days=3)).date()
            session.add(
                StatusReport(
                    project_id=project.id,
                    reported_on=reported,  # type: ignore[arg-type]
                    status=Rag(status),
                    note=_status_note(status),
                )
            )
        projects.append((project, drift, rels))
    session.flush()
    by_code = {project.code: project for project, _drift, _rels in projects}
    for email, codes in VIEWER_GRANTS.items():
        for code in codes:
            session.add(ProjectGrant(user_id=users[email].id, project_id=by_code[code].id))  # type: ignore[arg-type]

    responses = 0
    for n in range(HISTORY_WAVES + 1):
        opens = now - month * (HISTORY_WAVES - n) - timedelta(days=2)
        is_open = n == HISTORY_WAVES
        wave = Wave(
            template_id=template.id,
            title=opens.strftime("%B %Y pulse"),  # type: ignore[arg-type]
            opens_at=opens,
            closes_at=opens + timedelta(days=12 if is_open else 10),
            status=WaveStatus.open if is_open else WaveStatus.closed,
        )
        session.add(wave)
        session.flush()
        for project, (start, step), rels in projects:
            session.add(WaveProject(wave_id=wave.id, project_id=project.id))  # type: ignore[arg-type]
            for rel in rels:
                salt = new_salt()
                invitation = Invitation(
                    wave_id=wave.id,
                    relationship_id=rel.id,
                    token_salt=salt,  # type: ignore[arg-type]
                    token_hash=token_hash(invitation_token(secret_key, salt)),
                    sent_at=None if is_open else opens,
                )
                session.add(invitation)
                session.flush()
                if is_open or rng.random() < 0.15:
                    continue  # the open wave waits in the mailbox; some people skip a month
                level = start + step * n + rng.gauss(0, 0.35)
                responses += 1
                _respond(session, rng, invitation, questions, level, opens + timedelta(days=2))
    demo_reviews.seed(session)
    open_wave = session.exec(select(Wave).where(Wave.status == WaveStatus.open)).one()
    session.commit()
    return DemoSummary(len(projects), len(people), responses, open_wave.id)  # type: ignore[arg-type]


def _status_note(status: str) -> str:
    return {
        "green": "On plan. No issues to escalate.",
        "amber": "Some slippage on integration testing; recovery plan in place.",
        "red": "Critical path at risk: payroll interface behind schedule.",
    }[status]


def _respond(
    session: Session,
    rng: random.Random,
    invitation: Invitation,
    questions: dict,
    level: float,
    when,
) -> None:
    comment = _comment(rng, level)
    response = Response(
        invitation_id=invitation.id,
        wave_id=invitation.wave_id,  # type: ignore[arg-type]
        relationship_id=invitation.relationship_id,
        comment=comment,
        submitted_at=when,
        updated_at=when,
    )
    session.add(response)
    session.flush()
    for key in ("satisfaction", "trust", "communication", "partnership"):
        # Trust falls fastest when a project spins its status: give it the sharper slope.
        offset = {"trust": -0.2 if level < 3.5 else 0.1, "communication": 0.1}.get(key, 0.0)
        value = max(1, min(5, round(level + offset + rng.gauss(0, 0.4))))
        session.add(
            Answer(
                response_id=response.id,
                question_id=questions[key].id,  # type: ignore[arg-type]
                value_int=value,
            )
        )
    if comment:
        session.add(
            Answer(
                response_id=response.id,
                question_id=questions["comment"].id,  # type: ignore[arg-type]
                value_text=comment,
            )
        )
    invitation.responded_at = when
    session.add(invitation)
    outbox.record(session, events.RESPONSE_SUBMITTED.name, response_id=response.id)  # type: ignore[arg-type]

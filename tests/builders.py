"""Small builders for test data. Each returns what it made; raw tokens come back too."""

from __future__ import annotations

from datetime import timedelta
from itertools import count

from sqlmodel import Session

from survey.models import (
    Invitation,
    Project,
    ProjectGrant,
    Relationship,
    Role,
    Stakeholder,
    User,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.passwords import hash_password, invitation_token, new_salt, token_hash
from survey.pulse_templates import relationship_pulse

_seq = count(1)
TEST_SECRET = "test-secret-key-that-is-long-enough-0123456789"


def make_user(
    session: Session, *, email: str | None = None, role: Role = Role.pm, password: str = "demo"
) -> User:
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.com",
        name=f"User {n}",
        role=role,
        password_hash=hash_password(password),
    )
    session.add(user)
    session.commit()
    return user


def make_project(
    session: Session, *, pm: User, code: str | None = None, name: str = "Finance ERP"
) -> Project:
    project = Project(code=code or f"P{next(_seq)}", name=name, pm_id=pm.id)
    session.add(project)
    session.commit()
    return project


def grant_project(session: Session, *, viewer: User, project: Project) -> ProjectGrant:
    """Let a viewer read a project, as an admin would."""
    grant = ProjectGrant(user_id=viewer.id, project_id=project.id)
    session.add(grant)
    session.commit()
    return grant


def make_relationship(
    session: Session,
    *,
    project: Project,
    name: str = "Maria Chen",
    influence: int = 3,
    interest: int = 3,
) -> Relationship:
    n = next(_seq)
    stakeholder = Stakeholder(
        name=name, email=f"stakeholder{n}@example.com", influence=influence, interest=interest
    )
    session.add(stakeholder)
    session.commit()
    relationship = Relationship(project_id=project.id, stakeholder_id=stakeholder.id)
    session.add(relationship)
    session.commit()
    return relationship


def make_wave(
    session: Session, *, project: Project, status: WaveStatus = WaveStatus.open, days_left: int = 7
) -> Wave:
    template = relationship_pulse(session)
    now = utcnow()
    wave = Wave(
        template_id=template.id,
        title="Test pulse",
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(days=days_left),
        status=status,
    )
    session.add(wave)
    session.commit()
    session.add(WaveProject(wave_id=wave.id, project_id=project.id))
    session.commit()
    return wave


def make_invitation(
    session: Session, *, wave: Wave, relationship: Relationship, secret: str = TEST_SECRET
) -> tuple[Invitation, str]:
    """An invitation and its raw token (the one in the email link)."""
    salt = new_salt()
    raw = invitation_token(secret, salt)
    invitation = Invitation(
        wave_id=wave.id,
        relationship_id=relationship.id,
        token_salt=salt,
        token_hash=token_hash(raw),
    )
    session.add(invitation)
    session.commit()
    return invitation, raw


def make_invited(session: Session, **wave_args) -> tuple[Invitation, str, Project]:  # type: ignore[no-untyped-def]
    """A PM, a project, one relationship and an open invitation: the usual starting point."""
    pm = make_user(session, email=f"pm{next(_seq)}@example.com")
    project = make_project(session, pm=pm)
    relationship = make_relationship(session, project=project)
    wave = make_wave(session, project=project, **wave_args)
    invitation, raw = make_invitation(session, wave=wave, relationship=relationship)
    return invitation, raw, project


GOOD_ANSWERS = {
    "satisfaction": "4",
    "trust": "2",
    "communication": "3",
    "partnership": "4",
    "comment": "Good people, but the dates keep moving.",
}


def answer_pulse(app, raw: str, answers: dict[str, str]) -> None:  # type: ignore[no-untyped-def]
    """A stakeholder answers through the real form, with their own cookies."""
    from tests.conftest import csrf_token

    client = app.test_client()
    page = client.get(f"/s/{raw}")
    response = client.post(f"/s/{raw}", data={**answers, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 303, response.text


def json_numbers(document: object) -> list[float]:
    """Every number anywhere in a JSON document (booleans are not numbers here)."""
    if isinstance(document, dict):
        return [n for value in document.values() for n in json_numbers(value)]
    if isinstance(document, list):
        return [n for value in document for n in json_numbers(value)]
    if isinstance(document, int | float) and not isinstance(document, bool):
        return [document]
    return []

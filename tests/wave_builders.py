"""Builders for distribution tests: a project with recipients and a wave created the real way."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count

from sqlmodel import Session, select

from survey import waves
from survey.config import Settings, load_settings
from survey.models import (
    Attribution,
    Invitation,
    Project,
    Relationship,
    Stakeholder,
    Wave,
    utcnow,
)
from tests.builders import TEST_SECRET, make_project, make_user

_seq = count(1)


def add_stakeholder(
    session: Session, *, project: Project, name: str | None = None, email: str | None = None
) -> Relationship:
    """A stakeholder on `project` (a new person unless `email` names an existing one)."""
    n = next(_seq)
    stakeholder = None
    if email is not None:
        stakeholder = session.exec(select(Stakeholder).where(Stakeholder.email == email)).first()
    if stakeholder is None:
        stakeholder = Stakeholder(name=name or f"Person {n}", email=email or f"p{n}@example.com")
        session.add(stakeholder)
        session.commit()
    relationship = Relationship(project_id=project.id, stakeholder_id=stakeholder.id)
    session.add(relationship)
    session.commit()
    return relationship


def project_with(session: Session, people: int = 3, *, name: str = "Finance ERP") -> Project:
    """A PM's project with `people` stakeholders."""
    pm = make_user(session, email=f"pm{next(_seq)}@example.com")
    project = make_project(session, pm=pm, name=name)
    for _ in range(people):
        add_stakeholder(session, project=project)
    return project


def open_wave(
    session: Session,
    *,
    projects: list[Project],
    now: datetime | None = None,
    days: int = 10,
    attribution: Attribution = Attribution.attributed,
    reminders: tuple[int, ...] = (3, 6),
) -> Wave:
    """A wave opened at `now` for every active relationship of the projects."""
    now = now or utcnow()
    wave = waves.create_wave(
        session,
        projects=projects,
        opens_at=now,
        closes_at=now + timedelta(days=days),
        secret_key=TEST_SECRET,
        reminders=reminders,
        attribution=attribution,
    )
    waves.open_now(session, wave=wave, now=now)
    session.commit()
    return wave


def settings_for(mail_url: str | None = None, **overrides: object) -> Settings:
    """This test's settings (from the RAPPORT_* environment) with a mail URL."""
    return load_settings().with_overrides(mail_url=mail_url, **overrides)


def invitations_of(session: Session, wave: Wave) -> list[tuple[Invitation, Stakeholder]]:
    session.expire_all()
    return list(
        session.exec(
            select(Invitation, Stakeholder)
            .join(Relationship, Relationship.id == Invitation.relationship_id)
            .join(Stakeholder, Stakeholder.id == Relationship.stakeholder_id)
            .where(Invitation.wave_id == wave.id)
            .order_by(Invitation.id)
        ).all()
    )

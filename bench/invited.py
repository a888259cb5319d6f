"""A fresh database with one open wave and many invited stakeholders, for the capture run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import Session

from survey import db, migrate
from survey.models import (
    Invitation,
    Project,
    Relationship,
    Stakeholder,
    User,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.passwords import hash_password, invitation_token, new_salt, token_hash
from survey.pulse_templates import relationship_pulse

STAKEHOLDERS_PER_PROJECT = 50
PM_EMAIL = "bench.pm@example.com"
PM_PASSWORD = "bench-password"  # noqa: S105 (a throwaway account in a throwaway database)


def fresh_database(path: Path) -> str:
    """A migrated SQLite database at `path` (replacing any earlier one); returns its URL."""
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    db.dispose_engines()
    return url


def add_pm(session: Session) -> User:
    """The PM who logs in to the dashboard."""
    pm = User(email=PM_EMAIL, name="Bench PM", password_hash=hash_password(PM_PASSWORD))
    session.add(pm)
    session.flush()
    return pm


def open_wave(url: str, *, invitations: int, secret_key: str) -> list[str]:
    """Invite `invitations` stakeholders (one relationship each) to one open wave.

    Returns the raw survey-link tokens, as the invitation emails would carry them.
    """
    now = utcnow()
    tokens = []
    with db.session_scope(url) as session:
        pm = add_pm(session)
        template = relationship_pulse(session)
        wave = Wave(
            template_id=template.id,  # type: ignore[arg-type]
            title="Benchmark pulse",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=14),
            status=WaveStatus.open,
        )
        session.add(wave)
        session.flush()
        for first in range(0, invitations, STAKEHOLDERS_PER_PROJECT):
            project = Project(
                code=f"B{first // STAKEHOLDERS_PER_PROJECT:05d}", name="Bench", pm_id=pm.id
            )
            session.add(project)
            session.flush()
            session.add(WaveProject(wave_id=wave.id, project_id=project.id))  # type: ignore[arg-type]
            people = [
                Stakeholder(name=f"Stakeholder {n}", email=f"s{n}@example.com")
                for n in range(first, min(first + STAKEHOLDERS_PER_PROJECT, invitations))
            ]
            session.add_all(people)
            session.flush()
            rels = [Relationship(project_id=project.id, stakeholder_id=p.id) for p in people]  # type: ignore[arg-type]
            session.add_all(rels)
            session.flush()
            for rel in rels:
                salt = new_salt()
                raw = invitation_token(secret_key, salt)
                tokens.append(raw)
                session.add(
                    Invitation(
                        wave_id=wave.id,  # type: ignore[arg-type]
                        relationship_id=rel.id,  # type: ignore[arg-type]
                        token_salt=salt,
                        token_hash=token_hash(raw),
                        sent_at=now,
                    )
                )
    db.dispose_engines()
    return tokens

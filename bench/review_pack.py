"""How long a quarterly review pack takes for a project with 50 stakeholders and two years of
monthly pulses: build (DB reads and maths), HTML, PDF and CSV, each timed separately."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from survey import db, migrate, review_render, reviews
from survey.models import (
    Answer,
    CommentScore,
    Invitation,
    Project,
    Relationship,
    Response,
    Role,
    Stakeholder,
    User,
    Wave,
    WaveProject,
    WaveStatus,
)
from survey.pulse_templates import questions_of, relationship_pulse
from survey.quarters import Quarter

STAKEHOLDERS = 50
MONTHS = 24
UNITS = ("Finance", "Sales", "People", "IT", "Operations")
THEMES = ("communication", "estimates", "partnership", "quality", "transparency", "support")
START = datetime(2024, 1, 1, 9, tzinfo=UTC)


def seed(session: Session, *, seed: int = 5) -> Project:
    """One project, 50 stakeholders, 24 closed monthly waves, ~85% answering with comments."""
    rng = random.Random(seed)
    pm = User(email="bench-pm@example.com", name="Bench PM", role=Role.pm, password_hash="-")  # noqa: S106 - never logs in
    session.add(pm)
    session.flush()
    project = Project(code="BENCH", name="Benchmark programme", pm_id=pm.id)
    session.add(project)
    session.flush()
    template = relationship_pulse(session)
    questions = {q.key: q for q in questions_of(session, template.id)}  # type: ignore[arg-type]
    rels = []
    for i in range(STAKEHOLDERS):
        person = Stakeholder(
            name=f"Stakeholder {i}",
            email=f"s{i}@bench.example",
            business_unit=UNITS[i % len(UNITS)],
            influence=1 + i % 5,
        )
        session.add(person)
        session.flush()
        rel = Relationship(project_id=project.id, stakeholder_id=person.id, role="Key user")  # type: ignore[arg-type]
        session.add(rel)
        rels.append(rel)
    session.flush()
    for month in range(MONTHS):
        opens = START + timedelta(days=30 * month)
        wave = Wave(
            template_id=template.id,  # type: ignore[arg-type]
            title=f"Pulse {month + 1}",
            opens_at=opens,
            closes_at=opens + timedelta(days=10),
            status=WaveStatus.closed,
        )
        session.add(wave)
        session.flush()
        session.add(WaveProject(wave_id=wave.id, project_id=project.id))  # type: ignore[arg-type]
        for n, rel in enumerate(rels):
            invitation = Invitation(
                wave_id=wave.id,  # type: ignore[arg-type]
                relationship_id=rel.id,  # type: ignore[arg-type]
                token_hash=f"{month}-{n}",
                token_salt="bench",  # noqa: S106 - not a secret
                sent_at=opens,
            )
            session.add(invitation)
            session.flush()
            if rng.random() < 0.15:
                continue
            _answer(session, rng, invitation, questions, opens + timedelta(days=2))
    session.commit()
    return project


def _answer(session, rng, invitation, questions, when) -> None:  # type: ignore[no-untyped-def]
    comment = rng.choice(("", "Good progress this month.", "Dates keep moving.", "Helpful team."))
    response = Response(
        invitation_id=invitation.id,
        wave_id=invitation.wave_id,
        relationship_id=invitation.relationship_id,
        comment=comment,
        submitted_at=when,
        updated_at=when,
    )
    session.add(response)
    session.flush()
    for key in ("satisfaction", "trust", "communication", "partnership"):
        session.add(
            Answer(
                response_id=response.id, question_id=questions[key].id, value_int=rng.randint(2, 5)
            )
        )
    if comment:
        session.add(
            CommentScore(
                response_id=response.id,  # type: ignore[arg-type]
                polarity=rng.uniform(-0.8, 0.8),
                subjectivity=0.5,
                label="neutral",
                themes=",".join(rng.sample(THEMES, 2)),
                analyzer_version="bench",
                scored_revision=when,
            )
        )
    invitation.responded_at = when


def _timed(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - began)
    return statistics.median(samples)


def measure(repeat: int = 3) -> dict[str, float]:
    """Median seconds for each step of one review pack on a fresh SQLite database."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrate.upgrade(url)
        with Session(db.get_engine(url), expire_on_commit=False) as session:
            project = seed(session)
            # The last full quarter of the two years: compared with the one before it.
            quarter = Quarter.containing(START + timedelta(days=30 * (MONTHS - 1))).previous()
            pack = reviews.build(session, project=project, quarter=quarter)
            out = {
                "build": _timed(
                    lambda: reviews.build(session, project=project, quarter=quarter), repeat
                ),
                "html": _timed(lambda: review_render.html(pack), repeat),
                "pdf": _timed(lambda: review_render.pdf(pack), repeat),
                "csv": _timed(lambda: review_render.to_csv(pack), repeat),
            }
        db.dispose_engines()
    out["total"] = out["build"] + out["pdf"] + out["csv"] + out["html"]
    return out


def main() -> dict[str, float]:
    """Print and return the timings (seconds)."""
    timings = measure()
    print(
        f"review pack, {STAKEHOLDERS} stakeholders x {MONTHS} monthly pulses: "
        + ", ".join(f"{step} {seconds:.2f}s" for step, seconds in timings.items())
    )
    return timings


if __name__ == "__main__":
    main()

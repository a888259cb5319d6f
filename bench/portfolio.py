"""A large portfolio written straight into SQLite, as if years of pulses had been answered.

The measured project is the same at every size (RELATIONSHIPS stakeholders over
PROJECT_WAVES waves); only the rest of the portfolio grows. Comment scores and trend points
are written in bulk too, with the values the workers would have computed from the same
answers, so the dashboard reads a consistent database.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from hashlib import sha256

from sqlalchemy import Table, create_engine, text
from sqlalchemy.engine import Connection
from sqlmodel import Session

from analysis import sentiment
from bench.invited import add_pm
from survey.models import (
    Answer,
    CommentScore,
    Invitation,
    Project,
    Relationship,
    RelationshipTrend,
    Response,
    Stakeholder,
    StatusReport,
    User,
    Wave,
    WaveProject,
    WaveStatus,
)
from survey.passwords import hash_password
from survey.pulse_templates import questions_of, relationship_pulse

MEASURED_PROJECT = "BENCH-PM"
RELATIONSHIPS = 25
PROJECT_WAVES = 12
CALENDAR_WAVES = 48  # four years of monthly pulses
RESPONSE_RATE = 0.9
COMMENT_RATE = 0.8
RATINGS = ("satisfaction", "trust", "communication", "partnership")
CHUNK_ROWS = 20_000
START = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PortfolioSize:
    projects: int
    responses: int
    answers: int


def _table(model: type) -> Table:
    return model.__table__  # type: ignore[attr-defined]


# Parents before children, so every chunk can be written in this order.
ORDER = [_table(m) for m in (Stakeholder, Project, Relationship, StatusReport, WaveProject)]
ORDER += [_table(m) for m in (Invitation, Response, Answer, CommentScore, RelationshipTrend)]


def _sql(value: object) -> object:
    """A value as SQLAlchemy would have stored it in SQLite (UTC text timestamps, JSON text)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return json.dumps(value)
    return value


class _Writer:
    """Buffers rows per table and writes them in chunks with one executemany per table.

    Plain DB-API executemany, not SQLAlchemy's insert(): at a million rows the per-row
    parameter processing would cost more than SQLite's own work.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.columns: dict[Table, tuple[str, ...]] = {}
        self.defaults: dict[Table, dict[str, object]] = {}
        self.rows: dict[Table, list[tuple]] = {t: [] for t in ORDER}
        self.ids: dict[Table, int] = {t: 0 for t in ORDER}
        self.buffered = 0

    def add(self, model: type, **row: object) -> int:
        table = _table(model)
        if "id" in table.c:
            self.ids[table] += 1
            row["id"] = self.ids[table]
        row.update(self._defaults(table, row))
        columns = self.columns.setdefault(table, tuple(row))
        if columns != tuple(row):
            raise ValueError(f"rows for {table.name} must name the same columns in order")
        self.rows[table].append(tuple(_sql(v) for v in row.values()))
        self.buffered += 1
        if self.buffered >= CHUNK_ROWS:
            self.flush()
        return self.ids[table]

    def _defaults(self, table: Table, row: dict[str, object]) -> dict[str, object]:
        """Model defaults for columns a row leaves out (evaluated once per table)."""
        if table not in self.defaults:
            found = {}
            for column in table.c:
                default = column.default
                if column.name in row or default is None:
                    continue
                if default.is_scalar:
                    found[column.name] = default.arg  # type: ignore[attr-defined]
                elif default.is_callable:
                    found[column.name] = default.arg(None)  # type: ignore[attr-defined]
            self.defaults[table] = found
        return {k: v for k, v in self.defaults[table].items() if k not in row}

    def flush(self) -> None:
        for table in ORDER:
            if self.rows[table]:
                names = ", ".join(f'"{c}"' for c in self.columns[table])
                marks = ", ".join("?" for _ in self.columns[table])
                sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
                self.conn.exec_driver_sql(sql, self.rows[table])
                self.rows[table] = []
        self.buffered = 0


@dataclass(frozen=True)
class _Context:
    writer: _Writer
    rng: random.Random
    waves: Sequence[tuple[int, datetime, datetime]]  # id, opens, closes
    questions: dict[str, int]
    scores: Sequence[tuple[str, dict]]  # comment, score row values


def _scored(comments: Sequence[str]) -> list[tuple[str, dict]]:
    out = []
    for comment in comments:
        reading = sentiment.score(comment)
        values = {
            "polarity": reading.polarity,
            "subjectivity": reading.subjectivity,
            "label": reading.label,
            "themes": ",".join(reading.themes),
            "detail": json.dumps(reading.to_dict()),
            "analyzer_version": sentiment.ANALYZER_VERSION,
        }
        out.append((comment, values))
    return out


def _answer(ctx: _Context, rel_id: int, wave: tuple[int, datetime, datetime], level: float) -> int:
    """One invitation, and (usually) its response, answers, score and trend point."""
    w = ctx.writer
    wave_id, opens, closes = wave
    digest = sha256(f"bench-invitation-{w.ids[_table(Invitation)] + 1}".encode()).hexdigest()
    when = opens + timedelta(days=2, minutes=rel_id % 600)
    responded = ctx.rng.random() < RESPONSE_RATE
    inv_id = w.add(
        Invitation,
        wave_id=wave_id,
        relationship_id=rel_id,
        token_hash=digest,
        token_salt="-",  # noqa: S106 (no link is ever derived from bulk rows)
        created_at=opens,
        sent_at=opens,
        opened_at=when if responded else None,
        responded_at=when if responded else None,
    )
    if not responded:
        return 0
    comment, score = ctx.rng.choice(ctx.scores) if ctx.rng.random() < COMMENT_RATE else ("", None)
    resp_id = w.add(
        Response,
        invitation_id=inv_id,
        wave_id=wave_id,
        relationship_id=rel_id,
        comment=comment,
        submitted_at=when,
        updated_at=when,
    )
    ratings = {k: max(1, min(5, round(level + ctx.rng.gauss(0, 0.6)))) for k in RATINGS}
    for key, value in ratings.items():
        w.add(
            Answer,
            response_id=resp_id,
            question_id=ctx.questions[key],
            value_int=value,
            value_text=None,
        )
    if comment:
        w.add(
            Answer,
            response_id=resp_id,
            question_id=ctx.questions["comment"],
            value_int=None,
            value_text=comment,
        )
        w.add(CommentScore, response_id=resp_id, scored_revision=when, scored_at=when, **score)  # type: ignore[arg-type]
    # One response per relationship per wave: the workers' means are its own ratings.
    w.add(
        RelationshipTrend,
        relationship_id=rel_id,
        wave_id=wave_id,
        wave_closes_at=closes,
        estimates=None,
        sentiment=score["polarity"] if score else None,
        answers=1,
        updated_at=when,
        **{k: float(v) for k, v in ratings.items()},
    )
    return len(ratings) + (1 if comment else 0)


def _project(ctx: _Context, *, code: str, pm_id: int, first_wave: int) -> int:
    """A project with its stakeholders and a year of answered pulses; returns answers written."""
    w = ctx.writer
    project_id = w.add(
        Project, code=code, name=f"Project {code}", phase="delivery", pm_id=pm_id, created_at=START
    )
    rels = []
    for n in range(RELATIONSHIPS):
        person = w.add(
            Stakeholder,
            name=f"Stakeholder {n} of {code}",
            email=f"{n}.{code.lower()}@example.com",
            title="Business lead",
            business_unit="Operations",
            kind="business",
            influence=1 + n % 5,
            interest=1 + (n * 3) % 5,
            nervous=n % 7 == 0,
            created_at=START,
        )
        rels.append(
            w.add(Relationship, project_id=project_id, stakeholder_id=person, role="", active=True)
        )
    level, drift = ctx.rng.uniform(2.5, 4.5), ctx.rng.uniform(-0.1, 0.1)
    answers = 0
    for step, wave in enumerate(ctx.waves[first_wave : first_wave + PROJECT_WAVES]):
        w.add(WaveProject, wave_id=wave[0], project_id=project_id)
        w.add(
            StatusReport,
            project_id=project_id,
            reported_on=wave[2].date(),
            status=ctx.rng.choice(("green", "green", "amber", "red")),
            note="",
            created_at=wave[2],
        )
        for rel_id in rels:
            answers += _answer(ctx, rel_id, wave, level + drift * step)
    return answers


def _setup(
    session: Session,
) -> tuple[int, int, dict[str, int], list[tuple[int, datetime, datetime]]]:
    pm = add_pm(session)
    other = User(
        email="portfolio.pm@example.com", name="Other PM", password_hash=hash_password("x")
    )
    session.add(other)
    template = relationship_pulse(session)
    questions = {q.key: q.id for q in questions_of(session, template.id)}  # type: ignore[arg-type]
    waves = []
    for n in range(CALENDAR_WAVES):
        opens = START + timedelta(days=30 * n)
        wave = Wave(
            template_id=template.id,  # type: ignore[arg-type]
            title=opens.strftime("%B %Y pulse"),
            opens_at=opens,
            closes_at=opens + timedelta(days=10),
            status=WaveStatus.closed,
        )
        session.add(wave)
        session.flush()
        waves.append((wave.id, opens, wave.closes_at))
    session.commit()
    return pm.id, other.id, questions, waves  # type: ignore[return-value]


def build(url: str, *, answers: int, comments: Sequence[str], seed: int = 11) -> PortfolioSize:
    """Fill a freshly migrated database until it holds at least `answers` answers."""
    # A plain engine: no WAL or foreign-key checks while loading, durability off until done.
    engine = create_engine(url)
    with Session(engine) as session:
        pm_id, other_id, questions, waves = _setup(session)
    written = projects = 0
    with engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA journal_mode=OFF")
        conn.exec_driver_sql("PRAGMA synchronous=OFF")
        conn.exec_driver_sql("PRAGMA cache_size=-200000")
        ctx = _Context(_Writer(conn), random.Random(seed), waves, questions, _scored(comments))
        latest = CALENDAR_WAVES - PROJECT_WAVES
        written += _project(ctx, code=MEASURED_PROJECT, pm_id=pm_id, first_wave=latest)
        while written < answers:
            projects += 1
            written += _project(
                ctx, code=f"P{projects:05d}", pm_id=other_id, first_wave=projects % (latest + 1)
            )
        ctx.writer.flush()
        responses = ctx.writer.ids[_table(Response)]
    with engine.connect() as conn:
        conn.execute(text("PRAGMA journal_mode=WAL"))
    engine.dispose()
    return PortfolioSize(projects=projects + 1, responses=responses, answers=written)

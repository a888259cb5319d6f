"""Stakeholders in and out as CSV. An import checks every row, writes the good ones and
reports each bad one (row, field, reason); a file whose header is wrong writes nothing. Rows
are matched to existing stakeholders by email, so importing a file again (say, after fixing
its bad rows) updates people instead of adding them twice. No Flask here."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from survey import audit, pm_actions, portfolio_setup
from survey.csv_safety import neutralise
from survey.models import Project, Relationship, Stakeholder, User
from survey.models.public import RelationshipUpdate, StakeholderCreate
from survey.pm_actions import InputError

COLUMNS = (
    "name",
    "email",
    "title",
    "business_unit",
    "kind",
    "influence",
    "interest",
    "nervous",
    "project_code",
    "role",
)
REQUIRED = ("name", "email")
MAX_ROWS = 5000
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
# Cells are quoted back in reasons; a terminal must not act on escape sequences in them.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class RowError:
    """Why one row was rejected: its line (the header is row 1), the field ("" for the whole
    row) and the reason."""

    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        reason = _UNPRINTABLE.sub("?", self.reason)
        return (
            f"row {self.line}: {self.field}: {reason}"
            if self.field
            else f"row {self.line}: {reason}"
        )


@dataclass
class ImportRow:
    """One good row: the stakeholder's fields and, optionally, the project to put them on."""

    line: int
    values: StakeholderCreate
    existing: Stakeholder | None
    project: Project | None
    role: str


@dataclass
class ImportPlan:
    """What an import would do: the good rows to write, the rejected ones with their reasons,
    and `problem` when the file as a whole cannot be imported (then nothing is written)."""

    rows: list[ImportRow] = field(default_factory=list)
    rejected: list[RowError] = field(default_factory=list)
    problem: str | None = None

    @property
    def errors(self) -> list[str]:
        """Every problem as one "row N: field: reason" line."""
        return ([self.problem] if self.problem else []) + [str(e) for e in self.rejected]

    @property
    def rejected_rows(self) -> int:
        return len({e.line for e in self.rejected})

    @property
    def created(self) -> int:
        return sum(1 for r in self.rows if r.existing is None)

    @property
    def updated(self) -> int:
        return sum(1 for r in self.rows if r.existing is not None)

    @property
    def linked(self) -> int:
        return sum(1 for r in self.rows if r.project is not None)


def _decode(data: bytes | str) -> str:
    if isinstance(data, str):
        return data
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError({"file": "is not UTF-8 text; save it as CSV UTF-8"}) from exc


def _nervous(raw: str) -> bool | str:
    value = raw.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    return raw  # left for validation to reject


def plan_import(session: Session, *, data: bytes | str, user: User) -> ImportPlan:
    """Check every row of the CSV: the plan holds the good rows and every bad row's reasons."""
    reader = csv.DictReader(io.StringIO(_decode(data), newline=""))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    plan = ImportPlan()
    if missing or unknown:
        problems = [f"missing column {c}" for c in missing]
        problems += [f"unknown column {c!r}" for c in unknown]
        expected = ",".join(COLUMNS)
        plan.problem = f"row 1 (header): {'; '.join(problems)}. Columns: {expected}"
        return plan
    reader.fieldnames = header
    seen: dict[str, int] = {}
    projects: dict[str, Project | None] = {}
    for line, raw in enumerate(reader, start=2):
        if line - 1 > MAX_ROWS:
            plan.problem = f"row {line}: more than {MAX_ROWS} rows; split the file"
            break
        if None in raw:
            plan.rejected.append(RowError(line, "", "more cells than columns"))
            continue
        cells = {k: (v or "").strip() for k, v in raw.items()}
        if not any(cells.values()):
            continue  # blank line
        plan_row(
            session, plan=plan, line=line, cells=cells, user=user, seen=seen, projects=projects
        )
    if not plan.rows and not plan.rejected and plan.problem is None:
        plan.problem = "the file has no stakeholder rows"
    return plan


def plan_row(
    session: Session,
    *,
    plan: ImportPlan,
    line: int,
    cells: dict[str, str],
    user: User,
    seen: dict[str, int],
    projects: dict[str, Project | None],
) -> None:
    """Check one row and add it (or its errors) to the plan."""
    errors: dict[str, str] = {}
    data: dict[str, object] = {
        k: cells[k] for k in ("name", "email", "title", "business_unit") if k in cells
    }
    for name, default in (("kind", "business"), ("influence", "3"), ("interest", "3")):
        data[name] = cells.get(name) or default
    data["nervous"] = _nervous(cells.get("nervous", ""))
    values = None
    try:
        values = portfolio_setup.parse(StakeholderCreate, data)
    except InputError as exc:
        errors.update(exc.fields)
    email = cells.get("email", "").lower()
    existing = None
    if values is not None:
        if email in seen:
            errors["email"] = f"also on row {seen[email]}; each stakeholder once per file"
        existing = portfolio_setup.stakeholder_by_email(session, email=email)
        if (
            existing is not None
            and portfolio_setup.stakeholder_for(
                session,
                user=user,
                stakeholder_id=existing.id,  # type: ignore[arg-type]
            )
            is None
        ):
            errors["email"] = "belongs to a stakeholder on another PM's projects; ask an admin"
    code, role = cells.get("project_code", ""), cells.get("role", "")
    project = None
    if code:
        if code not in projects:
            found = session.exec(select(Project).where(Project.code == code)).first()
            allowed = found is not None and pm_actions.can_change(user, found)
            projects[code] = found if allowed else None
        project = projects[code]
        if project is None:
            errors["project_code"] = f"no project {code} that you manage"
    elif role:
        errors["role"] = "give a project_code for the role"
    try:
        portfolio_setup.parse(RelationshipUpdate, {"role": role})
    except InputError as exc:
        errors.update(exc.fields)
    if errors:
        plan.rejected.extend(RowError(line, name, message) for name, message in errors.items())
        return
    # Only imported rows count as "the" row of an email: a later row may replace a bad one.
    seen[email] = line
    plan.rows.append(ImportRow(line, values, existing, project, role))  # type: ignore[arg-type]


def apply_import(session: Session, *, plan: ImportPlan, actor: User | None) -> None:
    """Write the plan's good rows: upsert each stakeholder and link them to their project.
    Rejected rows are left out; a plan whose file cannot be imported writes nothing."""
    if plan.problem:
        raise InputError({"file": f"{plan.problem}; nothing was imported"})
    actor_id = actor.id if actor else None
    for row in plan.rows:
        fields = {**row.values.model_dump(), "email": row.values.email.strip().lower()}
        stakeholder = row.existing or Stakeholder(created_by_id=actor_id, **fields)
        for name, value in fields.items():
            setattr(stakeholder, name, value.strip() if isinstance(value, str) else value)
        session.add(stakeholder)
        session.flush()
        if row.project is not None:
            _link(session, project=row.project, stakeholder=stakeholder, role=row.role)
    audit.record(
        session,
        actor_id=actor_id,
        action="stakeholders.import",
        target_kind="stakeholder",
        target_id=None,
        detail={
            "created": plan.created,
            "updated": plan.updated,
            "linked": plan.linked,
            "rejected": plan.rejected_rows,
        },
    )


def _link(session: Session, *, project: Project, stakeholder: Stakeholder, role: str) -> None:
    """Put the stakeholder on the project, or update (and reactivate) an existing link."""
    relationship = session.exec(
        select(Relationship).where(
            Relationship.project_id == project.id, Relationship.stakeholder_id == stakeholder.id
        )
    ).first()
    if relationship is None:
        relationship = Relationship(project_id=project.id, stakeholder_id=stakeholder.id)  # type: ignore[arg-type]
    relationship.role = role
    relationship.active = True
    session.add(relationship)


def export_rows(session: Session, *, user: User) -> Iterable[list[object]]:
    """The header, then one row per active relationship (or per unlinked stakeholder)."""
    yield list(COLUMNS)
    stakeholders = session.exec(
        portfolio_setup.visible_stakeholders(user=user).order_by(col(Stakeholder.name))
    ).all()
    visible = {p.id: p for p in _projects_for(session, user=user)}
    for person in stakeholders:
        base = [
            person.name,
            person.email,
            person.title,
            person.business_unit,
            person.kind.value,
            person.influence,
            person.interest,
            "yes" if person.nervous else "no",
        ]
        links = session.exec(
            select(Relationship).where(
                Relationship.stakeholder_id == person.id, col(Relationship.active)
            )
        ).all()
        mine = [r for r in links if r.project_id in visible]
        for relationship in mine or [None]:
            tail = ["", ""]
            if relationship is not None:
                tail = [visible[relationship.project_id].code, relationship.role]
            yield [neutralise(cell) for cell in base + tail]


def _projects_for(session: Session, *, user: User) -> list[Project]:
    from survey import queries

    return queries.visible_projects(session, user=user)


def to_csv(rows: Iterable[list[object]]) -> str:
    """Rows as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows(rows)
    return out.getvalue()

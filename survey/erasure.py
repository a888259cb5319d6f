"""GDPR erasure: remove everything a stakeholder said or was sent, keep a record that we did.

Rows are found by following foreign keys from the stakeholder, so a table added later that
points at a relationship, invitation or response is erased too without changes here.
"""

from __future__ import annotations

import base64
import contextlib
import email.parser
import email.policy
import email.utils
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.registry import (
    CanceledJobRegistry,
    DeferredJobRegistry,
    FailedJobRegistry,
    FinishedJobRegistry,
    ScheduledJobRegistry,
    StartedJobRegistry,
)
from rq.results import Result
from sqlalchemy import Table, delete, select, update
from sqlmodel import Session, SQLModel, col

from survey import audit, outbox, queue
from survey.models import MailSuppression, OutboxEvent, Stakeholder

# What each positional argument of every job function is the id of. A job whose argument is
# an erased row is deleted from Redis; tests fail when a job function is missing here.
JOB_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "workers.events.process_event": ("outbox_event",),
    "workers.invitations.send_wave_invitations": ("wave",),
    "workers.deliveries.send_wave_mail": ("wave",),
    "workers.alerting.email_alert": ("alert",),
    "workers.alerting.post_alert_webhook": ("alert",),
    "workers.digests.send_project_digests": ("project",),
    "workers.reviews.send_review_pack": ("project", "quarter"),
    "workers.webhooks.deliver": ("webhook_delivery",),
}

# Foreign keys that belong to the team's own records: they are cut loose, not deleted
# ("you said, we did" stays, without pointing at the erased answer).
DETACHED_REFERENCES = {("follow_up_action", "response_id")}

# Tables that name a subject by (kind, id) instead of a foreign key, e.g. alerts.
POLYMORPHIC_SUBJECTS = ("subject_kind", "subject_id")
# Outbox payload keys and the tables their ids belong to.
PAYLOAD_KEYS = {
    "response_id": "response",
    "invitation_id": "invitation",
    "relationship_id": "relationship",
    "stakeholder_id": "stakeholder",
}
CHUNK = 500


class RedisUnavailable(RuntimeError):
    """Redis could not be searched for the person's jobs; nothing was erased."""


@dataclass
class Erasure:
    """What an erasure removed, as counts and ids (never the person's data)."""

    stakeholder_id: int
    rows: dict[str, int] = field(default_factory=dict)
    detached: dict[str, int] = field(default_factory=dict)
    mail_files: int = 0
    jobs: int = 0
    project_ids: list[int] = field(default_factory=list)


def _tables() -> dict[str, Table]:
    return {t.name: t for t in SQLModel.metadata.sorted_tables}


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    items = sorted(ids)
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _single_pk(table: Table):  # type: ignore[no-untyped-def]
    keys = list(table.primary_key.columns)
    return keys[0] if len(keys) == 1 else None


def collect(session: Session, stakeholder_id: int) -> dict[str, set[int]]:
    """Primary keys per table of every row that leads back to the stakeholder."""
    tables = _tables()
    found: dict[str, set[int]] = defaultdict(set)
    pending: list[tuple[str, set[int]]] = [("stakeholder", {stakeholder_id})]
    while pending:
        parent, ids = pending.pop()
        new = ids - found[parent]
        if not new:
            continue
        found[parent] |= new
        for child in tables.values():
            pk = _single_pk(child)
            for fk in child.foreign_keys:
                if fk.column.table.name != parent or (child.name, fk.parent.name) in (
                    DETACHED_REFERENCES
                ):
                    continue
                if pk is None:
                    continue  # link tables are deleted by their foreign key in `purge_rows`
                for chunk in _chunks(new):
                    rows = session.execute(select(pk).where(fk.parent.in_(chunk))).scalars()
                    pending.append((child.name, set(rows)))
    _add_polymorphic(session, tables, found)
    _add_outbox_events(session, found)
    return dict(found)


def _add_polymorphic(session: Session, tables: dict[str, Table], found: dict) -> None:
    kind_col, id_col = POLYMORPHIC_SUBJECTS
    for table in tables.values():
        pk = _single_pk(table)
        if pk is None or kind_col not in table.c or id_col not in table.c:
            continue
        for kind in ("stakeholder", "relationship", "invitation", "response"):
            for chunk in _chunks(found.get(kind, ())):
                rows = session.execute(
                    select(pk).where(table.c[kind_col] == kind, table.c[id_col].in_(chunk))
                ).scalars()
                found[table.name] |= set(rows)


def _add_outbox_events(session: Session, found: dict) -> None:
    for key, table in PAYLOAD_KEYS.items():
        for chunk in _chunks(found.get(table, ())):
            rows = session.execute(
                select(OutboxEvent.id).where(  # type: ignore[call-overload]
                    OutboxEvent.payload[key].as_integer().in_(chunk)  # type: ignore[index]
                )
            ).scalars()
            found["outbox_event"] |= {r for r in rows if r is not None}


def purge_rows(session: Session, found: dict[str, set[int]], erasure: Erasure) -> None:
    """Detach the team's records, then delete children before parents (no commit)."""
    tables = _tables()
    for table_name, column in sorted(DETACHED_REFERENCES):
        table = tables.get(table_name)
        if table is None:
            continue
        parent = next(fk.column.table.name for fk in table.c[column].foreign_keys)
        for chunk in _chunks(found.get(parent, ())):
            result = session.execute(
                update(table).where(table.c[column].in_(chunk)).values({column: None})
            )
            erasure.detached[table_name] = erasure.detached.get(table_name, 0) + result.rowcount
    for table in reversed(SQLModel.metadata.sorted_tables):
        pk = _single_pk(table)
        if pk is None:
            for fk in table.foreign_keys:
                for chunk in _chunks(found.get(fk.column.table.name, ())):
                    session.execute(delete(table).where(fk.parent.in_(chunk)))
            continue
        for chunk in _chunks(found.get(table.name, ())):
            result = session.execute(delete(table).where(pk.in_(chunk)))
            erasure.rows[table.name] = erasure.rows.get(table.name, 0) + result.rowcount


def _job_ids(conn: redis.Redis) -> set[str]:
    ids: set[str] = set()
    for name in queue.QUEUE_NAMES:
        q = Queue(name, connection=conn)
        ids.update(q.get_job_ids())
        for registry in (
            CanceledJobRegistry,
            StartedJobRegistry,
            ScheduledJobRegistry,
            DeferredJobRegistry,
            FailedJobRegistry,
            FinishedJobRegistry,
        ):
            ids.update(registry(queue=q).get_job_ids())
    return ids


def _job_mentions(job: Job, found: dict[str, set[int]], pattern: re.Pattern[str]) -> bool:
    kinds = JOB_ARGUMENTS.get(job.func_name or "", ())
    for kind, arg in zip(kinds, job.args, strict=False):
        if isinstance(arg, int) and arg in found.get(kind, ()):
            return True
    # Failed jobs keep their traceback, which may quote an address a mail server refused.
    outcomes = [(r.exc_string, r.return_value) for r in job.results()]
    text = repr((job.args, job.kwargs, job.meta, outcomes))
    return pattern.search(text) is not None


def personal_pattern(needles: Iterable[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive matches of the person's address and name."""
    words = [re.escape(n.strip()) for n in needles if len(n.strip()) >= 4]
    return re.compile(r"\b(?:" + "|".join(words) + r")\b" if words else r"(?!)", re.IGNORECASE)


def _purge_orphan_results(conn: redis.Redis, pattern: re.Pattern[str], *, dry_run: bool) -> int:
    """Results whose job hash has already expired still hold tracebacks."""
    removed = 0
    for key in conn.scan_iter(match="rq:results:*"):
        texts = []
        for _id, fields in conn.xrange(key):
            for value in fields.values():
                texts.append(value)
                with contextlib.suppress(zlib.error, ValueError):
                    texts.append(zlib.decompress(base64.b64decode(value)))
        if any(pattern.search(t.decode("utf-8", "replace")) for t in texts):
            if not dry_run:
                conn.delete(key)
            removed += 1
    return removed


def _release_drain_marker(conn: redis.Redis, job: Job) -> None:
    """A deleted drain job may be the one its queue's marker promises to everyone else's
    events: drop the marker with it, so the next dispatch enqueues a job at once."""
    marker = queue.drain_marker(job.origin)
    if conn.get(marker) == job.id.encode():
        conn.delete(marker)


def purge_jobs(
    redis_url: str, found: dict[str, set[int]], needles: Iterable[str], *, dry_run: bool = False
) -> int:
    """Delete queued, running-record and finished/failed jobs that point at the person."""
    conn = queue.redis_for(redis_url)
    pattern = personal_pattern(needles)
    removed = 0
    try:
        for job_id in _job_ids(conn):
            try:
                job = Job.fetch(job_id, connection=conn)
            except NoSuchJobError:
                continue
            if _job_mentions(job, found, pattern):
                if not dry_run:
                    # Job.delete() leaves the results stream, which holds the traceback.
                    Result.delete_all(job)
                    job.delete()
                    _release_drain_marker(conn, job)
                removed += 1
        removed += _purge_orphan_results(conn, pattern, dry_run=dry_run)
    except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
        raise RedisUnavailable(f"cannot reach Redis to remove queued jobs: {exc}") from exc
    return removed


def _recipients(path: Path) -> set[str]:
    with path.open("rb") as handle:
        headers = email.parser.BytesHeaderParser(policy=email.policy.compat32).parse(handle)
    values = [str(headers.get(name, "")) for name in ("To", "Cc", "Bcc")]
    return {addr.lower() for _name, addr in email.utils.getaddresses(values) if addr}


def purge_mail_files(mailbox: Path, address: str) -> int:
    """Delete the file mailbox's messages addressed to `address`."""
    if not mailbox.is_dir():
        return 0
    removed = 0
    for path in mailbox.iterdir():
        if path.suffix not in (".eml", ".tmp") or not path.is_file():
            continue
        if address.lower() in _recipients(path):
            path.unlink(missing_ok=True)
            removed += 1
    return removed


def erase_stakeholder(
    session: Session,
    *,
    email_address: str,
    redis_url: str,
    mailbox: Path,
    actor_id: int | None = None,
) -> Erasure | None:
    """Erase one stakeholder everywhere; None when no stakeholder has that address."""
    address = email_address.strip().lower()
    stakeholder = session.execute(
        select(Stakeholder).where(col(Stakeholder.email) == address)
    ).scalar_one_or_none()
    if stakeholder is None:
        return None
    assert stakeholder.id is not None
    erasure = Erasure(stakeholder_id=stakeholder.id)
    found = collect(session, stakeholder.id)
    project_ids = _project_ids(session, found.get("relationship", set()))
    # Redis first: if it is unreachable, stop before anything is gone, so a rerun finishes.
    erasure.jobs = purge_jobs(redis_url, found, (address, stakeholder.name))
    session.execute(delete(MailSuppression).where(col(MailSuppression.email) == address))
    purge_rows(session, found, erasure)
    erasure.project_ids = sorted(project_ids)
    audit.record(
        session,
        actor_id=actor_id,
        action="stakeholder.erase",
        target_kind="stakeholder",
        target_id=stakeholder.id,
        detail={f"{table}_rows": n for table, n in sorted(erasure.rows.items()) if n}
        | {"jobs": erasure.jobs},
    )
    session.commit()
    erasure.mail_files = purge_mail_files(mailbox, address)
    if erasure.jobs:
        # Other people's events may have been waiting on a drain job that went with the
        # person's own: hand whatever is pending over again now rather than in a minute.
        outbox.sweep(session, redis_url, lost_after=timedelta(0))
    return erasure


def _project_ids(session: Session, relationship_ids: set[int]) -> set[int]:
    from survey.models import Relationship

    out: set[int] = set()
    for chunk in _chunks(relationship_ids):
        out |= set(
            session.execute(
                select(Relationship.project_id).where(col(Relationship.id).in_(chunk))
            ).scalars()
        )
    return out

"""Write the audit log: ids and short codes only, so the log itself holds no personal data."""

from __future__ import annotations

from collections.abc import Mapping

from sqlmodel import Session

from survey.models.audit import AuditEntry

DETAIL_TEXT_MAX = 60


def _check_detail(detail: Mapping[str, object]) -> dict[str, object]:
    """Accept numbers, booleans, None and short codes; refuse anything that looks like prose."""
    clean: dict[str, object] = {}
    for key, value in detail.items():
        if isinstance(value, str) and (len(value) > DETAIL_TEXT_MAX or "@" in value):
            raise ValueError(f"audit detail {key!r} must be an id or a short code, not free text")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise ValueError(f"audit detail {key!r} must be a plain value")
        clean[str(key)] = value
    return clean


def record(
    session: Session,
    *,
    actor_id: int | None,
    action: str,
    target_kind: str,
    target_id: int | None,
    detail: Mapping[str, object] | None = None,
) -> AuditEntry:
    """Add an audit entry to the caller's transaction (actor_id None: the command line)."""
    entry = AuditEntry(
        actor_id=actor_id,
        action=action,
        target_kind=target_kind,
        target_id=target_id,
        detail=_check_detail(detail or {}),
    )
    session.add(entry)
    return entry

"""What every API list and write shares: pages with Link headers, ?updated_since= for
incremental sync, JSON bodies, and errors as {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Response, jsonify, request, url_for
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select
from sqlmodel import Session, func, select

from survey.api import bp
from survey.pm_actions import InputError
from survey.portfolio_setup import Conflict
from survey.web.errors import error_body
from survey.web.session import get_session

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 200
# Far beyond any real list, and small enough that the offset fits every database's integer.
MAX_PAGE = 1_000_000


class ApiError(Exception):
    """Ends a request with an error body; the session is rolled back."""

    def __init__(
        self, status: int, code: str, message: str, fields: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def _error_reply(status: int, code: str, message: str, fields: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    get_session().rollback()
    return jsonify(error_body(code, message, fields)), status


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):  # type: ignore[no-untyped-def]
    return _error_reply(exc.status, exc.code, exc.message, exc.fields)


@bp.errorhandler(InputError)
def _input_error(exc: InputError):  # type: ignore[no-untyped-def]
    if isinstance(exc, Conflict):
        return _error_reply(409, "conflict", "This would duplicate an existing record.", exc.fields)
    return _error_reply(400, "invalid", "The request is not valid; see fields.", exc.fields)


def not_found(what: str) -> ApiError:
    """The 404 for something missing or belonging to another PM (the two look the same)."""
    return ApiError(404, "not_found", f"No such {what}.")


def forbidden(message: str) -> ApiError:
    """The 403 for a signed-in user whose role may not do this."""
    return ApiError(403, "forbidden", message)


def json_body() -> dict[str, Any]:
    """The request's JSON object, or a 400."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise ApiError(400, "invalid", "Send a JSON object.", {"body": "must be a JSON object"})
    return data


def commit(session: Session) -> None:
    """Commit; a unique constraint lost to a concurrent request is a 409, not a 500."""
    try:
        session.commit()
    except IntegrityError as exc:
        raise ApiError(409, "conflict", "This would duplicate an existing record.") from exc


def created(body: dict[str, Any], location: str) -> tuple[Response, int, dict[str, str]]:
    """201 with the new resource and where it lives."""
    return jsonify(body), 201, {"Location": location}


def _int_arg(name: str, default: int, highest: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1 or (highest is not None and int(raw) > highest):
        limit = f"from 1 to {highest}" if highest else "1 or more"
        raise ApiError(400, "invalid", f"{name} must be a whole number {limit}.", {name: limit})
    return int(raw)


def updated_since() -> datetime | None:
    """?updated_since=<ISO 8601 with a time zone>, or None."""
    raw = request.args.get("updated_since")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace(" ", "+"))
    except ValueError as exc:
        message = "must be an ISO 8601 date-time, e.g. 2026-06-01T09:00:00Z"
        raise ApiError(
            400, "invalid", f"updated_since {message}.", {"updated_since": message}
        ) from exc
    if value.utcoffset() is None:
        message = "needs a time zone, e.g. 2026-06-01T09:00:00Z"
        raise ApiError(400, "invalid", f"updated_since {message}.", {"updated_since": message})
    return value


@dataclass
class Page:
    """One page of a list, and how to ask for the next one."""

    items: list[Any]
    number: int
    per_page: int
    total: int

    def _url(self, number: int) -> str:
        args = {**request.args.to_dict(), "page": number, "per_page": self.per_page}
        return url_for(request.endpoint or "", **(request.view_args or {}), **args)

    def reply(self, key: str, rendered: list[dict[str, Any]]) -> Response:
        """The JSON list under `key`, with page fields and a Link header (RFC 8288)."""
        has_next = self.number * self.per_page < self.total
        links = []
        if has_next:
            links.append(f'<{self._url(self.number + 1)}>; rel="next"')
        if self.number > 1:
            links.append(f'<{self._url(self.number - 1)}>; rel="prev"')
        response = jsonify(
            {
                key: rendered,
                "page": self.number,
                "per_page": self.per_page,
                "total": self.total,
                "next": self._url(self.number + 1) if has_next else None,
            }
        )
        if links:
            response.headers["Link"] = ", ".join(links)
        return response


def paginate(session: Session, query: Select, *, updated_column: Any = None) -> Page:
    """Apply ?page=, ?per_page= and (when `updated_column` is given) ?updated_since=."""
    number = _int_arg("page", 1, MAX_PAGE)
    per_page = _int_arg("per_page", DEFAULT_PER_PAGE, MAX_PER_PAGE)
    since = updated_since() if updated_column is not None else None
    if since is not None:
        query = query.where(updated_column >= since)
    total = session.exec(select(func.count()).select_from(query.order_by(None).subquery())).one()
    rows = session.exec(query.offset((number - 1) * per_page).limit(per_page)).all()
    return Page(list(rows), number, per_page, int(total))

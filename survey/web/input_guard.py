"""Refuse input no database column can hold before a view sees it.

No person types U+0000, and PostgreSQL text columns cannot hold it: left alone, a
NUL in a path, query, form field or JSON string reaches the database and fails
there as a 500. Refusing it up front gives every route the same clear 400 and
guarantees nothing from the request was stored. Likewise an id in a URL larger than
the id columns' integer type is a 404 at routing, not an overflow inside the database driver.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from survey.web.errors import error_page

NUL = "\x00"
LARGEST_ID = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
MESSAGE = "The request contains a NUL character, which Rapport does not accept. Nothing was saved."


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_holds_nul(k) or _holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def offending_field() -> str | None:
    """The name of the first input carrying a NUL ("path" for the URL), or None."""
    if NUL in request.path:
        return "path"
    for source in (request.args, request.form):
        for name, values in source.lists():
            if NUL in name or any(NUL in v for v in values):
                return name.replace(NUL, "\\0")
    if request.is_json:
        body = request.get_json(silent=True)  # malformed JSON is the view's to report
        if isinstance(body, dict):
            for name, value in body.items():
                if _holds_nul(name) or _holds_nul(value):
                    return name.replace(NUL, "\\0")
        elif _holds_nul(body):
            return "body"
    return None


def _refuse_nul():  # type: ignore[no-untyped-def]
    field = offending_field()
    if field is None:
        return None
    return error_page(400, "Bad request", MESSAGE, {field: "contains a NUL character"})


class DatabaseId(IntegerConverter):
    """`<int:...>` in every route: a number no row can have is a plain 404.

    Raising NotFound rather than failing the match keeps the answer the same for every
    method (a failed match on one rule makes Werkzeug answer 405 for the others).
    """

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > LARGEST_ID:
            raise NotFound()
        return number


def init_app(app: Flask) -> None:
    """Call before any blueprint is registered: rules pick their converters when added."""
    app.url_map.converters["int"] = DatabaseId
    app.before_request(_refuse_nul)

"""The express lane: a good pulse submission saved without the full request cycle.

The survey POST is the one path every stakeholder takes, and its work (a token lookup, one
short transaction, one Redis call) costs less than the request cycle around it: the
extensions' hooks, the session, URL building and the error machinery, none of which a
submission that ends in a redirect uses. This WSGI middleware, in front of the app, saves
such a submission with the parts the view uses (`form_token`, `pulse.read_form`,
`store.submit`) plus `handover` for the Redis work, and answers the same 303 with the same
security headers.

Anything else goes to the app untouched, body included, and the app answers it as it
always did: other routes and methods, a body that is not a small url-encoded form, a query
string, a NUL anywhere, an unknown or tampered token, a wrong form token, a closed wave,
answers that need the form back, and a link at its rate limit. Nothing is written or
counted before the lane knows it can finish, so handing over never saves or counts
twice. A database error is handed over too: after a dropped connection the app tries once
more on a fresh one; any other error the app answers as its own (`raise_failure`), a 503
when the database is busy or down.
"""

from __future__ import annotations

import html
import io
import logging
import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

from flask import Flask
from sqlalchemy.exc import DBAPIError
from werkzeug.datastructures import MultiDict

from survey import db, direct_sql
from survey.capture import form_token, pulse, store
from survey.capture.handover import Handover
from survey.config import Settings
from survey.models import Wave, utcnow
from survey.passwords import token_hash
from survey.pulse_templates import kept_questions
from survey.web import security
from survey.web.input_guard import NUL

WSGIApp = Callable[[dict, Callable], Iterable[bytes]]

# /s/<token> and nothing after it; a token is URL-safe base64 (see `passwords`).
_SUBMIT_PATH = re.compile(r"/s/([A-Za-z0-9_-]{20,100})")
_FORM_TYPE = "application/x-www-form-urlencoded"
# Werkzeug's redirect body, as the view's `redirect` sends it.
_REDIRECT_PAGE = (
    "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
    "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: "
    '<a href="{location}">{location}</a>. If not, click the link.\n'
)

# The database error the lane met, for the app to answer (see `raise_failure`).
FAILED = "rapport.express_failed"

log = logging.getLogger(__name__)


class ExpressSubmit:
    """WSGI middleware that saves good pulse submissions and hands over everything else."""

    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self.handover = Handover()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        token = self._token(environ)
        body = _form_body(environ, self.app.config["MAX_CONTENT_LENGTH"]) if token else None
        if token is None or body is None:
            return self.wsgi_app(environ, start_response)
        whole = len(body) == int(environ["CONTENT_LENGTH"])
        saved = self._save(environ, token, body) if whole else False
        if not saved:
            # The app reads the body again.
            environ["wsgi.input"] = io.BytesIO(body)
            return self.wsgi_app(environ, start_response)
        return self._see_thanks(environ, token, start_response)

    def _see_thanks(self, environ: dict, token: str, start_response: Callable) -> list[bytes]:
        """The 303 to the thank-you page that the view's `redirect` answers."""
        location = f"{environ.get('SCRIPT_NAME', '')}/s/{token}/thanks"
        body = _REDIRECT_PAGE.format(location=html.escape(location)).encode()
        start_response(
            "303 SEE OTHER",
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("Location", location),
                *security.headers_for("/s/", production=self._settings().production),
            ],
        )
        return [body]

    def _settings(self) -> Settings:
        return self.app.extensions["rapport.settings"]

    @staticmethod
    def _token(environ: dict) -> str | None:
        if environ.get("REQUEST_METHOD") != "POST":
            return None
        match = _SUBMIT_PATH.fullmatch(environ.get("PATH_INFO", ""))
        return match.group(1) if match else None

    def _save(self, environ: dict, token: str, body: bytes) -> bool:
        """Save a good submission; False, with nothing written, to hand it to the app."""
        if environ.get("QUERY_STRING"):
            return False  # the form posts to the bare link; the app checks anything else
        try:
            # What Werkzeug's form parser does with a url-encoded body.
            pairs = parse_qsl(body.decode(), keep_blank_values=True, errors="werkzeug.url_quote")
        except ValueError:
            return False  # not UTF-8: the app decides
        fields = MultiDict(pairs)
        if any(NUL in name or NUL in value for name, value in fields.items(multi=True)):
            return False
        link_hash = token_hash(token)
        if self.handover.blocked(link_hash) or not form_token.matches(
            self.app.config["SECRET_KEY"], link_hash, fields.get(form_token.FIELD)
        ):
            return False
        settings = self._settings()
        engine = db.get_engine(settings.database_url)
        try:
            with direct_sql.kept(engine) as conn:
                event_id = _write(conn, link_hash, fields)
                if event_id is None:
                    return False
                self._hand_over(conn, settings, link_hash, event_id)
                return True
        except DBAPIError as error:
            # Nothing was committed (after commit nothing raises). A connection the
            # database dropped (a restart) is worth one more try by the app on a fresh one;
            # anything else the app answers as it is (a 503 when the database is busy or
            # down) without waiting for it a second time.
            if not error.connection_invalidated:
                environ[FAILED] = error
            return False

    def _hand_over(
        self, conn: direct_sql.Connection, settings: Settings, link_hash: str, event_id: int
    ) -> None:
        limits = self.app.extensions.get("rapport.survey_limits")
        try:
            self.handover.after_commit(conn, settings.redis_url, limits, link_hash, event_id)
        except DBAPIError as exc:
            # Saved and still stamped as dispatched: the sweeper hands the event over after
            # `outbox.LOST_DRAIN`. The answer is safe, so the stakeholder hears so.
            log.warning("event %s left for the sweeper: %s", event_id, exc)


def _write(conn: direct_sql.Connection, link_hash: str, fields: Any) -> int | None:
    """Save the answers and return the event; None, with nothing written, if they need the
    app (unknown link, closed wave, answers to correct)."""
    invited = conn.first(store.BY_TOKEN, {"token_hash": link_hash})
    if invited is None or not Wave.accepts_answers(invited.status, invited.closes_at, utcnow()):
        return None
    questions = kept_questions(conn.engine, invited.template_id)
    form = pulse.read_form(questions, fields)
    if not form.valid:
        return None
    return store.submit(conn, invited, questions, form)


def _form_body(environ: dict, limit: int) -> bytes | None:
    """The body of a small url-encoded form as it arrived, or None (leaving it unread)."""
    mimetype = environ.get("CONTENT_TYPE", "").split(";", 1)[0].strip().lower()
    length = environ.get("CONTENT_LENGTH", "")
    if mimetype != _FORM_TYPE or not length.isdigit() or int(length) > limit:
        return None
    return bytes(environ["wsgi.input"].read(int(length)))


def raise_failure(environ: dict) -> None:
    """Raise the database error the lane met on this request, if it met one."""
    error = environ.get(FAILED)
    if error is not None:
        raise error

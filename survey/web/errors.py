"""Error pages: a clear message for people, a JSON body for the API."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError

RETRY_AFTER_SECONDS = 5


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(code: str, message: str, fields: dict[str, str] | None = None) -> dict:
    """The API's error shape: {"error": {"code", "message", "fields"}}."""
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def error_page(status: int, title: str, message: str, fields: dict[str, str] | None = None):
    """The same error as an HTML page for people or the JSON error body for the API."""
    if _wants_json():
        return jsonify(error_body(title.lower().replace(" ", "_"), message, fields)), status
    return render_template("error.html", title=title, message=message), status


def init_app(app: Flask) -> None:
    """Register handlers for the errors users can meet."""

    @app.errorhandler(400)
    def bad_request(_e):
        return error_page(400, "Bad request", "The request could not be understood.")

    @app.errorhandler(CSRFError)
    def csrf_error(_e):
        return error_page(
            400,
            "Form expired",
            "This form is missing its security token or has expired. "
            "Go back, reload the page and submit again; nothing was saved.",
        )

    @app.errorhandler(403)
    def forbidden(_e):
        return error_page(403, "Forbidden", "You do not have access to this page.")

    @app.errorhandler(404)
    def not_found(_e):
        return error_page(404, "Not found", "There is nothing here. Check the link you followed.")

    @app.errorhandler(405)
    def method_not_allowed(e):
        response = app.make_response(
            error_page(405, "Method not allowed", "This address does not accept that method.")
        )
        response.headers["Allow"] = ", ".join(sorted(e.valid_methods or []))
        return response

    @app.errorhandler(413)
    def too_large(_e):
        return error_page(413, "Too large", "The request is larger than Rapport accepts.")

    @app.errorhandler(429)
    def too_many_requests(_e):
        from survey.web.ratelimit import retry_after_seconds

        response = app.make_response(
            error_page(
                429,
                "Too many requests",
                "Too many attempts came from your connection. Nothing was saved: "
                "wait a minute, then try again.",
            )
        )
        response.headers["Retry-After"] = str(retry_after_seconds())
        return response

    @app.errorhandler(OperationalError)
    def database_busy(_e):
        response, status = error_page(
            503,
            "Busy",
            "Rapport is busy and could not save this right now. Nothing was saved: "
            "please submit again in a few seconds.",
        )
        response = app.make_response((response, status))
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response

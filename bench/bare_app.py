"""The capture baseline: a bare Flask POST endpoint (`gunicorn bench.bare_app:app`).

It does what any form endpoint must (parse the form body, answer with a 303 to a thank-you
page) and nothing Rapport adds: no session, CSRF, database, outbox or Redis.
"""

from __future__ import annotations

from flask import Flask, redirect, request
from werkzeug.wrappers import Response

app = Flask(__name__)


@app.post("/s/<token>")
def submit(token: str) -> Response | tuple[str, int]:
    """Read the form and redirect, like the survey's POST does on success."""
    if not request.form.get("satisfaction"):
        return "missing answers", 400
    return redirect(f"/s/{token}/thanks", code=303)

"""List and show messages from RAPPORT_HOME/mail."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from flask import abort, render_template
from flask_login import login_required

from survey.devmail import bp
from survey.web.session import settings

NAME = re.compile(r"^[A-Za-z0-9._-]+\.eml$")


def _messages() -> list[Path]:
    folder = settings().mailbox_dir
    if not folder.is_dir():
        return []
    return sorted(folder.glob("*.eml"), key=lambda p: p.stat().st_mtime, reverse=True)


def _parse(path: Path) -> email.message.EmailMessage:
    with path.open("rb") as handle:
        return email.message_from_binary_file(handle, policy=email.policy.default)  # type: ignore[return-value]


@bp.get("/")
@login_required
def mailbox():
    """Every message the development transport has written, newest first."""
    rows = []
    for path in _messages()[:500]:
        message = _parse(path)
        rows.append(
            {
                "name": path.name,
                "to": message["To"],
                "subject": message["Subject"],
                "date": message["Date"],
            }
        )
    return render_template("devmail/mailbox.html", rows=rows, folder=settings().mailbox_dir)


@bp.get("/<name>")
@login_required
def message(name: str):
    """One message: headers, the plain-text part and its links."""
    if not NAME.match(name):
        abort(404)
    path = settings().mailbox_dir / name
    if not path.is_file():
        abort(404)
    parsed = _parse(path)
    part = parsed.get_body(preferencelist=("plain",))
    text = part.get_content() if part is not None else ""
    links = re.findall(r"https?://\S+", text)
    return render_template(
        "devmail/message.html", message=parsed, text=text, links=links, name=name
    )

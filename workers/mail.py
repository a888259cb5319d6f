"""Mail transports: a file mailbox for development, SMTP(S) for real mail."""

from __future__ import annotations

import re
import smtplib
import ssl
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import unquote, urlsplit

from survey.config import Settings

SMTP_TIMEOUT_SECONDS = 20


class MailError(RuntimeError):
    """Sending failed; `permanent` says whether retrying can help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def _file_name(message: EmailMessage) -> str:
    ident = re.sub(r"[^A-Za-z0-9._-]", "_", (message["Message-ID"] or "message").strip("<>"))
    return f"{ident[:150]}.eml"


def deliver_to_folder(folder: Path, message: EmailMessage) -> Path:
    """Write one .eml per message; the same Message-ID overwrites, so a resend is no duplicate."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(message)
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(bytes(message))
    tmp.replace(path)
    return path


def deliver_smtp(url: str, message: EmailMessage) -> None:
    """Send through smtp://user:pass@host:port (STARTTLS when offered) or smtps://."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    try:
        if parts.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host,
                parts.port or 465,
                timeout=SMTP_TIMEOUT_SECONDS,
                context=ssl.create_default_context(),
            )
        else:
            client = smtplib.SMTP(host, parts.port or 25, timeout=SMTP_TIMEOUT_SECONDS)
        with client:
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
            client.send_message(message)
    except smtplib.SMTPResponseException as exc:
        permanent = 500 <= exc.smtp_code < 600
        raise MailError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent) from exc
    except smtplib.SMTPRecipientsRefused as exc:
        raise MailError(f"recipient refused: {exc.recipients}", permanent=True) from exc
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"SMTP server unreachable: {exc}", permanent=False) from exc


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send one message through the configured transport."""
    if settings.mail_url is None:
        deliver_to_folder(settings.mailbox_dir, message)
    elif settings.mail_url.startswith(("smtp://", "smtps://")):
        deliver_smtp(settings.mail_url, message)
    else:
        raise MailError(f"unsupported RAPPORT_MAIL_URL scheme: {settings.mail_url}", permanent=True)

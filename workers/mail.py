"""Mail transports: a file mailbox for development, SMTP(S) for real mail.

A transport is opened once per batch, so one SMTP connection carries a whole wave. Every
message leaves From the configured sender (RAPPORT_MAIL_FROM), whoever composed it.
"""

from __future__ import annotations

import re
import smtplib
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from survey.config import DEFAULT_MAIL_FROM, Settings, sender_parts

SMTP_TIMEOUT_SECONDS = 20


def sender_address(value: str) -> Address:
    """A From value ("Rapport <pulse@example.com>") as an Address."""
    name, addr_spec = sender_parts(value)
    return Address(display_name=name, addr_spec=addr_spec)


DEFAULT_SENDER = sender_address(DEFAULT_MAIL_FROM)


def sender(settings: Settings) -> Address:
    """The configured From of every email (RAPPORT_MAIL_FROM)."""
    return sender_address(settings.mail_from)


def set_sender(message: EmailMessage, address: Address) -> EmailMessage:
    """Put `address` in From, replacing whatever the composer set."""
    del message["From"]
    message["From"] = address
    return message


class MailError(RuntimeError):
    """Sending failed; `permanent` says whether retrying can help, `unreachable` that no
    message can get through right now (so the rest of the batch waits too)."""

    def __init__(self, message: str, *, permanent: bool, unreachable: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.unreachable = unreachable


class Transport(Protocol):
    """Something that sends one message at a time."""

    def send(self, message: EmailMessage) -> None: ...


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


class FolderTransport:
    """The development mailbox: RAPPORT_HOME/mail."""

    def __init__(self, folder: Path, sender: Address | None = None) -> None:
        self.folder = folder
        self.sender = sender

    def send(self, message: EmailMessage) -> None:
        """Write the message as an .eml file."""
        if self.sender is not None:
            set_sender(message, self.sender)
        try:
            deliver_to_folder(self.folder, message)
        except OSError as exc:
            raise MailError(f"mailbox not writable: {exc}", permanent=False) from exc


def _refusal(exc: smtplib.SMTPRecipientsRefused) -> MailError:
    codes = [code for code, _msg in exc.recipients.values()]
    permanent = bool(codes) and all(500 <= code < 600 for code in codes)
    detail = "; ".join(f"{code} {msg!r}" for code, msg in exc.recipients.values())
    return MailError(f"recipient refused: {detail}", permanent=permanent)


class SmtpTransport:
    """smtp://user:pass@host:port (STARTTLS when offered) or smtps://; one connection reused."""

    def __init__(self, url: str, sender: Address | None = None) -> None:
        self.parts = urlsplit(url)
        self.sender = sender
        self.client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        parts = self.parts
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
            client.ehlo_or_helo_if_needed()
            if parts.scheme == "smtp" and client.has_extn("starttls"):
                client.starttls(context=ssl.create_default_context())
                client.ehlo()
            if parts.username:
                client.login(unquote(parts.username), unquote(parts.password or ""))
        except smtplib.SMTPAuthenticationError as exc:
            raise MailError(
                f"SMTP login refused: {exc.smtp_code}", permanent=False, unreachable=True
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(
                f"SMTP server unreachable: {exc}", permanent=False, unreachable=True
            ) from exc
        return client

    def send(self, message: EmailMessage) -> None:
        """Send one message; 5xx is permanent, 4xx and dropped connections are not."""
        if self.sender is not None:
            # The envelope sender follows From, so bounces go to the configured address.
            set_sender(message, self.sender)
        if self.client is None:
            self.client = self._connect()
        try:
            self.client.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refusal(exc) from exc
        except smtplib.SMTPServerDisconnected as exc:
            self.client = None  # reconnect for the next message
            raise MailError(f"SMTP connection lost: {exc}", permanent=False) from exc
        except smtplib.SMTPResponseException as exc:
            permanent = 500 <= exc.smtp_code < 600
            if exc.smtp_code == 421:
                self.client = None  # the server is closing the connection
            raise MailError(
                f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=permanent
            ) from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.client = None
            raise MailError(f"SMTP error: {exc}", permanent=False) from exc

    def close(self) -> None:
        """Say goodbye to the server, ignoring a connection that is already gone."""
        if self.client is not None:
            try:
                self.client.quit()
            except (OSError, smtplib.SMTPException):
                self.client.close()
            self.client = None


@contextmanager
def open_transport(settings: Settings) -> Iterator[Transport]:
    """The configured transport for one batch of messages, sending From the configured sender."""
    if settings.mail_url is None:
        yield FolderTransport(settings.mailbox_dir, sender(settings))
        return
    if not settings.mail_url.startswith(("smtp://", "smtps://")):
        raise MailError(f"unsupported RAPPORT_MAIL_URL scheme: {settings.mail_url}", permanent=True)
    smtp = SmtpTransport(settings.mail_url, sender(settings))
    try:
        yield smtp
    finally:
        smtp.close()


def deliver(settings: Settings, message: EmailMessage) -> None:
    """Send one message through the configured transport."""
    with open_transport(settings) as transport:
        transport.send(message)

"""A worker killed mid-send, for the tests of what recovers from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from workers import context, mail


class WorkerKilled(BaseException):
    """What a SIGKILL looks like from inside: nothing after it runs."""


@contextmanager
def killed_while_sending(monkeypatch, *, to: str | None = None) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """The job run inside dies as it hands an email (to `to`, or any) to the SMTP server;
    emails to others before it go out."""
    real = mail.SmtpTransport.send

    def send(self, message):  # type: ignore[no-untyped-def]
        if to is None or message["To"].addresses[0].addr_spec == to:
            raise WorkerKilled
        return real(self, message)

    with monkeypatch.context() as patched:
        patched.setattr(mail.SmtpTransport, "send", send)
        with pytest.raises(WorkerKilled):
            yield


@pytest.fixture
def smtp(rapport_env, smtp_server, monkeypatch):  # type: ignore[no-untyped-def]
    """Workers send over SMTP to the loopback server."""
    monkeypatch.setenv("RAPPORT_MAIL_URL", smtp_server.url)
    context.settings.cache_clear()
    return smtp_server

"""Every process killed and restarted mid-wave: opens, reminders and the close happen once.

The web app, a worker and the scheduler run as real processes against a real Redis, the
SQLite file and a loopback SMTP server. Between restarts the wave's clock is moved back
by whole days (as if everything had been down that long), which is how the scheduler
sees time pass: it keeps no state of its own, only what the database says.
"""

from __future__ import annotations

import re
import signal
import time
from collections import Counter
from datetime import timedelta

import pytest
from sqlmodel import select

from survey import waves
from survey.models import Invitation, MailDelivery, Wave, WaveStatus, utcnow
from tests import smtp_server as loopback_smtp
from tests.builders import TEST_SECRET
from tests.faults import procs
from tests.faults.conftest import answers_for
from tests.faults.submit import submit
from tests.wave_builders import project_with
from workers import scheduler as scheduler_module

pytestmark = pytest.mark.slow
smtp_server = loopback_smtp.smtp_server
PEOPLE = 3
# A SIGKILLed scheduler leaves its lock behind: the next one waits for it to expire.
RESTART_TIMEOUT = scheduler_module.LOCK_TTL_SECONDS + 60
KIND = re.compile(r"<(invitation|reminder-\d)")
TOKEN = re.compile(r"/s/([A-Za-z0-9_-]{20,100})")


class Rapport:
    """Web, worker and scheduler as `rapport up` runs them; killed and started together."""

    def __init__(self, env: dict[str, str], logs) -> None:  # type: ignore[no-untyped-def]
        self.env, self.logs, self.running = env, logs, []
        self.port = procs.free_port()
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = self.logs / f"run{self.starts}"
        self.running = [
            procs.web(self.env, self.port, log.with_suffix(".web.log")),
            procs.worker(self.env, log.with_suffix(".worker.log")),
            procs.scheduler(self.env, log.with_suffix(".scheduler.log")),
        ]

    def kill(self) -> None:
        for proc in self.running:
            procs.stop(proc, signal.SIGKILL)
        self.running = []


def _wave_mail(smtp) -> list:  # type: ignore[no-untyped-def]
    """The wave's invitations and reminders received so far. The scheduler may also send
    the PM's weekly digest once the answer is in (its own Message-ID): not counted here."""
    return [m for m in smtp.handler.messages if KIND.match(m["Message-ID"])]


def _kinds(smtp) -> Counter[str]:  # type: ignore[no-untyped-def]
    """Wave messages received by kind, from their Message-IDs ("invitation", "reminder-1")."""
    return Counter(KIND.match(m["Message-ID"]).group(1) for m in _wave_mail(smtp))  # type: ignore[union-attr]


def _days_pass(session, wave_id: int, days: int) -> None:  # type: ignore[no-untyped-def]
    """Move the wave's clock back, as if `days` had passed while nothing ran."""
    shift = timedelta(days=days)
    session.expire_all()
    wave = session.get(Wave, wave_id)
    wave.opens_at, wave.closes_at = wave.opens_at - shift, wave.closes_at - shift
    session.add(wave)
    for invitation in session.exec(select(Invitation).where(Invitation.wave_id == wave_id)):
        if invitation.sent_at is not None:
            invitation.sent_at -= shift
            session.add(invitation)
    session.commit()


def test_opens_reminders_and_close_happen_once_across_restarts(
    rapport_env, session, smtp_server, tmp_path
):
    project = project_with(session, PEOPLE)
    now = utcnow()
    wave = waves.create_wave(
        session,
        projects=[project],
        opens_at=now - timedelta(minutes=1),
        closes_at=now + timedelta(days=10),
        secret_key=TEST_SECRET,
        reminders=(3, 6),
    )
    waves.schedule(session, wave=wave)
    session.commit()
    wave_id = wave.id
    assert wave_id is not None
    rapport = Rapport({**rapport_env, "RAPPORT_MAIL_URL": smtp_server.url}, tmp_path)

    def mail() -> list:  # type: ignore[type-arg]
        return _wave_mail(smtp_server)

    def wait_for(condition, what: str) -> None:  # type: ignore[no-untyped-def]
        assert procs.wait_until(condition, RESTART_TIMEOUT), f"{what}: {_kinds(smtp_server)}"

    try:
        # Day 0: the scheduler opens the wave and the worker mails every invitation.
        rapport.start()
        wait_for(lambda: len(mail()) >= PEOPLE, "invitations")
        rapport.kill()

        # One stakeholder answers from the emailed link, through the restarted web app.
        rapport.start()
        first = mail()[0].get_body(("plain",)).get_content()
        token = TOKEN.search(first)
        assert token, first
        assert submit(f"http://127.0.0.1:{rapport.port}", token.group(1), answers_for(1)) == 200
        rapport.kill()

        # Day 3, everything down meanwhile: the first reminder, to the two who did not answer.
        _days_pass(session, wave_id, 3)
        rapport.start()
        wait_for(lambda: len(mail()) >= PEOPLE + 2, "first reminders")
        rapport.kill()

        # Day 7: the second reminder, once.
        _days_pass(session, wave_id, 4)
        rapport.start()
        wait_for(lambda: len(mail()) >= PEOPLE + 4, "second reminders")
        rapport.kill()

        # Day 11: past the close. The wave closes; nobody is mailed again.
        _days_pass(session, wave_id, 4)
        rapport.start()

        def closed() -> bool:
            session.expire_all()
            return session.get(Wave, wave_id).status == WaveStatus.closed  # type: ignore[union-attr]

        wait_for(closed, "close")
        closed_at = session.get(Wave, wave_id).closes_at  # type: ignore[union-attr]
        rapport.kill()

        # One more restart with nothing left to do: still nothing sent, the close unchanged.
        rapport.start()
        time.sleep(scheduler_module.LOCK_TTL_SECONDS + 10)
    finally:
        rapport.kill()

    everything = [m["Message-ID"] for m in smtp_server.handler.messages]
    assert len(everything) == len(set(everything)), everything  # a digest, too, goes once
    ids = [m["Message-ID"] for m in mail()]
    assert len(ids) == len(set(ids)) == PEOPLE + 4, ids
    assert _kinds(smtp_server) == Counter({"invitation": 3, "reminder-1": 2, "reminder-2": 2})
    session.expire_all()
    assert session.get(Wave, wave_id).closes_at == closed_at  # type: ignore[union-attr]
    statuses = Counter(str(s) for s in session.exec(select(MailDelivery.status)).all())
    assert statuses == Counter({"sent": PEOPLE + 4}), statuses

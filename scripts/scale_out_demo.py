"""Scale-out on one host: PostgreSQL, a separate Redis, web, two workers and a scheduler.

Run through scripts/scale_out_demo.sh. It runs one pulse answer end to end (HTTP in, score
out of the API), then measures submissions scored per second with one worker and with two,
and stops everything it started.
"""

from __future__ import annotations

import email
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import redis
from rq import Worker
from sqlmodel import Session, col, func, select

from survey import db
from survey.embedded_redis import server_binary
from survey.models import (
    CommentScore,
    Invitation,
    Project,
    Relationship,
    Response,
    Stakeholder,
    Wave,
    WaveProject,
    WaveStatus,
    utcnow,
)
from survey.passwords import invitation_token, new_salt, token_hash
from survey.pulse_templates import relationship_pulse
from tests import pg_cluster
from tests.faults.procs import free_port, wait_http, wait_until

RAPPORT = [sys.executable, "-m", "survey.cli"]
SECRET = "scale-out-demo-secret-key-0123456789abcdef"  # noqa: S105 - throwaway demo
SUBMISSIONS = int(os.environ.get("DEMO_SUBMISSIONS", "200"))
CLIENTS = int(os.environ.get("DEMO_CLIENTS", "8"))
ANSWERS = {"satisfaction": "4", "trust": "3", "communication": "4", "partnership": "5"}


def say(message: str) -> None:
    print(f"[scale-out] {message}", flush=True)


class Processes:
    """Children in their own process groups, stopped with SIGTERM (then SIGKILL)."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs, self.running = env, logs, []  # type: ignore[var-annotated]

    def start(self, name: str, args: list[str]) -> subprocess.Popen[bytes]:
        handle = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            args, env=self.env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True
        )
        self.running.append(proc)
        return proc

    def stop_all(self) -> None:
        for proc in reversed(self.running):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.running:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def run(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout


class Browser:
    """A stakeholder's browser: cookies and the CSRF token of the form."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def answer(self, token: str, comment: str) -> int:
        with self.opener.open(f"{self.base}/s/{token}", timeout=30) as page:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.read().decode())
        assert csrf, "the pulse page has no CSRF token"
        data = urllib.parse.urlencode({**ANSWERS, "comment": comment, "csrf_token": csrf[1]})
        with self.opener.open(f"{self.base}/s/{token}", data=data.encode(), timeout=30) as done:
            return done.status


def api(base: str, token: str, path: str) -> dict:
    url = f"{base}/api/v1{path}"
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def first_invitation_link(mailbox: Path, database_url: str) -> tuple[str, int]:
    """A token from a mailed invitation that has no answer yet, and its relationship id."""
    with Session(db.get_engine(database_url)) as session:
        for path in sorted(mailbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes())
            body = "".join(
                part.get_payload(decode=True).decode(errors="replace")
                for part in message.walk()
                if part.get_content_type() == "text/plain"
            )
            match = re.search(r"/s/([A-Za-z0-9_-]{20,100})", body)
            if not match:
                continue
            invitation = session.exec(
                select(Invitation).where(Invitation.token_hash == token_hash(match[1]))
            ).first()
            if invitation is not None and invitation.responded_at is None:
                return match[1], invitation.relationship_id
    raise RuntimeError("no unanswered invitation in the mailbox")


def fresh_invitations(database_url: str, count: int, label: str) -> tuple[int, list[str]]:
    """A new open wave on the first project with `count` new stakeholders invited."""
    with Session(db.get_engine(database_url), expire_on_commit=False) as session:
        project = session.exec(select(Project).order_by(col(Project.id))).first()
        assert project is not None
        template = relationship_pulse(session)
        now = utcnow()
        wave = Wave(
            template_id=template.id,  # type: ignore[arg-type]
            title=f"Throughput {label}",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7),
            status=WaveStatus.open,
        )
        session.add(wave)
        session.flush()
        session.add(WaveProject(wave_id=wave.id, project_id=project.id))  # type: ignore[arg-type]
        tokens = []
        for n in range(count):
            person = Stakeholder(name=f"Load {label} {n}", email=f"load-{label}-{n}@example.com")
            session.add(person)
            session.flush()
            relationship = Relationship(project_id=project.id, stakeholder_id=person.id)  # type: ignore[arg-type]
            session.add(relationship)
            session.flush()
            salt = new_salt()
            raw = invitation_token(SECRET, salt)
            session.add(
                Invitation(
                    wave_id=wave.id,  # type: ignore[arg-type]
                    relationship_id=relationship.id,  # type: ignore[arg-type]
                    token_salt=salt,
                    token_hash=token_hash(raw),
                    sent_at=now,
                )
            )
            tokens.append(raw)
        session.commit()
        return wave.id, tokens  # type: ignore[return-value]


def scored_in_wave(database_url: str, wave_id: int) -> int:
    with Session(db.get_engine(database_url)) as session:
        return session.exec(
            select(func.count())
            .select_from(CommentScore)
            .join(Response, col(Response.id) == col(CommentScore.response_id))
            .where(Response.wave_id == wave_id)
        ).one()


def throughput(base: str, database_url: str, label: str) -> float:
    """Submissions scored per second: first POST to last score, CLIENTS posting at once."""
    wave_id, tokens = fresh_invitations(database_url, SUBMISSIONS, label)
    comments = [
        "Honest status updates, thank you.",
        "The dates keep moving and nobody tells us why.",
        "Great partnership with the team this month.",
        "Testing was rushed and quality suffered.",
    ]
    chunks = [tokens[n::CLIENTS] for n in range(CLIENTS)]
    failures: list[str] = []

    def client(chunk: list[str]) -> None:
        browser = Browser(base)
        for n, token in enumerate(chunk):
            try:
                browser.answer(token, comments[n % len(comments)])
            except Exception as exc:  # counted and reported; the run goes on
                failures.append(str(exc))

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(c,)) for c in chunks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    posted = time.monotonic() - started
    if not wait_until(lambda: scored_in_wave(database_url, wave_id) >= SUBMISSIONS, 600, 0.05):
        raise RuntimeError(f"only {scored_in_wave(database_url, wave_id)} scored in time")
    elapsed = time.monotonic() - started
    rate = SUBMISSIONS / elapsed
    say(
        f"{label}: {SUBMISSIONS} submissions posted in {posted:.1f}s, all scored after "
        f"{elapsed:.1f}s -> {rate:.1f} scored/s ({len(failures)} failed posts)"
    )
    return rate


def wait_workers(redis_url: str, count: int) -> None:
    conn = redis.Redis.from_url(redis_url)
    if not wait_until(lambda: len(Worker.all(connection=conn)) == count, 120):
        raise RuntimeError(f"expected {count} live workers")


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="rapport-scale-out-"))
    say(f"working folder {root}")
    with pg_cluster.running() as database_url:
        redis_port, web_port = free_port(), free_port()
        redis_url = f"redis://127.0.0.1:{redis_port}/0"
        base = f"http://127.0.0.1:{web_port}"
        env = {
            **os.environ,
            "RAPPORT_HOME": str(root / "home"),
            "RAPPORT_DATABASE_URL": database_url,
            "RAPPORT_REDIS_URL": redis_url,
            "RAPPORT_SECRET_KEY": SECRET,
            "RAPPORT_BASE_URL": base,
            "RAPPORT_ENV": "development",
        }
        os.environ.update(env)
        procs = Processes(env, root)
        try:
            procs.start(
                "redis",
                [
                    server_binary(),
                    "--bind",
                    "127.0.0.1",
                    "--port",
                    str(redis_port),
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(root),
                ],
            )
            wait_until(lambda: _redis_up(redis_url), 20)
            say(f"PostgreSQL {database_url}; Redis {redis_url}")
            run([*RAPPORT, "db", "upgrade"], env)
            say(run([*RAPPORT, "demo"], env).strip())
            api_token = run(
                [*RAPPORT, "token", "create", "--email", "admin@example.com", "--label", "demo"],
                env,
            ).strip()
            procs.start("web", [*RAPPORT, "web", "--port", str(web_port), "--processes", "4"])
            procs.start("scheduler", [*RAPPORT, "scheduler"])
            worker_args = [*RAPPORT, "worker", "--queues", "events,mail,analysis,reports"]
            procs.start("worker1", worker_args)
            procs.start("worker2", worker_args)
            wait_http(f"{base}/healthz")
            wait_workers(redis_url, 2)
            say("web, 2 workers and a scheduler are up")

            token, relationship_id = first_invitation_link(root / "home" / "mail", database_url)
            status = Browser(base).answer(token, "Clear, honest updates; the dates now hold.")
            say(f"answered one invitation over HTTP (status {status})")

            def scored() -> bool:
                points = api(base, api_token, f"/relationships/{relationship_id}/trend")["points"]
                return any(p.get("sentiment") is not None and p["answers"] for p in points[-1:])

            started = time.monotonic()
            if not wait_until(scored, 60, 0.1):
                raise RuntimeError("the answer was not scored within 60 s")
            latest = api(base, api_token, f"/relationships/{relationship_id}/trend")["points"][-1]
            say(f"scored in {time.monotonic() - started:.1f}s; API point: {json.dumps(latest)}")

            two = throughput(base, database_url, "two-workers")
            os.killpg(procs.running[-1].pid, signal.SIGTERM)
            procs.running[-1].wait(timeout=60)
            wait_workers(redis_url, 1)
            one = throughput(base, database_url, "one-worker")
            say(f"RESULT two workers {two:.1f}/s, one worker {one:.1f}/s, ratio {two / one:.2f}")
        finally:
            procs.stop_all()
            say("stopped web, workers, scheduler and Redis")
    say("PostgreSQL cluster removed")
    return 0


def _redis_up(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url).ping())
    except redis.ConnectionError:
        return False


if __name__ == "__main__":
    sys.exit(main())

"""`rapport up` as a real subprocess on a free port, with its own RAPPORT_HOME."""

from __future__ import annotations

import contextlib
import email
import email.policy
import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT = 180.0
LINK = re.compile(r"https?://[^\s\"'<>]+/s/[A-Za-z0-9_-]+")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def process_tree(root: int) -> dict[int, str]:
    """Every live descendant of `root` (pid -> command line), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    stack = list(children.get(root, []))
    while stack:
        pid = stack.pop()
        try:
            cmdline = (Path(f"/proc/{pid}") / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        found[pid] = cmdline.decode(errors="replace").strip()
        stack.extend(children.get(pid, []))
    return found


def alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


class Browser:
    """A tiny HTTP client with a cookie jar (what a stakeholder's browser does)."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, url: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(url))

    def post(self, url: str, data: dict[str, str]) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(url, data=body, method="POST"))

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


@dataclass
class Rapport:
    """A running `rapport up` and the ways a test talks to it."""

    home: Path
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path
    env: dict[str, str]
    seconds_to_healthy: float = 0.0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def healthz(self) -> tuple[int, dict]:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def wait_healthy(self, timeout: float = STARTUP_TIMEOUT) -> None:
        started = time.monotonic()
        deadline = started + timeout
        last: object = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"rapport up exited with {self.process.returncode}:\n{self.log()}")
            try:
                status, body = self.healthz()
                if status == 200 and body == {"db": "ok", "redis": "ok"}:
                    return
                last = (status, body)
            except (OSError, ValueError) as exc:
                last = exc
            time.sleep(0.25)
        pytest.fail(f"/healthz not ok after {timeout:.0f} s (last: {last}):\n{self.log()[-4000:]}")

    def cli(self, *args: str) -> str:
        """Run another `rapport` command against the same RAPPORT_HOME."""
        done = subprocess.run(
            [sys.executable, "-m", "survey.cli", *args],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout.strip()

    def api(self, path: str, token: str) -> dict:
        request = urllib.request.Request(
            f"{self.url}/api/v1{path}", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def invitation_links(self) -> list[str]:
        """The /s/<token> links in the development mailbox (alerts and other mail have none)."""
        links = []
        for path in sorted((self.home / "mail").glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            body = message.get_body(preferencelist=("plain",))
            found = LINK.findall(body.get_content()) if body is not None else []
            if found:
                links.append(found[0])
        return links

    def interrupt(self, timeout: float = 90.0) -> int:
        """Ctrl-C: SIGINT to the whole process group, as a terminal does."""
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=timeout)

    def kill_everything(self) -> None:
        """Last resort in teardown: nothing this test started may outlive it."""
        leftovers = process_tree(self.process.pid)
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
                self.process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        for pid in leftovers:
            if alive(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)


def start_rapport(home: Path) -> Rapport:
    """Start `rapport up --workers 1` on a free port with the embedded Redis."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env.update({"RAPPORT_HOME": str(home), "RAPPORT_ENV": "development", "PYTHONUNBUFFERED": "1"})
    port = free_port()
    log_path = home / "up.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "survey.cli", "up", "--port", str(port), "--workers", "1"],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Rapport(home=home, port=port, process=process, log_path=log_path, env=env)


@pytest.fixture
def rapport_up(tmp_path: Path) -> Iterator[Rapport]:
    """A fresh `rapport up` for one test, which may stop it itself."""
    started = time.monotonic()
    running = start_rapport(tmp_path / "home")
    try:
        running.wait_healthy()
        running.seconds_to_healthy = time.monotonic() - started
        yield running
    finally:
        running.kill_everything()


@pytest.fixture(scope="module")
def shared_rapport(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rapport]:
    """One `rapport up` shared by a module's read-mostly tests."""
    started = time.monotonic()
    running = start_rapport(tmp_path_factory.mktemp("rapport") / "home")
    try:
        running.wait_healthy()
        running.seconds_to_healthy = time.monotonic() - started
        yield running
    finally:
        running.kill_everything()

"""Start and stop real Rapport processes for fault tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A child in its own process group, output to a log file."""
    handle = log.open("ab")
    return subprocess.Popen(
        [sys.executable, *args],
        env={**os.environ, **env},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def web(env: dict[str, str], port: int, log: Path, workers: int = 2) -> subprocess.Popen[bytes]:
    """gunicorn serving the app, as in production."""
    proc = start(
        [
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{port}",
            "survey.wsgi:app",
        ],
        env,
        log,
    )
    wait_http(f"http://127.0.0.1:{port}/login")
    return proc


def worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(["-m", "survey.cli", "worker"], env, log)


def scheduler(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return start(["-m", "survey.cli", "scheduler"], env, log)


def stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    """Signal the whole process group and wait for it."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wait_http(url: str, timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310 - loopback test server
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{url} did not come up")


def wait_until(check, timeout: float, interval: float = 0.25) -> bool:  # type: ignore[no-untyped-def]
    """Poll `check()` until true or the timeout passes; never asserts a speed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return bool(check())

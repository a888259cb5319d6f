"""The real processes a benchmark runs against: gunicorn and redis-server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from bench.memory import children, peak_rss_kib
from survey.embedded_redis import EmbeddedRedis

ROOT = Path(__file__).resolve().parent.parent

# Same shape as `rapport web`: sync workers, one request at a time per process.
WEB_WORKERS = 2


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def redis_server(home: Path) -> Iterator[str]:
    """A private redis-server (the one `rapport up` embeds) on a unix socket; yields its URL."""
    server = EmbeddedRedis(home)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


class Gunicorn:
    """A running gunicorn serving one WSGI app on 127.0.0.1."""

    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def worker_peak_rss_kib(self) -> int:
        """The largest VmHWM among the web worker processes."""
        return max((peak_rss_kib(pid) for pid in children(self.process.pid)), default=0)


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {log}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not listen on {port} in time; see {log}")


@contextmanager
def gunicorn(
    app: str, env: Mapping[str, str], log: Path, *, workers: int = WEB_WORKERS
) -> Iterator[Gunicorn]:
    """Start `gunicorn app` with `workers` sync workers and wait until every one answers."""
    port = free_port()
    args = [sys.executable, "-m", "gunicorn", "--workers", str(workers)]
    args += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", "--backlog", "256"]
    # No preload: each worker imports the app itself, exactly as `rapport web` runs it.
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*args, app],
            cwd=ROOT,
            env={**os.environ, **env},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
        )
    try:
        _wait_for_port(process, port, log, timeout=60)
        deadline = time.monotonic() + 60
        while len(children(process.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.1)
        yield Gunicorn(process, port)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

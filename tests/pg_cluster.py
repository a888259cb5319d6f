"""A throwaway PostgreSQL cluster: `python -m tests.pg_cluster CMD...` runs CMD against it.

initdb into a temporary folder (as the `postgres` user when we are root, since PostgreSQL
refuses to run as root), listen on a unix socket in that folder and on a free port on
127.0.0.1 only, export RAPPORT_TEST_DATABASE_URL, run CMD, then stop and delete everything.
The exit status is CMD's.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUPERUSER = "rapport"
DATABASE = "rapport"
# Set by `main` for the command it runs: how a test may stop and start the server again.
CONTROL_ENV = "RAPPORT_TEST_PG_CONTROL"


def server_bin_dir() -> Path | None:
    """The newest installed PostgreSQL server binaries, or None."""
    override = os.environ.get("RAPPORT_PG_BIN")
    if override:
        return Path(override)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(args: list[str], owner: str | None) -> list[str]:
    return ["runuser", "-u", owner, "--", *args] if owner else args


def _wait_ready(bin_dir: Path, sockets: Path, port: int, owner: str | None) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        probe = [str(bin_dir / "pg_isready"), "-q", "-h", str(sockets), "-p", str(port)]
        if subprocess.run(_as_owner(probe, owner), check=False).returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError("PostgreSQL did not become ready in 30 s")


@contextmanager
def running(*, keep_logs_on_error: bool = True) -> Iterator[str]:
    """Start a cluster and yield its SQLAlchemy URL; stop and remove it afterwards."""
    bin_dir = server_bin_dir()
    if bin_dir is None:
        raise RuntimeError("PostgreSQL server binaries not found (install postgresql)")
    owner = "postgres" if os.geteuid() == 0 else None
    root = Path(tempfile.mkdtemp(prefix="rapport-pg-"))
    data, sockets, log = root / "data", root / "run", root / "server.log"
    sockets.mkdir()
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    port = _free_port()
    pg_ctl = str(bin_dir / "pg_ctl")
    started = False
    try:
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    SUPERUSER,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ],
                owner,
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        # Test settings: durability off for speed, enough connections for concurrent tests.
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={port} "
            f"-c unix_socket_directories={sockets} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=200 -c timezone=UTC"
        )
        subprocess.run(
            _as_owner(
                [pg_ctl, "-D", str(data), "-l", str(log), "-o", options, "-w", "start"], owner
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        _wait_ready(bin_dir, sockets, port, owner)
        subprocess.run(
            _as_owner(
                [
                    str(bin_dir / "createdb"),
                    "-h",
                    str(sockets),
                    "-p",
                    str(port),
                    "-U",
                    SUPERUSER,
                    DATABASE,
                ],
                owner,
            ),
            check=True,
        )
        os.environ[CONTROL_ENV] = json.dumps(
            {"pg_ctl": pg_ctl, "data": str(data), "log": str(log), "options": options,
             "owner": owner}
        )  # fmt: skip
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{DATABASE}"
    except BaseException:
        if keep_logs_on_error and log.exists():
            sys.stderr.write(log.read_text()[-4000:])
        raise
    finally:
        if started:
            subprocess.run(
                _as_owner([pg_ctl, "-D", str(data), "-m", "fast", "-w", "stop"], owner),
                check=False,
                stdout=subprocess.DEVNULL,
            )
        shutil.rmtree(root, ignore_errors=True)


def _control(action: str) -> None:
    found = os.environ.get(CONTROL_ENV)
    if not found:
        raise RuntimeError(f"{CONTROL_ENV} is not set: run under python -m tests.pg_cluster")
    c = json.loads(found)
    args = [c["pg_ctl"], "-D", c["data"], "-l", c["log"], "-m", "fast", "-w", action]
    if action == "start":
        args[5:7] = ["-o", c["options"]]
    subprocess.run(_as_owner(args, c["owner"]), check=True, stdout=subprocess.DEVNULL)


def can_restart() -> bool:
    """Whether this process may stop and start the test cluster."""
    return CONTROL_ENV in os.environ


def stop_server() -> None:
    """Stop the running test cluster (fast shutdown: open connections are cut)."""
    _control("stop")


def start_server() -> None:
    """Start the stopped test cluster again with its original settings."""
    _control("start")


def main(argv: list[str]) -> int:
    """Run argv with RAPPORT_TEST_DATABASE_URL set to a fresh cluster; return its status."""
    if not argv:
        sys.stderr.write("usage: python -m tests.pg_cluster CMD [ARGS...]\n")
        return 2
    with running() as url:
        env = {**os.environ, "RAPPORT_TEST_DATABASE_URL": url}
        sys.stderr.write(f"PostgreSQL test cluster at {url}\n")
        try:
            return subprocess.run(argv, env=env, check=False).returncode
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

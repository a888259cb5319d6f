"""A small HTTP load generator: a fixed list of requests, a few threads, 127.0.0.1 only."""

from __future__ import annotations

import http.client
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Request:
    """One request to send; headers as pairs so the same request can be replayed."""

    method: str
    path: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Reply:
    """What came back: status, the response headers and (when kept) the body."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


@dataclass
class LoadResult:
    """Every reply in request order and the wall time from first send to last reply."""

    replies: list[Reply | None]
    seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def per_second(self) -> float:
        return len(self.replies) / self.seconds if self.seconds else 0.0

    def statuses(self) -> Counter[int]:
        return Counter(r.status if r is not None else 0 for r in self.replies)


def _send(conn: http.client.HTTPConnection, request: Request, keep_body: bool) -> Reply:
    # HTTPConnection keeps the socket open between requests and reconnects by itself
    # when the server answers "Connection: close" (gunicorn's sync workers always do).
    conn.request(request.method, request.path, body=request.body, headers=dict(request.headers))
    response = conn.getresponse()
    body = response.read()
    return Reply(response.status, tuple(response.getheaders()), body if keep_body else b"")


def send_all(
    port: int, requests: Sequence[Request], *, threads: int, keep_bodies: bool = False
) -> LoadResult:
    """Send every request once, `threads` at a time; replies come back in request order."""
    replies: list[Reply | None] = [None] * len(requests)
    errors: list[str] = []
    next_index = iter(range(len(requests)))
    lock = threading.Lock()
    start = threading.Barrier(threads + 1)

    def run() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=30)
        start.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            try:
                replies[i] = _send(conn, requests[i], keep_bodies)
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(f"{requests[i].method} {requests[i].path}: {exc!r}")
                conn.close()
        conn.close()

    workers = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    start.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return LoadResult(replies, time.perf_counter() - began, errors)


def connect(port: int) -> http.client.HTTPConnection:
    """A keep-alive connection to a local server, for requests sent one at a time."""
    return http.client.HTTPConnection(HOST, port, timeout=120)


def timed(conn: http.client.HTTPConnection, request: Request) -> tuple[Reply, float]:
    """Send one request and return its reply (with body) and its latency in seconds."""
    began = time.perf_counter()
    reply = _send(conn, request, keep_body=True)
    return reply, time.perf_counter() - began


def session_cookie(reply: Reply) -> str | None:
    """The `session=...` pair a reply sets, ready for a Cookie header."""
    for key, value in reply.headers:
        if key.lower() == "set-cookie" and value.startswith("session="):
            return value.split(";", 1)[0]
    return None

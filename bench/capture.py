"""Capture: survey POSTs per second through gunicorn, against a bare Flask POST endpoint.

Both servers run side by side with the same gunicorn settings and are driven by the same
client with the same request bodies and cookies. Every POST answers a different invitation
(a first submission, not an update), with the form and its CSRF token fetched beforehand
the way a stakeholder's browser would.
"""

from __future__ import annotations

import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from sqlmodel import Session, col, func, select

from bench import load, procs
from survey import db
from survey.models import OutboxEvent, Response

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
ROUNDS = 6


@dataclass(frozen=True)
class CaptureResult:
    posts: int
    rapport_per_second: float
    bare_per_second: float
    web_peak_rss_kib: int
    bare_peak_rss_kib: int
    stored: int
    dispatched: int


def _form_request(token: str, reply: load.Reply, answers: Mapping[str, str]) -> load.Request:
    """The POST a browser sends after loading the form: its CSRF token, and any cookie."""
    match = CSRF.search(reply.body.decode())
    if reply.status != 200 or match is None:
        raise RuntimeError(f"the pulse form for an invitation did not load: HTTP {reply.status}")
    body = urlencode({**answers, "csrf_token": match.group(1)}).encode()
    headers = [("Content-Type", "application/x-www-form-urlencoded")]
    cookie = load.session_cookie(reply)
    if cookie is not None:  # survey pages set none today; a browser would send one back
        headers.append(("Cookie", cookie))
    return load.Request("POST", f"/s/{token}", body, tuple(headers))


def _answers(rng: random.Random, comment: str) -> dict[str, str]:
    ratings = {
        k: str(rng.randint(1, 5)) for k in ("satisfaction", "trust", "communication", "partnership")
    }
    return {**ratings, "comment": comment}


def prepare_posts(
    port: int, tokens: Sequence[str], comments: Sequence[str], *, threads: int
) -> list[load.Request]:
    """Load every invitation's form (untimed) and build the POST that answers it."""
    fetched = load.send_all(
        port, [load.Request("GET", f"/s/{t}") for t in tokens], threads=threads, keep_bodies=True
    )
    replies = [reply for reply in fetched.replies if reply is not None]
    if fetched.errors or len(replies) != len(tokens):
        raise RuntimeError(f"loading forms failed: {fetched.errors[:3]}")
    rng = random.Random(7)
    return [
        _form_request(token, reply, _answers(rng, comments[i % len(comments)]))
        for i, (token, reply) in enumerate(zip(tokens, replies, strict=True))
    ]


def _check(result: load.LoadResult, what: str) -> None:
    statuses = result.statuses()
    if result.errors or set(statuses) != {303}:
        raise RuntimeError(f"{what}: expected only 303s, got {dict(statuses)} {result.errors[:3]}")


def run(
    env: Mapping[str, str],
    tokens: Sequence[str],
    comments: Sequence[str],
    *,
    warmup: int,
    threads: int,
    logs: Path,
) -> CaptureResult:
    """Warm both servers up, then alternate rounds of POSTs between them."""
    with (
        procs.gunicorn("survey.wsgi:app", env, logs / "web.log") as web,
        procs.gunicorn("bench.bare_app:app", env, logs / "bare.log") as bare,
    ):
        posts = prepare_posts(web.port, tokens, comments, threads=threads)
        warm, timed = posts[:warmup], posts[warmup:]
        for server in (web, bare):
            _check(load.send_all(server.port, warm, threads=threads), "warm-up")
        size = -(-len(timed) // ROUNDS)
        seconds = {"rapport": 0.0, "bare": 0.0}
        for start in range(0, len(timed), size):
            chunk = timed[start : start + size]
            for name, server in (("bare", bare), ("rapport", web)):
                result = load.send_all(server.port, chunk, threads=threads)
                _check(result, f"{name} POSTs")
                seconds[name] += result.seconds
        peak, bare_peak = web.worker_peak_rss_kib(), bare.worker_peak_rss_kib()
    url = env["RAPPORT_DATABASE_URL"]
    with Session(db.get_engine(url)) as session:
        stored = session.exec(select(func.count(col(Response.id)))).one()
        dispatched = session.exec(
            select(func.count(col(OutboxEvent.id))).where(
                col(OutboxEvent.dispatched_at).is_not(None)
            )
        ).one()
    db.dispose_engines()
    return CaptureResult(
        posts=len(timed),
        rapport_per_second=len(timed) / seconds["rapport"],
        bare_per_second=len(timed) / seconds["bare"],
        web_peak_rss_kib=peak,
        bare_peak_rss_kib=bare_peak,
        stored=stored,
        dispatched=dispatched,
    )

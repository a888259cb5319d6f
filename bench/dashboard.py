"""Dashboard scaling: the PM's project page on a small and a large portfolio, side by side."""

from __future__ import annotations

import http.client
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

from bench import invited, load, portfolio, procs

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WARMUP_REQUESTS = 6


@dataclass(frozen=True)
class DashboardResult:
    small: portfolio.PortfolioSize
    large: portfolio.PortfolioSize
    small_median_ms: float
    large_median_ms: float
    web_peak_rss_kib: int


def build(
    directory: Path, *, answers: int, comments: Sequence[str]
) -> tuple[str, portfolio.PortfolioSize]:
    """A fresh database file holding a portfolio of at least `answers` answers."""
    url = invited.fresh_database(directory / f"portfolio-{answers}.db")
    return url, portfolio.build(url, answers=answers, comments=comments)


def _login(conn: http.client.HTTPConnection, port: int) -> str:
    """Sign the benchmark PM in through the login form; returns the session cookie."""
    page, _ = load.timed(conn, load.Request("GET", "/login"))
    match, cookie = CSRF.search(page.body.decode()), load.session_cookie(page)
    if match is None or cookie is None:
        raise RuntimeError(f"the login page did not load on port {port}: HTTP {page.status}")
    body = urlencode(
        {"email": invited.PM_EMAIL, "password": invited.PM_PASSWORD, "csrf_token": match.group(1)}
    ).encode()
    headers = (("Content-Type", "application/x-www-form-urlencoded"), ("Cookie", cookie))
    reply, _ = load.timed(conn, load.Request("POST", "/login", body, headers))
    signed_in = load.session_cookie(reply)
    if reply.status != 302 or signed_in is None:
        raise RuntimeError(f"the benchmark PM could not sign in: HTTP {reply.status}")
    return signed_in


def _project_page(cookie: str) -> load.Request:
    return load.Request(
        "GET", f"/projects/{portfolio.MEASURED_PROJECT}", headers=(("Cookie", cookie),)
    )


def run(
    env: Mapping[str, str],
    small: tuple[str, portfolio.PortfolioSize],
    large: tuple[str, portfolio.PortfolioSize],
    *,
    requests: int,
    logs: Path,
) -> DashboardResult:
    """Median latency of the project page on each database, requests alternating between them."""
    with (
        procs.gunicorn(
            "survey.wsgi:app", {**env, "RAPPORT_DATABASE_URL": small[0]}, logs / "small.log"
        ) as web_small,
        procs.gunicorn(
            "survey.wsgi:app", {**env, "RAPPORT_DATABASE_URL": large[0]}, logs / "large.log"
        ) as web_large,
    ):
        servers = [
            (web_small, load.connect(web_small.port)),
            (web_large, load.connect(web_large.port)),
        ]
        pages = [_project_page(_login(conn, web.port)) for web, conn in servers]
        seconds: list[list[float]] = [[], []]
        for n in range(WARMUP_REQUESTS + requests):
            for i, (_web, conn) in enumerate(servers):
                reply, took = load.timed(conn, pages[i])
                if reply.status != 200 or b"Stakeholder 0 of" not in reply.body:
                    raise RuntimeError(f"the project page failed: HTTP {reply.status}")
                if n >= WARMUP_REQUESTS:
                    seconds[i].append(took)
        for _web, conn in servers:
            conn.close()
        peak = web_large.worker_peak_rss_kib()
    return DashboardResult(
        small=small[1],
        large=large[1],
        small_median_ms=statistics.median(seconds[0]) * 1000,
        large_median_ms=statistics.median(seconds[1]) * 1000,
        web_peak_rss_kib=peak,
    )

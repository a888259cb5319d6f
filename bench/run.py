"""Run the benchmarks in order and turn their results into table rows."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import analyzer, capture, dashboard, invited, pipeline, procs
from bench.comments import load_comments
from bench.table import Row, mib, per_second

# Signs the benchmark's own sessions and links only; never a deployment's key.
BENCH_SECRET = "bench-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
BENCHMARKS = ("capture", "pipeline", "analyzer", "dashboard")


@dataclass(frozen=True)
class Sizes:
    """How much each benchmark does. FULL is `make bench`; QUICK and the smoke test are smaller."""

    posts: int
    warmup_posts: int
    client_threads: int
    drain_rounds: int
    analyzer_rounds: int
    small_answers: int
    large_answers: int
    page_requests: int


FULL = Sizes(3000, 500, 4, 3, 5, 10_000, 1_000_000, 40)
QUICK = Sizes(400, 40, 4, 2, 3, 10_000, 100_000, 15)


@dataclass
class Outcome:
    """The rows plus the facts docs/benchmarks.md reports next to them."""

    rows: list[Row] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)


def _env(workdir: Path, redis_url: str) -> dict[str, str]:
    return {
        "RAPPORT_HOME": str(workdir / "home"),
        "RAPPORT_DATABASE_URL": f"sqlite:///{workdir / 'capture.db'}",
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_SECRET_KEY": BENCH_SECRET,
        "RAPPORT_BASE_URL": "http://127.0.0.1",
        "RAPPORT_ENV": "development",
        "RAPPORT_MAIL_URL": "",
    }


def _ratio_row(
    name: str, measured: float, baseline: float, unit: str, base: str, least: float
) -> Row:
    ratio = measured / baseline
    return Row(
        name,
        per_second(measured, unit),
        f"{base} {per_second(baseline, unit)}",
        ratio,
        f"≥ {least}",
        ratio >= least,
    )


def run_capture_and_pipeline(
    out: Outcome, sizes: Sizes, workdir: Path, redis_url: str, *, pipeline_too: bool
) -> None:
    """Capture fills the outbox and the queue; the pipeline benchmark drains exactly that."""
    comments, _ = load_comments()
    env = _env(workdir, redis_url)
    url = invited.fresh_database(workdir / "capture.db")
    tokens = invited.open_wave(
        url, invitations=sizes.posts + sizes.warmup_posts, secret_key=BENCH_SECRET
    )
    got = capture.run(
        env, tokens, comments, warmup=sizes.warmup_posts, threads=sizes.client_threads, logs=workdir
    )
    if got.stored != len(tokens) or got.dispatched != len(tokens):
        raise RuntimeError(
            f"{len(tokens)} POSTs but {got.stored} stored, {got.dispatched} dispatched"
        )
    out.rows.append(
        _ratio_row(
            "capture: survey POSTs (gunicorn, SQLite WAL, outbox, Redis)",
            got.rapport_per_second,
            got.bare_per_second,
            "POST",
            "bare Flask",
            0.5,
        )
    )
    out.facts["capture"] = (
        f"{got.posts:,} timed POSTs (after {sizes.warmup_posts} warm-up), each to its own "
        f"invitation, {sizes.client_threads} client threads, "
        f"{procs.WEB_WORKERS} gunicorn sync workers"
    )
    out.facts["web_rss"] = str(got.web_peak_rss_kib)
    out.facts["bare_rss"] = str(got.bare_peak_rss_kib)
    if not pipeline_too:
        return
    done = pipeline.run(env, rounds=sizes.drain_rounds, logs=workdir)
    out.rows.append(
        _ratio_row(
            "pipeline: comments scored + aggregated by one RQ worker",
            done.per_second,
            done.baseline_per_second,
            "comment",
            "score() loop",
            0.5,
        )
    )
    out.facts["pipeline"] = (
        f"{done.comments:,} comments from {done.jobs:,} queued "
        f"job{'' if done.jobs == 1 else 's'}, drained "
        f"{sizes.drain_rounds} times between {sizes.drain_rounds + 1} plain loops"
    )
    out.rows.append(
        Row(
            "peak memory: RQ worker process",
            mib(done.worker_peak_rss_kib),
            f"analyzer alone {mib(done.analyzer_peak_rss_kib)}",
            done.worker_peak_rss_kib / done.analyzer_peak_rss_kib,
            "report",
            None,
        )
    )


def run_analyzer(out: Outcome, sizes: Sizes) -> None:
    """score() against TextBlob, and the worst hostile comment."""
    comments, source = load_comments()
    got = analyzer.run(comments, rounds=sizes.analyzer_rounds)
    out.rows.append(
        _ratio_row(
            "analyzer: Rapport score() vs plain TextBlob",
            got.rapport_per_second,
            got.textblob_per_second,
            "comment",
            "TextBlob",
            0.5,
        )
    )
    out.rows.append(
        Row(
            f"analyzer: worst hostile 2,000-char comment ({got.hostile_kind})",
            f"{got.hostile_rapport_ms:.1f} ms",
            f"TextBlob {got.hostile_textblob_ms:.1f} ms",
            got.hostile_rapport_ms / got.hostile_textblob_ms,
            "< 100 ms",
            got.hostile_rapport_ms < 100,
        )
    )
    out.facts["analyzer"] = f"{len(comments)} comments from {source}, {got.comments} per round"


def run_dashboard(out: Outcome, sizes: Sizes, workdir: Path, redis_url: str) -> None:
    """The project page on a small and a large portfolio."""
    comments, _ = load_comments()
    began = time.perf_counter()
    small = dashboard.build(workdir, answers=sizes.small_answers, comments=comments)
    large = dashboard.build(workdir, answers=sizes.large_answers, comments=comments)
    loaded = time.perf_counter() - began
    got = dashboard.run(
        _env(workdir, redis_url), small, large, requests=sizes.page_requests, logs=workdir
    )
    ratio = got.large_median_ms / got.small_median_ms
    out.rows.append(
        Row(
            f"dashboard: project page median at {got.large.answers:,} answers",
            f"{got.large_median_ms:.1f} ms",
            f"{got.small.answers:,} answers {got.small_median_ms:.1f} ms",
            ratio,
            "≤ 2",
            ratio <= 2,
        )
    )
    out.facts["dashboard"] = (
        f"{got.small.projects:,} and {got.large.projects:,} projects ({got.small.responses:,} and "
        f"{got.large.responses:,} responses), loaded in {loaded:.0f} s; "
        f"{sizes.page_requests} requests each after warm-up"
    )
    previous = int(out.facts.get("web_rss", "0"))
    out.facts["web_rss"] = str(max(previous, got.web_peak_rss_kib))


def _memory_row(out: Outcome) -> None:
    if "web_rss" not in out.facts:
        return
    web = int(out.facts["web_rss"])
    bare = int(out.facts.get("bare_rss", "0"))
    out.rows.append(
        Row(
            "peak memory: web process (gunicorn worker)",
            mib(web),
            f"bare Flask {mib(bare)}" if bare else "—",
            web / bare if bare else None,
            "report",
            None,
        )
    )


def run_all(
    sizes: Sizes,
    workdir: Path,
    only: tuple[str, ...] = BENCHMARKS,
    progress: Callable[[str], None] = print,
) -> Outcome:
    """Every selected benchmark, side by side in this one run."""
    out = Outcome()
    out.facts["load_before"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    began = time.perf_counter()
    with procs.redis_server(workdir / "redis") as redis_url:
        if "capture" in only or "pipeline" in only:
            progress("capture" + (" and pipeline" if "pipeline" in only else ""))
            run_capture_and_pipeline(
                out, sizes, workdir, redis_url, pipeline_too="pipeline" in only
            )
        if "analyzer" in only:
            progress("analyzer")
            run_analyzer(out, sizes)
        if "dashboard" in only:
            progress("dashboard (building the portfolios takes a while)")
            run_dashboard(out, sizes, workdir, redis_url)
    _memory_row(out)
    out.facts["load_after"] = " ".join(f"{x:.2f}" for x in os.getloadavg())
    out.facts["seconds"] = f"{time.perf_counter() - began:.0f}"
    return out

"""Pipeline: one worker draining the events the capture run queued, against a plain loop."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bench.procs import ROOT


@dataclass(frozen=True)
class PipelineResult:
    jobs: int
    comments: int
    per_second: float
    baseline_per_second: float
    worker_peak_rss_kib: int
    analyzer_peak_rss_kib: int


def _worker_run(env: Mapping[str, str], log: Path, *args: str) -> dict:
    """Run bench.worker_run in its own process (so its memory is its own); returns its report."""
    with log.open("ab") as err:
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker_run", *args],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=err,
            check=False,
            timeout=1800,
        )
    if done.returncode != 0:
        raise RuntimeError(f"bench.worker_run {' '.join(args)} failed; see {log}")
    return json.loads(done.stdout.decode().strip().splitlines()[-1])


def run(env: Mapping[str, str], *, rounds: int, logs: Path) -> PipelineResult:
    """Drain the queues with one worker `rounds` times, then the analyzer alone in a fresh
    process (for its memory)."""
    report = _worker_run(env, logs / "worker.log", "--rounds", str(rounds))
    if report["pending"]:
        raise RuntimeError(f"the worker left {report['pending']} events unprocessed")
    if report["scored"] != report["comments"]:
        raise RuntimeError(f"{report['scored']} scores for {report['comments']} comments")
    alone = _worker_run(env, logs / "worker.log", "--baseline-only")
    return PipelineResult(
        jobs=int(report["jobs"]),
        comments=int(report["comments"]),
        per_second=report["comments"] / report["seconds"],
        baseline_per_second=report["comments"] / report["baseline_seconds"],
        worker_peak_rss_kib=int(report["peak_rss_kib"]),
        analyzer_peak_rss_kib=int(alone["peak_rss_kib"]),
    )

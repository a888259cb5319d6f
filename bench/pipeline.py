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


def run(env: Mapping[str, str], *, logs: Path) -> PipelineResult:
    """Run bench.worker_run in its own process (so its memory is its own) and read its report."""
    with (logs / "worker.log").open("ab") as log:
        done = subprocess.run(
            [sys.executable, "-m", "bench.worker_run"],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=log,
            check=False,
            timeout=900,
        )
    if done.returncode != 0:
        raise RuntimeError(f"the worker failed; see {logs / 'worker.log'}")
    report = json.loads(done.stdout.decode().strip().splitlines()[-1])
    if report["pending"]:
        raise RuntimeError(f"the worker left {report['pending']} events unprocessed")
    if report["scored"] != report["comments"]:
        raise RuntimeError(f"{report['scored']} scores for {report['comments']} comments")
    return PipelineResult(
        jobs=report["jobs"],
        comments=report["comments"],
        per_second=report["comments"] / report["seconds"],
        baseline_per_second=report["comments"] / report["baseline_seconds"],
        worker_peak_rss_kib=report["peak_rss_kib"],
    )

"""docs/benchmarks.md: the table of the last full run, how it was measured, how to reproduce."""

from __future__ import annotations

import os
import platform
import sqlite3
from datetime import UTC, datetime

from bench.run import Outcome
from bench.table import markdown_table

METHOD = """\
## What each row measures

Every row compares Rapport with a baseline measured **in the same run, on the same machine,
side by side**, so a busy or slow machine moves both sides together and the ratio stays
meaningful. Wall-clock numbers on their own are only context.

- **capture** — survey POSTs per second through gunicorn (the `rapport web` shape: sync
  workers, the survey app from `survey.wsgi:app`) on SQLite in WAL mode: token lookup, CSRF
  check, answers and the outbox event in one transaction, then dispatch to a real Redis
  (the redis-server that `rapport up` embeds). Baseline: a bare Flask endpoint
  (`bench/bare_app.py`) that parses the same form and answers the same 303, served by the same
  gunicorn settings and driven by the same client with the same bodies and cookies. The client
  is `bench/load.py`: a few threads with `http.client` connections to 127.0.0.1 and a fixed
  number of requests. **Every POST answers a different invitation** (a first submission, not
  an update): the forms are loaded beforehand (untimed), so each POST carries its own form's
  CSRF token, as a browser's would (survey pages set no cookie). The timed POSTs are split
  into rounds that alternate between the two servers. Every Rapport POST must answer 303 and
  every answer must be stored and dispatched, or the run fails.
- **pipeline** — the capture run leaves its submissions in the outbox, each dispatched, and
  the few drain jobs that dispatch queued (one whenever none was waiting). One worker process
  (`bench/worker_run.py`: warmed up as `rapport worker` is, then an RQ `SimpleWorker` in burst
  mode on that Redis) runs them end to end: claim outbox events in batches, score each
  comment, write the scores, recompute the trend points and evaluate alerts. It is timed
  from its start to the end of its last job (not through RQ's burst-mode shutdown, which
  waits up to a second for its pub/sub thread). Comments per second of that ÷
  `analysis.sentiment.score` in a plain loop over the same comments, in the same process
  right after. Every event must end processed and every comment scored.
- **analyzer** — `analysis.sentiment.score` comments per second ÷ `TextBlob(text).sentiment`
  on the labelled domain comments (the demo comments if that file is missing), in alternating
  rounds; each side's best round counts (the one least disturbed by other load). The hostile
  row scores eight 2,000-character inputs (one long word, an emoji flood, markup and script,
  control characters, right-to-left text, piled-up negations, punctuation, one endless
  sentence) and reports the slowest, with TextBlob's time on the same input for context.
- **dashboard** — median latency of the logged-in PM's project page (served by gunicorn,
  fetched one request at a time, alternating between the two servers) on a large and a small
  portfolio. The measured project is the same in both (25 stakeholders, 12 monthly waves);
  what grows is the rest of the database: more projects, four years of waves, their
  invitations, responses, answers, comment scores and trend points. "Answers" counts answer
  rows (four ratings, plus the comment when there is one). The data is written in bulk
  (`bench/portfolio.py`, executemany in chunks with SQLite's journal and syncing off during the
  load); trend points and comment scores carry exactly what the workers would compute from
  the same answers.
- **peak memory** — resident-set high-water mark (VmHWM): of the worker process that drained
  the queue, against a process that only runs the analyzer loop; and of the busiest gunicorn
  worker serving Rapport (capture and the large dashboard), against a bare Flask worker.
  Reported, not judged: no target was set.
"""

CAPTURE_COST = """## Where a capture POST's time goes

Capture is the one target not met. Measured in one web process with `time.process_time()`
around each step (Flask's test client, 1,000 first submissions, SQLite WAL, the embedded
Redis), a survey POST costs about 4-5 ms of CPU against 0.65 ms for the bare endpoint:

| step | CPU per POST |
|---|---|
| the write transaction: invitation, response, four answers, outbox event, one commit | 1.1-1.5 ms |
| token lookup (one indexed SELECT through the session) | 0.7-1.1 ms |
| asking Redis for a drain (`SET NX`) | 0.3-0.5 ms |
| rate limit (one Redis script), form parsing, input guard, redirect, headers | the rest |

The same token lookup costs 0.16 ms through a session on its own and 0.016 ms as raw
`sqlite3`: what is left is mostly the cost of SQLAlchemy, Flask and redis-py per call, spread
thin (about 3,700 Python function calls per POST), not one slow step. Work that was removed:
the per-request ORM loads (Core rows and statements built once), the second commit that
stamped `dispatched_at`, the session cookie and its signature (the form's CSRF token is
derived from the link), and SQLite's busy-wait sleeps between the web processes (they take
turns on a `flock`). Together that took the ratio from 0.12 to about 0.2 on this machine.
Reaching 0.5 of an endpoint that does nothing would take leaving the framework on this path
(a raw WSGI handler and DB-API calls), which the project has chosen not to do: the survey
POST goes through the same CSRF, input guard, rate limit and transaction code as every
other form.
"""


def _busy(*loads: str) -> str:
    """A warning when other work kept the CPUs busy during the run."""
    peaks = [float(x) for load in loads for x in load.split()[:1]]
    cpus = os.cpu_count() or 1
    if peaks and max(peaks) > cpus:
        return (
            "The machine was busy with other work during this run (load above its CPU count): "
            "rates are low and noisy, ratios less so."
        )
    return ""


def markdown(outcome: Outcome, command: str) -> str:
    """The whole page."""
    facts = outcome.facts
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )
    busy = _busy(facts.get("load_before", ""), facts.get("load_after", ""))
    details = [
        f"- {name}: {facts[name]}"
        for name in ("capture", "pipeline", "analyzer", "dashboard")
        if name in facts
    ]
    return "\n".join(
        [
            "# Benchmarks",
            "",
            "`make bench` (which runs `python -m bench`) prints this table and rewrites this page.",
            "",
            f"Last full run: {when}, `{command}`, {facts.get('seconds', '?')} s in all.",
            f"Machine: {machine}. Load average (1, 5, 15 min) before: "
            f"{facts.get('load_before', '?')}, after: {facts.get('load_after', '?')}."
            + (busy and f" {busy}"),
            "",
            markdown_table(outcome.rows),
            "",
            "Sizes in this run:",
            "",
            *details,
            "",
            METHOD,
            CAPTURE_COST,
            "## Reproduce",
            "",
            "```sh",
            "make bench                          # the full run; rewrites this page",
            ".venv/bin/python -m bench --quick   # smaller sizes, prints the table only",
            ".venv/bin/python -m bench --only analyzer,dashboard --quick",
            ".venv/bin/python -m bench --keep    # keep the databases and server logs to look at",
            "```",
            "",
            "Nothing is needed beyond `make install`: the benchmark starts its own redis-server",
            "and gunicorn processes on 127.0.0.1 and works in a temporary directory. A full run",
            "stays under ten minutes on two cores; `--quick` takes two or three. Close other heavy",
            "programs first: the ratios tolerate a busy machine better than raw rates do, but not",
            "completely. `tests/bench/` runs every benchmark at a tiny size and checks the table's",
            "shape, never its timings.",
            "",
        ]
    )

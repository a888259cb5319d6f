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
  workers, the survey app from `survey.wsgi:app`) on SQLite in WAL mode: token lookup, form
  token check, answers and the outbox event in one transaction, then the rate-limit count
  and dispatch to a real Redis (the redis-server that `rapport up` embeds). Baseline: a bare
  Flask endpoint (`bench/bare_app.py`) that parses the same form and answers the same 303,
  served by the same gunicorn settings and driven by the same client with the same bodies
  and cookies. The client
  is `bench/load.py`: a few threads with `http.client` connections to 127.0.0.1 and a fixed
  number of requests. **Every POST answers a different invitation** (a first submission, not
  an update): the forms are loaded beforehand (untimed), so each POST carries its own form's
  CSRF token, as a browser's would (survey pages set no cookie). Both servers first take
  the warm-up POSTs, enough for SQLite's write-ahead log to go through its first
  checkpoints and reach its working size (after only 100, the first timed round ran at
  about 0.7 of the later ones). The timed POSTs are split into six rounds that alternate
  between the two servers. Every Rapport POST must answer 303 and every answer must be
  stored and dispatched, or the run fails.
- **pipeline** — the capture run leaves its submissions in the outbox, each dispatched, and
  the few drain jobs that dispatch queued (one whenever none was waiting). One worker process
  (`bench/worker_run.py`: warmed up as `rapport worker` is, then an RQ `SimpleWorker` in burst
  mode on that Redis) runs them end to end: claim outbox events in batches, score each
  comment, write the scores, recompute the trend points and evaluate alerts. It is timed
  from its start to the end of its last job (not through RQ's burst-mode shutdown, which
  waits up to a second for its pub/sub thread). The drain runs three times: before the
  second and third, the scores and trend points are deleted, every event is made pending
  again and a drain job is requested, so each round does the same work. Comments per
  second of the three ÷ `analysis.sentiment.score` in a plain loop over the same comments
  in the same process, run before, between and after the drains (four loops, averaged),
  so a machine that speeds up or slows down during the run moves both sides alike. Before
  any of it, each distinct comment is scored once, untimed: the analyzer's word caches are
  then as warm for the worker as for the loop, as in a worker that has been running.
  After every round, every event must be processed and every comment scored.
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

CAPTURE_COST = """## What a capture POST costs

The capture ratio is now 0.51-0.60 (fifteen runs of `make bench` or `python -m bench
--only capture` on this two-core machine, most of them 0.55 or more), up from 0.12 at
first and 0.20 before the changes below. A good submission costs about 0.7 ms of CPU in
one web process (the WSGI call alone, SQLite WAL, the embedded Redis), against 0.25-0.35
ms for the bare endpoint. What it does:

| step | CPU per POST |
|---|---|
| commit (invitation, response, answers and outbox event: about nine pages to the WAL) | 0.2 ms |
| token lookup and five statements on the DB-API connection | 0.15 ms |
| one Redis script after commit (count the hit on the link, set the drain marker) | 0.1 ms |
| form parsing, form token, validation, the 303 and its headers | the rest |

What moved it, in order (0.12 → 0.2 → 0.3 → 0.45 → about 0.5):
- **One transaction, no ORM.** The outbox event is stamped dispatched in the answers'
  transaction, and the statements are SQLAlchemy Core compiled once per dialect and run
  on the DB-API cursor (`survey/direct_sql.py`), with SQLAlchemy's own type processing and
  exception classes. Through a session, the same lookup cost 0.16 ms against 0.016 ms.
- **An express lane** (`survey/capture/express.py`): WSGI middleware in front of the app
  that saves a good submission with the view's own parts and answers the same 303 with
  the same headers. Anything else (a bad token, answers to correct, a closed wave, a
  limit reached, a database error) goes to the app unchanged, which answers it as before.
  Flask's hooks for extensions a redirect never uses (login, CSRF, Flask-Limiter, the
  session) cost about 1 ms per POST on their own.
- **One Redis round trip instead of two** (`survey/capture/handover.py`), on a connection
  each web process holds: the link's rate-limit count moves after commit, and a link at
  its limit is handed to the app (which answers 429) from then on. Redis-py's client
  layers cost about 100 µs of Python per call; a held connection, about 40.
- **One connection kept per web thread** instead of a pool checkout per POST.
- **Fewer pages per commit**: three indexes that composite indexes already cover were
  dropped (migration 0015); the commit went from 0.33 to 0.22 ms.
- SQLite writers take turns on a `flock` instead of SQLite's busy-wait sleeps; survey
  pages set no cookie (the form token is derived from the link).
- **A longer warm-up** (measurement, not code): after 100 warm-up POSTs the first timed
  round ran at about 0.7 of the later ones, while SQLite's write-ahead log grew to its
  working size and went through its first checkpoints. With 500, the first round is like
  the others; the ratio moved from about 0.5 to about 0.55.

A caveat on the baseline: the load generator is one Python process (its threads share one
core) and spends about 0.6 ms of CPU per request, so it can send about 1,600 POSTs a
second; the bare endpoint's rate is close to that. The bare rate is therefore partly the
client's limit, which makes the ratio kinder to Rapport than the servers' own costs are
(in one process, 0.7 ms against 0.3 ms).

What did not help, measured and left out: a background thread checkpointing the
write-ahead log (passive checkpoints cannot restart a log that commits keep growing, so it
grew to the safety limit and commits checkpointed anyway), a larger checkpoint threshold,
and a third web process. Taking the Redis round trip off the POST altogether (a
measurement with the call removed, not a design) gained about 5%.

## What the pipeline costs

The pipeline ratio is now 0.53-0.60 (five runs), from 0.38-0.59 when each side was
timed once. Most of that is measurement: the worker and the loop used to be timed once
each, a second apart, on a machine whose speed moves by a third from one minute to the
next. Now the drain runs three times between four loops, and the analyzer's word caches
are warm for both sides. Of a drain's time (timers around each step of the batch):

| step | share |
|---|---|
| `sentiment.score` on each comment (the baseline's own work) | about 60% |
| trend points: create, read the pairs' ratings, update | 15% |
| score rows (one upsert for the batch) | 7% |
| claiming the batch and the two commits | 8% |
| alerts, webhooks, RQ's own work | the rest |

The score and trend-point writes now run on the session's DB-API connection
(`direct_sql.within`): SQLAlchemy's per-row parameter handling cost more than SQLite's
work (2.4 ms against 1.7 ms for a batch's 200 trend-point updates). Larger batches (500
events) measured about 10% faster, but they would hold SQLite's write lock, which survey
POSTs wait for, two and a half times as long; the batch stays at 200.
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

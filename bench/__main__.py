"""`python -m bench [--quick] [--only NAMES] [--output FILE] [--keep] [--strict]`."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from bench import report, run
from bench.procs import ROOT
from bench.table import text_table

DOC = ROOT / "docs" / "benchmarks.md"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Rapport measured against baselines run side by side; prints one table.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smaller sizes (100,000 answers instead of 1,000,000); prints only",
    )
    parser.add_argument(
        "--only",
        default=",".join(run.BENCHMARKS),
        help=f"comma-separated subset of: {', '.join(run.BENCHMARKS)}",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help=f"write the Markdown report here (default for a full run: {DOC.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the working directory (databases, server logs)"
    )
    parser.add_argument(
        "--strict", action="store_true", help="exit with status 1 when a target is missed"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run, print the table and write the report."""
    args = _parser().parse_args(argv)
    only = tuple(name.strip() for name in args.only.split(",") if name.strip())
    unknown = sorted(set(only) - set(run.BENCHMARKS))
    if unknown:
        _parser().error(f"unknown benchmark(s): {', '.join(unknown)}")
    sizes = run.QUICK if args.quick else run.FULL
    # Only a full run of everything replaces the committed report.
    complete = not args.quick and set(only) == set(run.BENCHMARKS)
    output = args.output if args.output is not None else (DOC if complete else None)
    workdir = Path(tempfile.mkdtemp(prefix="rapport-bench-"))
    keep = args.keep
    try:
        outcome = run.run_all(
            sizes, workdir, only, progress=lambda what: print(f"… {what}", flush=True)
        )
    except BaseException:
        keep = True  # the server and worker logs there say what went wrong
        raise
    finally:
        if keep:
            print(f"kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(text_table(outcome.rows))
    facts = outcome.facts
    print(f"\nload average before {facts['load_before']}, after {facts['load_after']}")
    if output is not None:
        given = sys.argv[1:] if argv is None else argv
        command = "python -m bench " + " ".join(given) if given else "make bench"
        output.write_text(report.markdown(outcome, command))
        print(f"\nwritten to {output}")
    missed = [row.name for row in outcome.rows if row.met is False]
    if missed:
        print(f"\ntargets missed: {len(missed)} of {sum(r.met is not None for r in outcome.rows)}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

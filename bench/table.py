"""The one table `make bench` prints, and docs/benchmarks.md built around it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

COLUMNS = ("benchmark", "measured", "baseline", "ratio", "target", "met?")


@dataclass(frozen=True)
class Row:
    """One line of the table. `met` is None for rows reported without a target."""

    name: str
    measured: str
    baseline: str
    ratio: float | None
    target: str
    met: bool | None

    def cells(self) -> tuple[str, ...]:
        ratio = "—" if self.ratio is None else f"{self.ratio:.2f}"
        met = "—" if self.met is None else ("yes" if self.met else "NO")
        return (self.name, self.measured, self.baseline, ratio, self.target, met)


def per_second(value: float, what: str) -> str:
    return f"{value:,.0f} {what}/s" if value >= 100 else f"{value:,.1f} {what}/s"


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def text_table(rows: Sequence[Row]) -> str:
    """Fixed-width columns for the terminal."""
    lines = [COLUMNS, *(r.cells() for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    rendered = [
        "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    rendered.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in rendered)


def markdown_table(rows: Sequence[Row]) -> str:
    """The same table as GitHub-flavoured Markdown."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(c.replace("|", "\\|") for c in r.cells()) + " |" for r in rows]
    return "\n".join(lines)

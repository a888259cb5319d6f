"""The review pack as printable HTML, PDF (WeasyPrint) and CSV of every number behind it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from analysis.privacy import NOT_ENOUGH
from survey import report_charts
from survey.csv_safety import neutralise
from survey.measures import DIMENSIONS, Measure
from survey.reviews import ReviewPack

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CSV_HEADER = ("section", "subject", "measure", "period", "value", "answers")
MEASURES = (*DIMENSIONS, "sentiment", "health")


@lru_cache(maxsize=1)
def _environment() -> Environment:
    # The same template serves the web page, the CLI and the worker, none of which may need
    # a Flask app: a plain Jinja environment on the shared templates folder.
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def charts(pack: ReviewPack) -> dict[str, str]:
    """The pack's charts as data: URIs (empty when there is nothing to draw)."""
    if not pack.points:
        return {}
    labels = [p.closes_at.strftime("%b %y") for p in pack.points]
    out = {
        "health": report_charts.line_chart(
            {"health": [p.health for p in pack.points]}, labels, low=0, high=100
        ),
        "dimensions": report_charts.line_chart(
            {d: [p.dimensions.get(d) for p in pack.points] for d in DIMENSIONS},
            labels,
            low=1,
            high=5,
        ),
    }
    if pack.themes:
        rows = [(t.theme, float(t.count), float(t.count_last)) for t in pack.themes[:8]]
        out["themes"] = report_charts.bar_pairs(rows)
    return {name: report_charts.data_uri(png) for name, png in out.items()}


def html(pack: ReviewPack, *, links: dict[str, str] | None = None) -> str:
    """The printable page (no scripts); `links` adds PDF/CSV links for the web."""
    return (
        _environment()
        .get_template("review/pack.html")
        .render(
            pack=pack,
            charts=charts(pack),
            links=links or {},
            measures=MEASURES,
            not_enough=NOT_ENOUGH,
        )
    )


def pdf(pack: ReviewPack) -> bytes:
    """The pack as a PDF document."""
    from weasyprint import HTML  # imported late: loading pango takes a moment

    return HTML(string=html(pack)).write_pdf()  # type: ignore[no-any-return]


def _value(m: Measure, name: str) -> float | None:
    if name == "health":
        return m.health
    if name == "sentiment":
        return m.sentiment
    return m.dimensions.get(name)


def csv_rows(pack: ReviewPack) -> Iterator[tuple[object, ...]]:
    """Every number behind the tables and charts, one per row (long format)."""
    this, last = str(pack.quarter), str(pack.previous)
    section = "group" if pack.rows_are_groups else "relationship"
    for kind, row in [("project", pack.project_row)] + [(section, r) for r in pack.rows]:
        for period, m in ((this, row.this), (last, row.last)):
            for name in MEASURES:
                value = _value(m, name) if m.shown else NOT_ENOUGH
                yield (kind, row.subject, name, period, _round(value), m.answers if m.shown else "")
    for p in pack.points:
        period = p.closes_at.date().isoformat()
        for name in MEASURES:
            value = p.health if name == "health" else p.sentiment if name == "sentiment" else None
            value = p.dimensions.get(name) if name in DIMENSIONS else value
            yield ("trend", p.title, name, period, _round(value), p.answers)
        yield ("trend", p.title, "invited", period, p.invited, "")
    for t in pack.themes:
        yield ("theme", t.theme, "count", this, t.count, "")
        yield ("theme", t.theme, "count", last, t.count_last, "")
        yield ("theme", t.theme, "sentiment", this, _round(t.polarity), "")
        yield ("theme", t.theme, "sentiment", last, _round(t.polarity_last), "")
    for c in pack.status_checks:
        yield (
            "status",
            c.status,
            "measured health",
            c.reported_on.isoformat(),
            _round(c.health),
            "",
        )
    yield ("alerts", pack.project.code, "raised", this, len(pack.alerts_raised), "")
    yield ("alerts", pack.project.code, "resolved", this, len(pack.alerts_resolved), "")


def _round(value: object) -> object:
    return round(value, 3) if isinstance(value, float) else ("" if value is None else value)


def to_csv(pack: ReviewPack) -> str:
    """The CSV text; every cell neutralised against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    for row in csv_rows(pack):
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()

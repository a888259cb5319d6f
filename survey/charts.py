"""Plotly figures as plain dicts, drawn in the browser by plotly.js.

Built as dicts rather than through plotly.graph_objects: validating every property there
costs tenths of a second per page, and these figures use a handful of well-known keys.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from markupsafe import Markup, escape

DIMENSION_COLOURS = {
    "satisfaction": "#2457c5",
    "trust": "#c5221f",
    "communication": "#1e8e3e",
    "partnership": "#8e44ad",
}


def _title(text: str) -> dict:
    return {"text": text}


def _iso(value: object) -> object:
    # Plotly reads ISO dates; Flask's JSON would write HTTP dates.
    return value.isoformat() if isinstance(value, date | datetime) else value


def trend_figure(points: Sequence[dict], *, title: str) -> dict:
    """Dimensions (1-5, left axis) and sentiment (-1..1, right axis) over waves."""
    labels = [str(escape(p["title"] or p["closes_at"].strftime("%b %Y"))) for p in points]
    answers = [p.get("answers", 0) for p in points]
    data: list[dict] = [
        {
            "type": "scatter",
            "x": labels,
            "y": [p.get(dimension) for p in points],
            "name": dimension.capitalize(),
            "mode": "lines+markers",
            "line": {"color": colour},
            "customdata": answers,
            "hovertemplate": "%{y:.2f} (%{customdata} answers)<extra>" + dimension + "</extra>",
        }
        for dimension, colour in DIMENSION_COLOURS.items()
    ]
    data.append(
        {
            "type": "bar",
            "x": labels,
            "y": [p.get("sentiment") for p in points],
            "name": "Comment sentiment",
            "yaxis": "y2",
            "opacity": 0.35,
            "marker": {"color": "#555"},
            "hovertemplate": "%{y:.2f}<extra>sentiment</extra>",
        }
    )
    layout = {
        "title": _title(str(escape(title))),
        "xaxis": {"title": _title("Pulse wave")},
        "yaxis": {"title": _title("Rating (1-5)"), "range": [1, 5.2]},
        "yaxis2": {
            "title": _title("Sentiment"),
            "range": [-1, 1],
            "overlaying": "y",
            "side": "right",
        },
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"l": 50, "r": 50, "t": 50, "b": 40},
        "height": 380,
    }
    return {"data": data, "layout": layout}


# --- Health, portfolio and stakeholder map --------------------------------------------------

# Okabe-Ito colours, safe for the common colour-vision deficiencies; every band also has its
# own marker symbol so colour is never the only cue.
BAND_COLOURS = {"green": "#009E73", "amber": "#E69F00", "red": "#D55E00", None: "#999999"}
BAND_SYMBOLS = {"green": "circle", "amber": "square", "red": "diamond", None: "circle-open"}
# Reported RAG status drawn at the middle of the matching health band.
STATUS_LEVELS = {"green": 85.0, "amber": 60.0, "red": 25.0}
REPORTED_X = {"red": 1, "amber": 2, "green": 3}


def _text(value: object) -> str:
    # Plotly renders a subset of HTML in labels and hover text: user text goes in escaped.
    return str(escape(str(value)))


def _fmt(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _band_shapes(axis: str = "y") -> list[dict]:
    bands = (("red", 0, 50), ("amber", 50, 70), ("green", 70, 100))
    return [
        {
            "type": "rect",
            "xref": "paper",
            "yref": axis,
            "x0": 0,
            "x1": 1,
            "y0": low,
            "y1": high,
            "fillcolor": BAND_COLOURS[name],
            "opacity": 0.08,
            "line": {"width": 0},
            "layer": "below",
        }
        for name, low, high in bands
    ]


def _spread(nth: int, step: float) -> tuple[float, float]:
    """Offset of the nth marker sharing a spot: the first sits on it, the rest around it."""
    if nth == 0:
        return 0.0, 0.0
    ring = (nth + 1) // 2
    side = 1 if nth % 2 else -1
    return side * step * (1 + (ring - 1) % 2), -step * ((ring - 1) // 2)


def _marker_trace(x: float, y: float | None, label: str, hover: str, marker: dict) -> dict:
    return {
        "type": "scatter",
        "x": [x],
        "y": [y],
        "mode": "markers+text",
        "text": [label],
        "name": label,
        "showlegend": False,
        "marker": marker,
        "hovertemplate": hover + "<extra></extra>",
    }


def portfolio_quadrant(items: Sequence[dict]) -> dict:
    """Reported status (x) against measured health (y); the watermelon corner is labelled.

    Each item has code, name, reported (green/amber/red/None), health, band, trend.
    """
    data = []
    placed: dict[int, int] = {}
    for item in items:
        x = REPORTED_X.get(item["reported"] or "", 0)
        nth = placed.get(x, 0)
        placed[x] = nth + 1
        # Spread projects that share a column so their labels do not sit on each other.
        trace = _marker_trace(
            x + _spread(nth, 0.1)[0],
            item["health"],
            _text(item["code"]),
            f"<b>{_text(item['code'])}</b> {_text(item['name'])}<br>"
            f"reported: {_text(item['reported'] or 'none')}<br>"
            f"measured health: {_fmt(item['health'])} ({_text(item['band'] or 'none')})"
            f"<br>trend: {_text(item['trend'])}",
            {
                "size": 18,
                "color": BAND_COLOURS[item["band"]],
                "symbol": BAND_SYMBOLS[item["band"]],
                "line": {"color": "#1d2430", "width": 1},
            },
        )
        trace["textposition"] = "top center"
        data.append(trace)
    watermelon_box = {
        "type": "rect",
        "x0": 2.5,
        "x1": 3.5,
        "y0": 0,
        "y1": 50,
        "line": {"color": BAND_COLOURS["red"], "width": 2, "dash": "dash"},
        "fillcolor": "rgba(0,0,0,0)",
    }
    layout = {
        "title": _title("Reported status vs measured relationship health"),
        "xaxis": {
            "title": _title("Reported status (latest status report)"),
            "tickvals": [0, 1, 2, 3],
            "ticktext": ["None", "Red", "Amber", "Green"],
            "range": [-0.5, 3.6],
        },
        "yaxis": {
            "title": _title("Measured health (0-100, influence-weighted)"),
            "range": [0, 105],
        },
        "shapes": [*_band_shapes(), watermelon_box],
        "annotations": [
            {
                "x": 3,
                "y": 40,
                "text": "Watermelon: green on paper, red inside",
                "showarrow": False,
                "font": {"color": BAND_COLOURS["red"]},
            },
            {
                "x": 1,
                "y": 99,
                "text": "Reported red, customers fine",
                "showarrow": False,
                "font": {"color": "#5b6576"},
            },
        ],
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 420,
    }
    return {"data": data, "layout": layout}


def stakeholder_map(rows: Sequence[dict]) -> dict:
    """Influence (y) against interest (x), bubbles coloured by health band.

    Each row has name, influence, interest, health, band, nervous, silent.
    """
    data = []
    cells: dict[tuple[int, int], int] = {}
    for row in rows:
        cell = (row["interest"], row["influence"])
        nth = cells.get(cell, 0)
        cells[cell] = nth + 1
        dx, dy = _spread(nth, 0.2)
        flags = [
            name for name, on in (("nervous", row["nervous"]), ("silent", row["silent"])) if on
        ]
        hover = (
            f"<b>{_text(row['name'])}</b><br>influence {row['influence']}, "
            f"interest {row['interest']}<br>health {_fmt(row['health'])} "
            f"({_text(row['band'] or 'no answers')})"
        )
        if flags:
            hover += f"<br>{_text(', '.join(flags))}"
        trace = _marker_trace(
            row["interest"] + dx,
            row["influence"] + dy,
            _text(row["name"]),
            hover,
            {
                "size": 26,
                "color": BAND_COLOURS[row["band"]],
                "symbol": "x" if row["silent"] else BAND_SYMBOLS[row["band"]],
                "line": {"color": "#1d2430", "width": 3 if row["nervous"] else 1},
            },
        )
        if flags:
            trace["text"] = [trace["text"][0] + " ⚠"]
        trace["textposition"] = "bottom center"
        data.append(trace)
    grid = {"color": "#aab3c2", "dash": "dot"}
    layout = {
        "title": _title("Stakeholder map: influence × interest, coloured by health"),
        "xaxis": {"title": _title("Interest (1-5)"), "range": [0.4, 5.6], "dtick": 1},
        "yaxis": {"title": _title("Influence (1-5)"), "range": [0.4, 5.6], "dtick": 1},
        "shapes": [
            {"type": "line", "x0": 3, "x1": 3, "y0": 0.4, "y1": 5.6, "line": grid},
            {"type": "line", "x0": 0.4, "x1": 5.6, "y0": 3, "y1": 3, "line": grid},
        ],
        "annotations": [
            {"x": 5.5, "y": 5.5, "text": "Manage closely", "showarrow": False, "xanchor": "right"},
            {"x": 0.5, "y": 5.5, "text": "Keep satisfied", "showarrow": False, "xanchor": "left"},
            {"x": 5.5, "y": 0.5, "text": "Keep informed", "showarrow": False, "xanchor": "right"},
            {"x": 0.5, "y": 0.5, "text": "Monitor", "showarrow": False, "xanchor": "left"},
        ],
        "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
        "height": 440,
    }
    return {"data": data, "layout": layout}


def health_figure(
    waves: Sequence[tuple[str, object, float | None, int]],
    reports: Sequence[tuple[object, str, str]],
    *,
    title: str,
) -> dict:
    """Measured health per closed wave next to the PM's reported RAG status over time.

    `waves` holds (label, closes_at, health, answers); `reports` (reported_on, status, note).
    """
    measured = {
        "type": "scatter",
        "x": [_iso(w[1]) for w in waves],
        "y": [w[2] for w in waves],
        "name": "Measured health",
        "mode": "lines+markers",
        "line": {"color": "#0072B2", "width": 3},
        "customdata": [[_text(w[0]), w[3]] for w in waves],
        "hovertemplate": "%{customdata[0]}: %{y:.1f} (%{customdata[1]} answers)<extra></extra>",
    }
    reported = {
        "type": "scatter",
        "x": [_iso(r[0]) for r in reports],
        "y": [STATUS_LEVELS[r[1]] for r in reports],
        "name": "Reported status",
        "mode": "lines+markers",
        "line": {"shape": "hv", "dash": "dot", "color": "#1d2430"},
        "marker": {
            "size": 11,
            "color": [BAND_COLOURS[r[1]] for r in reports],
            "symbol": [BAND_SYMBOLS[r[1]] for r in reports],
            "line": {"color": "#1d2430", "width": 1},
        },
        "customdata": [[_text(r[1]).upper(), _text(r[2][:200])] for r in reports],
        "hovertemplate": "reported %{customdata[0]}<br>%{customdata[1]}<extra></extra>",
    }
    layout = {
        "title": _title(_text(title)),
        "xaxis": {"title": _title("Date"), "type": "date"},
        "yaxis": {"title": _title("Health (0-100); reports at band middle"), "range": [0, 100]},
        "shapes": _band_shapes(),
        "legend": {"orientation": "h", "y": -0.2},
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "height": 380,
    }
    return {"data": [measured, reported], "layout": layout}


def sparkline(values: Sequence[float | None], *, width: int = 120, height: int = 28) -> Markup:
    """A tiny inline SVG line of 0-100 values (gaps skipped); empty markup with no points."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return Markup("")
    step = width / max(len(values) - 1, 1)
    coords = " ".join(f"{i * step:.1f},{height - (v / 100.0) * height:.1f}" for i, v in points)
    last_i, last_v = points[-1]
    label = ", ".join(_fmt(v) for v in values)
    # Markup.format escapes every argument, so nothing interpolated can become markup.
    return Markup(
        '<svg class="spark" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
        'aria-label="Health over waves: {label}"><polyline fill="none" stroke="#0072B2" '
        'stroke-width="1.5" points="{coords}"/><circle cx="{cx}" cy="{cy}" r="2.5" '
        'fill="#0072B2"/></svg>'
    ).format(
        w=width,
        h=height,
        label=label,
        coords=coords,
        cx=f"{last_i * step:.1f}",
        cy=f"{height - (last_v / 100.0) * height:.1f}",
    )


# --- Themes over time -----------------------------------------------------------------------

# White to the Okabe-Ito blue the health line uses: one hue, read by lightness, so it holds for
# every colour-vision deficiency. Cells that may not be shown are left empty and take the grey
# plot background, so "not shown" never looks like "nobody".
THEME_SCALE = [[0.0, "#ffffff"], [1.0, "#0072B2"]]
NOT_SHOWN_GREY = "#e6e9ef"


def theme_split(by_label: dict[str, int | None]) -> str:
    """The sentiment split as text ("2 negative, 1 neutral, 0 positive"); labels a
    confidential wave may not show are left out, and the text says so."""
    shown = [f"{n} {label}" for label, n in by_label.items() if n is not None]
    if len(shown) == len(by_label):
        return ", ".join(shown)
    return ", ".join([*shown, "the rest not shown (confidential wave)"])


def theme_figure(themes: Sequence[str], waves: Sequence, *, title: str) -> dict:
    """A heatmap of comments mentioning each theme (rows) per wave (columns); the number is
    in the cell and the split by sentiment in its hover text.

    `waves` are survey.theme_trends.ThemeWave; a count that may not be shown is an empty cell.
    """
    labels = [_text(w.title or w.closes_at.strftime("%b %Y")) for w in waves]
    z, text, hover = [], [], []
    for theme in themes:
        counts = [w.mentions(theme) for w in waves]
        z.append(counts)
        text.append(["" if not n else str(n) for n in counts])
        splits = [
            theme_split(dict(w.counts[theme].by_label)) if theme in w.counts else "" for w in waves
        ]
        hover.append(splits)
    heatmap = {
        "type": "heatmap",
        "x": labels,
        "y": [_text(t.capitalize()) for t in themes],
        "z": z,
        "text": text,
        "texttemplate": "%{text}",
        "customdata": hover,
        "hovertemplate": "%{y} · %{x}: %{z} comments<br>%{customdata}<extra></extra>",
        "hoverongaps": False,
        "colorscale": THEME_SCALE,
        "zmin": 0,
        "xgap": 2,
        "ygap": 2,
        "colorbar": {"title": {"text": "Comments"}, "tickformat": "d"},
    }
    most = max((n for row in z for n in row if n), default=0)
    if most <= 10:
        heatmap["colorbar"]["dtick"] = 1  # whole comments, not 0.5 steps
    layout = {
        "title": _title(_text(title)),
        "xaxis": {"title": _title("Pulse wave"), "type": "category", "automargin": True},
        "yaxis": {
            "title": _title("Theme"),
            "type": "category",
            "autorange": "reversed",
            "automargin": True,
        },
        "plot_bgcolor": NOT_SHOWN_GREY,
        "margin": {"l": 60, "r": 20, "t": 50, "b": 40},
        "height": 180 + 34 * len(themes),
    }
    return {"data": [heatmap], "layout": layout}

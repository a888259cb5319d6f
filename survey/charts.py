"""Plotly figures as plain dicts, drawn in the browser by plotly.js."""

from __future__ import annotations

import json
from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio
from markupsafe import escape

DIMENSION_COLOURS = {
    "satisfaction": "#2457c5",
    "trust": "#c5221f",
    "communication": "#1e8e3e",
    "partnership": "#8e44ad",
}


def _to_dict(fig: go.Figure) -> dict:
    return json.loads(pio.to_json(fig, validate=False))


def trend_figure(points: Sequence[dict], *, title: str) -> dict:
    """Dimensions (1-5, left axis) and sentiment (-1..1, right axis) over waves."""
    labels = [str(escape(p["title"] or p["closes_at"].strftime("%b %Y"))) for p in points]
    fig = go.Figure()
    for dimension, colour in DIMENSION_COLOURS.items():
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=[p.get(dimension) for p in points],
                name=dimension.capitalize(),
                mode="lines+markers",
                line={"color": colour},
                customdata=[p.get("answers", 0) for p in points],
                hovertemplate="%{y:.2f} (%{customdata} answers)<extra>" + dimension + "</extra>",
            )
        )
    fig.add_trace(
        go.Bar(
            x=labels,
            y=[p.get("sentiment") for p in points],
            name="Comment sentiment",
            yaxis="y2",
            opacity=0.35,
            marker={"color": "#555"},
            hovertemplate="%{y:.2f}<extra>sentiment</extra>",
        )
    )
    fig.update_layout(
        title={"text": str(escape(title))},
        yaxis={"title": "Rating (1-5)", "range": [1, 5.2]},
        yaxis2={"title": "Sentiment", "range": [-1, 1], "overlaying": "y", "side": "right"},
        legend={"orientation": "h", "y": -0.2},
        margin={"l": 50, "r": 50, "t": 50, "b": 40},
        height=380,
    )
    return _to_dict(fig)

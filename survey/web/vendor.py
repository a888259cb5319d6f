"""plotly.js served from the installed plotly package: no CDN, works offline."""

from __future__ import annotations

from pathlib import Path

import plotly
from flask import Blueprint, send_file

bp = Blueprint("vendor", __name__)

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


@bp.get("/vendor/plotly.min.js")
def plotly_js():
    """The plotly.js bundle that matches the installed Python package."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=86400)

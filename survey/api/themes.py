"""Themes in a project's comments per wave, the grid the project page charts, over the API."""

from __future__ import annotations

from typing import Any

from survey import queries, theme_trends
from survey.api import bp
from survey.api.portfolio import project_or_404
from survey.api.tokens import require_token
from survey.web.session import get_session


def _count(wave: theme_trends.ThemeWave, theme: str) -> dict[str, Any]:
    mentions = wave.mentions(theme)
    if theme in wave.counts:
        split = dict(wave.counts[theme].by_label)
    else:
        split = dict.fromkeys(theme_trends.LABELS, mentions)  # 0 or None, like the total
    return {"mentions": mentions, "by_sentiment": split}


def _theme_wave(wave: theme_trends.ThemeWave, themes: list[str]) -> dict[str, Any]:
    """One wave of the grid: a count for every theme, None wherever the page shows none."""
    return {
        "wave_id": wave.wave_id,
        "title": wave.title,
        "closes_at": wave.closes_at.isoformat(),
        "confidential": wave.confidential,
        "withheld": wave.withheld,
        "comments": wave.comments,
        "counts": {theme: _count(wave, theme) for theme in themes},
    }


@bp.get("/projects/<code>/themes")
@require_token
def project_themes(code: str):  # type: ignore[no-untyped-def]
    """Per wave: how many of the project's comments mention each theme, by sentiment."""
    session = get_session()
    project = project_or_404(code)
    points = queries.project_trend(session, project_id=project.id)  # type: ignore[arg-type]
    themes, waves = theme_trends.themes_over_time(
        session,
        project_id=project.id,  # type: ignore[arg-type]
        points=points,
    )
    return {
        "project": project.code,
        "themes": themes,
        "waves": [_theme_wave(wave, themes) for wave in waves],
    }

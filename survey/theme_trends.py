"""Themes over time: per wave, how many of a project's comments mention each theme, by sentiment.

One grouped query over the project's comment scores, bounded by the project's relationships
and the waves already on its trend chart (and one to tell which of those are confidential),
so the cost follows the size of the project and not of the instance. No Flask here.

Confidential waves follow survey.attribution and analysis.privacy: nothing while the wave's
project results are withheld (open, or under MIN_GROUP respondents); then a theme's count only
when at least MIN_GROUP people mentioned it, and its split by sentiment only for the labels
privacy.shown_groups lets through. A theme below the minimum is left out exactly like one
nobody mentioned, so the page cannot tell "one or two people" from "nobody". Each person
answers a wave once per project, so comments and respondents are the same count here; the
number of comments read in a confidential wave follows the same minimum.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, func, select

from analysis.privacy import MIN_GROUP, shown_groups
from analysis.themes import CORE_THEMES
from survey.models import Attribution, CommentScore, Relationship, Response, Wave

LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ThemeCount:
    """One theme in one wave; None wherever a confidential group is too small to show."""

    mentions: int | None
    by_label: Mapping[str, int | None]


@dataclass(frozen=True)
class ThemeWave:
    """One wave of the project's trend with the theme counts it may show."""

    wave_id: int
    title: str
    closes_at: datetime
    withheld: str | None  # why nothing of this wave is shown, or None
    confidential: bool
    counts: Mapping[str, ThemeCount]  # absent: nobody mentioned it (or, confidential, < 3)
    comments: int | None = None  # comments read (scored) in the wave; None when not shown

    def mentions(self, theme: str) -> int | None:
        """The theme's count; 0 when nobody mentioned it, None when that may not be said."""
        if theme in self.counts:
            return self.counts[theme].mentions
        return None if self.withheld or self.confidential else 0


def count_theme(by_label: Mapping[str, int], *, confidential: bool) -> ThemeCount:
    """A theme's mentions in one wave, with the minimum group size applied when confidential."""
    counts = {label: int(by_label.get(label, 0)) for label in LABELS}
    total = sum(counts.values())
    if not confidential:
        return ThemeCount(total, counts)
    if total < MIN_GROUP:
        return ThemeCount(None, dict.fromkeys(LABELS))
    shown = shown_groups(counts)
    return ThemeCount(total, {k: v if k in shown else None for k, v in counts.items()})


def theme_order(themes: set[str]) -> list[str]:
    """The core themes in their usual order, then any a deployment added, alphabetically."""
    core = [t for t in CORE_THEMES if t in themes]
    return core + sorted(themes - set(CORE_THEMES))


def count_comments(comments: int, *, confidential: bool) -> int | None:
    """The comments read in one wave, None when a confidential wave has fewer than MIN_GROUP."""
    return None if confidential and comments < MIN_GROUP else comments


def _mentions(
    session: Session, project_id: int, wave_ids: Sequence[int]
) -> tuple[dict[int, dict[str, dict[str, int]]], dict[int, int]]:
    """{wave id: {theme: {label: comments}}} and {wave id: comments read}, from one query."""
    # "+ 0" keeps the planner off the wave_id index: a wave covers many projects, so starting
    # there would read every project's answers to it. Starting from the project's
    # relationships reads only this project's responses, however large the instance grows.
    in_waves = (col(Response.wave_id) + 0).in_(wave_ids)
    rows = session.exec(
        select(Response.wave_id, CommentScore.themes, CommentScore.label, func.count())
        .join(Relationship, col(Relationship.id) == col(Response.relationship_id))
        .join(CommentScore, col(CommentScore.response_id) == col(Response.id))
        .where(Relationship.project_id == project_id, in_waves)
        .where(Response.comment != "")
        .group_by(col(Response.wave_id), col(CommentScore.themes), col(CommentScore.label))
    ).all()
    out: dict[int, dict[str, dict[str, int]]] = {}
    comments: dict[int, int] = {}
    for wave_id, themes, label, n in rows:
        comments[wave_id] = comments.get(wave_id, 0) + int(n)
        for theme in {t for t in themes.split(",") if t}:
            per_label = out.setdefault(wave_id, {}).setdefault(theme, {})
            per_label[label] = per_label.get(label, 0) + int(n)
    return out, comments


def themes_over_time(
    session: Session, *, project_id: int, points: Sequence[Mapping]
) -> tuple[list[str], list[ThemeWave]]:
    """The themes mentioned (in display order) and each wave's counts.

    `points` are the project's trend points (queries.project_trend): their waves, order and
    `withheld` reason are reused, so this chart and the trend chart always agree.
    """
    wave_ids = [p["wave_id"] for p in points]
    mentions, comments = _mentions(session, project_id, wave_ids)
    secret = set(
        session.exec(
            select(Wave.id).where(
                col(Wave.id).in_(wave_ids), Wave.attribution == Attribution.confidential
            )
        ).all()
    )
    waves: list[ThemeWave] = []
    seen: set[str] = set()
    for point in points:
        confidential = point["wave_id"] in secret
        found = {} if point["withheld"] else mentions.get(point["wave_id"], {})
        counts = {t: count_theme(c, confidential=confidential) for t, c in found.items()}
        counts = {t: c for t, c in counts.items() if c.mentions is not None}
        read = None
        if not point["withheld"]:
            read = count_comments(comments.get(point["wave_id"], 0), confidential=confidential)
        seen.update(counts)
        waves.append(
            ThemeWave(
                point["wave_id"],
                point["title"],
                point["closes_at"],
                point["withheld"],
                confidential,
                counts,
                read,
            )
        )
    return theme_order(seen), waves

"""The quarterly relationship review pack, built from the database.

This quarter against the last, per relationship (or per group in confidential waves) and for
the project; themes, quotes, alerts, the watermelon check, "you said, we did", lessons and
prompts for the meeting. Rendering lives in survey.review_render.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from analysis import alerts as rules
from analysis import privacy, trends
from survey import actions as action_queries
from survey import attribution
from survey.measures import (
    DIMENSIONS,
    Answered,
    Measure,
    ProjectHistory,
    WaveInfo,
    group_measures,
    is_confidential,
    load_history,
    project_measure,
    relationship_measures,
)
from survey.models import Alert, FollowUpAction, Lesson, Project, StatusReport, utcnow
from survey.quarters import Quarter

ANONYMOUS = "A stakeholder"
# A mean that moves less than this between quarters is "steady" (a tenth of the 1-5 scale step
# is noise with a handful of answers); sentiment uses a tenth of its range likewise.
STEADY_RATING = 0.3
STEADY_SENTIMENT = 0.1


@dataclass(frozen=True)
class Comparison:
    """One row of the this-quarter-vs-last table."""

    subject: str
    detail: str
    this: Measure
    last: Measure


@dataclass(frozen=True)
class ThemeRow:
    theme: str
    count: int
    count_last: int
    polarity: float | None
    polarity_last: float | None
    direction: str  # "new", "better", "worse", "steady", "gone"


@dataclass(frozen=True)
class Quote:
    kind: str
    text: str
    who: str
    polarity: float
    wave: str


@dataclass(frozen=True)
class StatusCheck:
    """A reported RAG status next to the health measured by then."""

    reported_on: date
    status: str
    note: str
    health: float | None
    band: str | None
    verdict: str | None
    reason: str


@dataclass(frozen=True)
class WavePoint:
    title: str
    closes_at: datetime
    dimensions: dict[str, float | None]
    sentiment: float | None
    health: float | None
    answers: int
    invited: int


@dataclass
class ReviewPack:
    project: Project
    quarter: Quarter
    built_at: datetime
    confidential: bool
    project_row: Comparison
    rows: list[Comparison]
    rows_are_groups: bool
    themes: list[ThemeRow]
    quotes: list[Quote]
    alerts_raised: list[Alert]
    alerts_resolved: list[Alert]
    status_checks: list[StatusCheck]
    verdict: StatusCheck | None
    actions: list[FollowUpAction]
    lessons: list[Lesson]
    points: list[WavePoint]
    agenda: list[str] = field(default_factory=list)

    @property
    def previous(self) -> Quarter:
        return self.quarter.previous()


def build(session: Session, *, project: Project, quarter: Quarter) -> ReviewPack:
    """The review pack of `project` for `quarter` (a quarter in progress gives a partial pack)."""
    history = load_history(session, project=project, until=quarter.end)
    this_waves = history.waves_between(quarter.start, quarter.end)
    last_waves = history.waves_between(quarter.previous().start, quarter.start)
    confidential = is_confidential(this_waves + last_waves)
    project_row = Comparison(
        project.name,
        "project",
        project_measure(history, this_waves),
        project_measure(history, last_waves),
    )
    rows = _rows(history, this_waves, last_waves, confidential)
    total_ok = not confidential or project_row.this.shown
    this_responses = history.responses_in(this_waves) if total_ok else []
    last_responses = history.responses_in(last_waves) if total_ok else []
    themes = theme_rows(this_responses, last_responses)
    checks, verdict = _status_checks(session, history, quarter)
    pack = ReviewPack(
        project=project,
        quarter=quarter,
        built_at=utcnow(),
        confidential=confidential,
        project_row=project_row,
        rows=rows,
        rows_are_groups=confidential,
        themes=themes,
        quotes=_quotes(history, this_waves, this_responses, themes, confidential),
        alerts_raised=_alerts(session, project, quarter, "raised_at"),
        alerts_resolved=_alerts(session, project, quarter, "resolved_at"),
        status_checks=checks,
        verdict=verdict,
        actions=action_queries.actions_active_between(
            session,
            project_id=project.id,
            start=quarter.start,
            end=quarter.end,  # type: ignore[arg-type]
        ),
        lessons=_lessons(session, project, quarter),
        points=_points(history, last_waves + this_waves, confidential),
    )
    pack.agenda = agenda(pack, history)
    return pack


def _rows(
    history: ProjectHistory,
    this_waves: list[WaveInfo],
    last_waves: list[WaveInfo],
    confidential: bool,
) -> list[Comparison]:
    if confidential:
        this, last = group_measures(history, this_waves), group_measures(history, last_waves)
        return [Comparison(unit, "group", this[unit], last[unit]) for unit in this]
    this_rel = relationship_measures(history, this_waves)
    last_rel = relationship_measures(history, last_waves)
    return [
        Comparison(m.name, m.role, this_rel[m.relationship_id], last_rel[m.relationship_id])
        for m in history.members
    ]


def _direction(count: int, count_last: int, now: float | None, before: float | None) -> str:
    if count and not count_last:
        return "new"
    if count_last and not count:
        return "gone"
    if now is None or before is None or abs(now - before) < STEADY_SENTIMENT:
        return "steady"
    return "better" if now > before else "worse"


def theme_rows(this: list[Answered], last: list[Answered]) -> list[ThemeRow]:
    """Themes of scored comments: counts each quarter, mean polarity and its direction."""

    def tally(responses: list[Answered]) -> tuple[Counter[str], dict[str, list[float]]]:
        counts: Counter[str] = Counter()
        polarities: dict[str, list[float]] = {}
        for r in responses:
            for theme in r.themes:
                counts[theme] += 1
                if r.polarity is not None:
                    polarities.setdefault(theme, []).append(r.polarity)
        return counts, polarities

    counts, pols = tally(this)
    counts_last, pols_last = tally(last)
    out = []
    for theme in sorted(counts.keys() | counts_last.keys(), key=lambda t: (-counts[t], t)):
        now = trends.mean_or_none(pols.get(theme, []))
        before = trends.mean_or_none(pols_last.get(theme, []))
        direction = _direction(counts[theme], counts_last[theme], now, before)
        out.append(ThemeRow(theme, counts[theme], counts_last[theme], now, before, direction))
    return out


def _quotes(
    history: ProjectHistory,
    waves: list[WaveInfo],
    responses: list[Answered],
    themes: list[ThemeRow],
    confidential: bool,
) -> list[Quote]:
    scored = [r for r in responses if r.polarity is not None and r.comment.strip()]
    if not scored:
        return []
    titles = {w.id: w.title for w in waves}
    secret = {w.id for w in waves if w.confidential}

    def quote(kind: str, r: Answered) -> Quote:
        member = history.member(r.relationship_id)
        anonymous = confidential or r.wave_id in secret or member is None
        who = ANONYMOUS if anonymous else member.name  # type: ignore[union-attr]
        return Quote(kind, r.comment.strip(), who, r.polarity or 0.0, titles.get(r.wave_id, ""))

    ordered = sorted(scored, key=lambda r: (r.polarity, r.response_id))
    out = [quote("Most positive", ordered[-1])]
    if ordered[0].response_id != ordered[-1].response_id:
        out.append(quote("Most negative", ordered[0]))
    top = next((t for t in themes if t.count), None)
    if top is not None:
        quoted = {o.text for o in out}
        on_theme = [r for r in scored if top.theme in r.themes]
        # Prefer a comment not quoted already, so the block shows three voices when there are.
        on_theme = [r for r in on_theme if r.comment.strip() not in quoted] or on_theme
        mean = top.polarity or 0.0
        # The comment nearest the theme's mean reads as typical, not as the loudest voice.
        typical = min(on_theme, key=lambda r: (abs((r.polarity or 0.0) - mean), r.response_id))
        out.append(quote(f"Most discussed theme: {top.theme}", typical))
    return out


def _alerts(session: Session, project: Project, quarter: Quarter, column: str) -> list[Alert]:
    stamp = getattr(Alert, column)
    return list(
        session.exec(
            select(Alert)
            .where(Alert.project_id == project.id, stamp >= quarter.start, stamp < quarter.end)
            .where(attribution.NAMELESS_ALERTS)
            .order_by(stamp, col(Alert.id))
        ).all()
    )


def _status_checks(
    session: Session, history: ProjectHistory, quarter: Quarter
) -> tuple[list[StatusCheck], StatusCheck | None]:
    series = history.health_series()
    closes = [w.closes_at for w in history.waves]

    def check(report: StatusReport, by: datetime) -> StatusCheck:
        known = series[: sum(1 for c in closes if c < by)]
        verdict = rules.watermelon(str(report.status), known)
        return StatusCheck(
            report.reported_on,
            str(report.status),
            report.note,
            verdict.health,
            verdict.band,
            verdict.kind,
            verdict.reason,
        )

    reports = session.exec(
        select(StatusReport)
        .where(StatusReport.project_id == history.project.id)
        .where(StatusReport.reported_on < quarter.end.date())
        .order_by(col(StatusReport.reported_on), col(StatusReport.id))
    ).all()
    day_end = timedelta(days=1)
    checks = [
        check(r, datetime.combine(r.reported_on, time(), tzinfo=quarter.start.tzinfo) + day_end)
        for r in reports
        if r.reported_on >= quarter.start.date()
    ]
    verdict = check(reports[-1], quarter.end) if reports else None
    return checks, verdict


def _lessons(session: Session, project: Project, quarter: Quarter) -> list[Lesson]:
    return list(
        session.exec(
            select(Lesson)
            .where(Lesson.project_id == project.id)
            .where(Lesson.recorded_at >= quarter.start, Lesson.recorded_at < quarter.end)
            .order_by(col(Lesson.recorded_at), col(Lesson.id))
        ).all()
    )


def _points(history: ProjectHistory, waves: list[WaveInfo], confidential: bool) -> list[WavePoint]:
    series = dict(zip([w.id for w in history.waves], history.health_series(), strict=True))
    out = []
    for w in waves:
        m = project_measure(history, [w])
        invited = sum(1 for wid, _ in history.invited if wid == w.id)
        out.append(
            WavePoint(
                w.title,
                w.closes_at,
                m.dimensions if m.shown else {},
                m.sentiment if m.shown else None,
                series.get(w.id) if m.shown else None,
                m.answers,
                invited,
            )
        )
    return out


def _delta(this: float | None, last: float | None) -> float | None:
    return None if this is None or last is None else this - last


def agenda(pack: ReviewPack, history: ProjectHistory) -> list[str]:
    """Questions for the review meeting, drawn from what moved this quarter."""
    out: list[str] = []
    this, last = pack.project_row.this, pack.project_row.last
    for dim in DIMENSIONS:
        delta = _delta(this.dimensions.get(dim), last.dimensions.get(dim))
        if delta is not None and delta <= -STEADY_RATING:
            out.append(
                f"{dim.capitalize()} fell from {last.dimensions[dim]:.1f} to "
                f"{this.dimensions[dim]:.1f}: what changed for you this quarter?"
            )
        elif delta is not None and delta >= STEADY_RATING:
            out.append(
                f"{dim.capitalize()} rose from {last.dimensions[dim]:.1f} to "
                f"{this.dimensions[dim]:.1f}: what should we keep doing?"
            )
    if pack.verdict is not None and pack.verdict.verdict is not None:
        out.append(f"Status check: {pack.verdict.reason} Agree which picture is right.")
    worse = [t for t in pack.themes if t.direction in ("worse", "new") and t.count]
    if worse:
        t = worse[0]
        out.append(
            f"'{t.theme}' came up {t.count} times (last quarter {t.count_last}): agree one action."
        )
    today = min(utcnow().date(), pack.quarter.end.date())
    late = [a for a in pack.actions if a.closed_at is None and a.due_on and a.due_on < today]
    if late:
        out.append(f"{len(late)} action(s) are past their due date: close or re-plan them.")
    if not pack.confidential:
        # Without confidentiality the rows are the members, in the same order.
        silent = [
            m.name
            for m, row in zip(history.members, pack.rows, strict=True)
            if m.influence >= rules.SILENT_MIN_INFLUENCE and row.this.answers == 0
        ]
        if silent:
            out.append(f"No answers this quarter from {', '.join(silent)}: who will talk to them?")
    elif pack.rows and not all(r.this.shown for r in pack.rows):
        out.append(
            f"Some groups had fewer than {privacy.MIN_GROUP} people answering: "
            "how do we hear from them?"
        )
    if pack.lessons:
        out.append(f"Go through the {len(pack.lessons)} lessons learned recorded this quarter.")
    out.append("Choose the actions to share with stakeholders as 'you said, we did'.")
    return out

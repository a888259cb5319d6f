"""What each audience's digest says about a project since the last one.

summary: five plain lines at most. detailed: per-relationship table (groups in confidential
waves), themes, recent comments, open alerts and actions. statistical: key numbers with deltas
and answer counts, response rates and small charts. Building only; workers.digests sends.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from analysis import health, privacy
from survey import actions as action_queries
from survey import attribution, report_charts
from survey.measures import (
    DIMENSIONS,
    Measure,
    ProjectHistory,
    WaveInfo,
    group_measures,
    is_confidential,
    load_history,
    measure,
    project_measure,
)
from survey.models import (
    Alert,
    AlertStatus,
    Audience,
    FollowUpAction,
    Frequency,
    Project,
    StatusReport,
    Wave,
    WaveProject,
    WaveStatus,
)

PERIODS = {Frequency.daily: timedelta(days=1), Frequency.weekly: timedelta(days=7)}
SUMMARY_MAX_LINES = 5
RECENT_COMMENTS = 8
SPARK_WAVES = 8
ANONYMOUS = "A stakeholder"


@dataclass(frozen=True)
class Row:
    subject: str
    detail: str
    latest: Measure
    previous: Measure


@dataclass(frozen=True)
class KeyNumber:
    name: str
    value: float | None
    previous: float | None
    answers: int
    shown: bool

    @property
    def delta(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous


@dataclass(frozen=True)
class Comment:
    text: str
    who: str
    label: str | None
    polarity: float | None
    when: datetime


@dataclass
class Digest:
    project: Project
    audience: Audience
    since: datetime
    now: datetime
    health: float | None
    health_previous: float | None
    new_answers: int
    alerts_raised: list[Alert]
    actions_closed: list[FollowUpAction]
    status_reports: int
    themes: list[tuple[str, int]]
    next_pulse: str
    confidential: bool = False
    rows: list[Row] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    withheld_comments: int = 0
    open_alerts: list[Alert] = field(default_factory=list)
    open_actions: list[FollowUpAction] = field(default_factory=list)
    key_numbers: list[KeyNumber] = field(default_factory=list)
    response_rates: list[tuple[str, int, int]] = field(default_factory=list)
    charts: dict[str, bytes] = field(default_factory=dict)

    @property
    def band(self) -> str | None:
        return health.band(self.health)

    @property
    def nothing_new(self) -> bool:
        """True when nothing happened since the last digest: then none is sent."""
        return not (
            self.new_answers or self.alerts_raised or self.actions_closed or self.status_reports
        )

    def summary_lines(self) -> list[str]:
        """The summary digest: plain language, five lines at most."""
        lines = []
        if self.health is None:
            lines.append("Relationship health has not been measured yet.")
        else:
            move = ""
            if self.health_previous is not None:
                diff = self.health - self.health_previous
                word = "steady" if abs(diff) < 1 else "up" if diff > 0 else "down"
                move = f", {word} from {self.health_previous:.0f} at the previous pulse"
            lines.append(
                f"Relationship health is {self.health:.0f} out of 100 ({self.band}){move}."
            )
        lines.append(
            f"Since {self.since:%-d %B}: {_plural(self.new_answers, 'new answer')}, "
            f"{_plural(len(self.alerts_raised), 'new alert')}, "
            f"{_plural(len(self.actions_closed), 'action')} completed."
        )
        if self.themes:
            theme, n = self.themes[0]
            lines.append(f"What people talk about most: {theme} ({_plural(n, 'comment')}).")
        lines.append(self.next_pulse)
        return lines[:SUMMARY_MAX_LINES]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def build(
    session: Session, *, project: Project, audience: Audience, since: datetime, now: datetime
) -> Digest:
    """The digest for one audience of one project, covering (since, now]."""
    history = load_history(session, project=project, until=now)
    answered = [w for w in history.waves if any(r.wave_id == w.id for r in history.responses)]
    latest = answered[-1:]
    previous = answered[-2:-1]
    series = dict(zip([w.id for w in history.waves], history.health_series(), strict=True))
    new = [r for r in history.responses if r.updated_at > since]
    confidential = is_confidential(latest + previous)
    # A confidential wave with too few people answering shows no project number at all.
    scored_latest = latest if latest and project_measure(history, latest).shown else []
    scored_previous = previous if previous and project_measure(history, previous).shown else []
    digest = Digest(
        project=project,
        audience=audience,
        since=since,
        now=now,
        health=series.get(scored_latest[0].id) if scored_latest else None,
        health_previous=series.get(scored_previous[0].id) if scored_previous else None,
        new_answers=len(new),
        alerts_raised=_alerts_since(session, project, since),
        actions_closed=_closed_since(session, project, since),
        status_reports=_status_reports_since(session, project, since),
        themes=_themes(history, new),
        next_pulse=_next_pulse(session, project, now),
        confidential=confidential,
    )
    if audience == Audience.detailed:
        _add_detail(session, digest, history, latest, previous, new)
    elif audience == Audience.statistical:
        _add_statistics(digest, history, answered)
    return digest


def _alerts_since(session: Session, project: Project, since: datetime) -> list[Alert]:
    return list(
        session.exec(
            select(Alert)
            .where(Alert.project_id == project.id, Alert.raised_at > since)
            .where(attribution.NAMELESS_ALERTS)
            .order_by(col(Alert.raised_at))
        ).all()
    )


def _closed_since(session: Session, project: Project, since: datetime) -> list[FollowUpAction]:
    return list(
        session.exec(
            select(FollowUpAction)
            .where(FollowUpAction.project_id == project.id, FollowUpAction.closed_at > since)
            .order_by(col(FollowUpAction.closed_at))
        ).all()
    )


def _status_reports_since(session: Session, project: Project, since: datetime) -> int:
    return int(
        session.exec(
            select(func.count(col(StatusReport.id))).where(
                StatusReport.project_id == project.id, StatusReport.created_at > since
            )
        ).one()
    )


def _visible_waves(history: ProjectHistory) -> set[int]:
    """Waves whose comments may be shown: attributed ones, and confidential ones with enough
    people answering that no comment points at one person."""
    out = set()
    for w in history.waves:
        people = len({r.relationship_id for r in history.responses if r.wave_id == w.id})
        if not w.confidential or privacy.total_shown({"all": people}):
            out.add(w.id)
    return out


def _themes(history: ProjectHistory, new: list) -> list[tuple[str, int]]:
    visible = _visible_waves(history)
    counts: Counter[str] = Counter(t for r in new if r.wave_id in visible for t in r.themes)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _next_pulse(session: Session, project: Project, now: datetime) -> str:
    waves = session.exec(
        select(Wave)
        .join(WaveProject, col(WaveProject.wave_id) == col(Wave.id))
        .where(WaveProject.project_id == project.id)
        .where(col(Wave.status).in_([WaveStatus.open, WaveStatus.scheduled]))
        .order_by(col(Wave.opens_at))
    ).all()
    open_wave = next((w for w in waves if w.status == WaveStatus.open and w.closes_at > now), None)
    if open_wave is not None:
        return f"A pulse is open now, until {open_wave.closes_at:%-d %B}."
    upcoming = next((w for w in waves if w.opens_at > now), None)
    if upcoming is not None:
        return f"Next pulse: {upcoming.opens_at:%-d %B %Y}."
    return "Next pulse: not scheduled yet."


def _add_detail(
    session: Session,
    digest: Digest,
    history: ProjectHistory,
    latest: list[WaveInfo],
    previous: list[WaveInfo],
    new: list,
) -> None:
    if digest.confidential:
        now_groups, before = group_measures(history, latest), group_measures(history, previous)
        digest.rows = [Row(u, "group", m, before.get(u, Measure())) for u, m in now_groups.items()]
    else:
        for m in history.members:
            mine = [r for r in history.responses if r.relationship_id == m.relationship_id]
            now_m = measure([r for r in mine if latest and r.wave_id == latest[0].id])
            before_m = measure([r for r in mine if previous and r.wave_id == previous[0].id])
            digest.rows.append(Row(m.name, m.role, now_m, before_m))
    visible = _visible_waves(history)
    secret = {w.id for w in history.waves if w.confidential}
    for r in sorted(new, key=lambda r: r.updated_at, reverse=True):
        if not r.comment.strip():
            continue
        if r.wave_id not in visible:
            digest.withheld_comments += 1
            continue
        member = history.member(r.relationship_id)
        who = ANONYMOUS if r.wave_id in secret or member is None else member.name
        digest.comments.append(Comment(r.comment.strip(), who, r.label, r.polarity, r.updated_at))
    digest.comments = digest.comments[:RECENT_COMMENTS]
    digest.open_alerts = list(
        session.exec(
            select(Alert)
            .where(Alert.project_id == digest.project.id, Alert.status != AlertStatus.resolved)
            .where(attribution.NAMELESS_ALERTS)
            .order_by(col(Alert.raised_at).desc())
        ).all()
    )
    digest.open_actions = action_queries.open_actions(session, project_id=digest.project.id)  # type: ignore[arg-type]


def _add_statistics(digest: Digest, history: ProjectHistory, answered: list[WaveInfo]) -> None:
    recent = answered[-SPARK_WAVES:]
    measures = [project_measure(history, [w]) for w in recent]
    series = dict(zip([w.id for w in history.waves], history.health_series(), strict=True))
    latest = measures[-1] if measures else Measure()
    before = measures[-2] if len(measures) > 1 else Measure()
    for name in (*DIMENSIONS, "sentiment"):
        pick = (
            (lambda m: m.sentiment)
            if name == "sentiment"
            else (lambda m, n=name: m.dimensions.get(n))
        )
        digest.key_numbers.append(
            KeyNumber(name, pick(latest), pick(before), latest.answers, latest.shown)
        )
    digest.key_numbers.insert(
        0, KeyNumber("health", digest.health, digest.health_previous, latest.answers, latest.shown)
    )
    for w in recent[-4:]:
        invited = sum(1 for wid, _ in history.invited if wid == w.id)
        responded = len({r.relationship_id for r in history.responses if r.wave_id == w.id})
        digest.response_rates.append((w.title, responded, invited))
    if len(recent) >= 2:
        labels = [w.closes_at.strftime("%b") for w in recent]
        shown = [m.shown for m in measures]
        health_values = [
            series.get(w.id) if ok else None for w, ok in zip(recent, shown, strict=True)
        ]
        digest.charts["health"] = report_charts.line_chart(
            {"health": health_values}, labels, low=0, high=100, width=520, height=170
        )
        digest.charts["dimensions"] = report_charts.line_chart(
            {d: [m.dimensions.get(d) if m.shown else None for m in measures] for d in DIMENSIONS},
            labels,
            low=1,
            high=5,
            width=520,
            height=170,
        )


def _fmt(value: float | None, name: str) -> str:
    if value is None:
        return "–"
    return (
        f"{value:.0f}"
        if name == "health"
        else f"{value:+.2f}"
        if name == "sentiment"
        else f"{value:.1f}"
    )


def _signed(value: float | None, name: str) -> str:
    if value is None:
        return "–"
    return (
        f"{value:+.0f}"
        if name == "health"
        else f"{value:+.2f}"
        if name == "sentiment"
        else f"{value:+.1f}"
    )


def template_context(
    digest: Digest, *, recipient_name: str, dashboard_url: str, images: dict[str, str]
) -> dict[str, object]:
    """What the digest_<audience> templates need (email and preview page alike)."""
    return {
        "digest": digest,
        "recipient": {"name": recipient_name},
        "dashboard_url": dashboard_url,
        "images": images,
        "dimensions": DIMENSIONS,
        "not_enough": privacy.NOT_ENOUGH,
        "fmt": _fmt,
        "signed": _signed,
    }


def template_names(audience: Audience) -> tuple[str, str]:
    """The (text, html) templates of an audience's digest."""
    return f"email/digest_{audience}.txt", f"email/digest_{audience}.html"

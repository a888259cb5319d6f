"""Themes over time on the project page: counts per wave and sentiment, confidential waves
under the minimum group size, escaping, and bounded queries."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import event

from analysis.privacy import NOT_ENOUGH
from survey import charts, db, queries, theme_trends
from survey.models import Attribution
from tests.builders import make_project, make_relationship, make_user
from tests.conftest import csrf_token
from tests.pm_builders import add_wave, all_ratings
from workers.pipeline import drain_outbox

CHART_BLOCK = re.compile(
    r'<script type="application/json" data-chart="([^"]+)">(.*?)</script>', re.DOTALL
)
TABLE = re.compile(r'<section class="card" id="themes">(.*?)</section>', re.DOTALL)
XSS_TITLE = "<script>alert(1)</script> pulse"
CONFIDENTIAL_TITLE = "Confidential pulse"
SMALL_TITLE = "Small confidential pulse"

# What the analyzer reads in each comment (checked in test_the_comments_carry_their_themes).
DATES = "The dates keep moving."  # estimates, negative
PARTNERS = "Great partnership, clear updates."  # communication + partnership, positive
SUPPORT = "Excellent support from the team, quick answers."  # communication + support, positive
WRONG = "The estimates were wrong again and the schedule slipped."  # estimates, negative
SLOW = "Support was slow and the schedule slipped again."  # estimates + support, negative
EARLY = "The deadline slipped but they told us early."  # communication + estimates, positive


def _wave(session, *, project, answers, months_ago, title, confidential=False):  # type: ignore[no-untyped-def]
    return add_wave(
        session,
        projects=[project],
        answers=answers,
        months_ago=months_ago,
        title=title,
        attribution=Attribution.confidential if confidential else Attribution.attributed,
    )


@pytest.fixture
def world(session):  # type: ignore[no-untyped-def]
    """STARS: an attributed wave, a confidential one with four respondents, and a confidential
    one with two (withheld)."""
    make_user(session, email="pm@example.com")
    pm = make_user(session, email="pm-stars@example.com")
    project = make_project(session, pm=pm, code="STARS", name="Stars Programme")
    people = [make_relationship(session, project=project, name=f"Person {n}") for n in range(4)]
    a, b, c, d = people
    _wave(
        session,
        project=project,
        answers=[
            (a, all_ratings(3, DATES)),
            (b, all_ratings(4, PARTNERS)),
            (c, all_ratings(4, SUPPORT)),
            (d, all_ratings(4)),
        ],
        months_ago=3,
        title=XSS_TITLE,
    )
    _wave(
        session,
        project=project,
        answers=[
            (a, all_ratings(2, WRONG)),
            (b, all_ratings(2, SLOW)),
            (c, all_ratings(3, EARLY)),
            (d, all_ratings(4, PARTNERS)),
        ],
        months_ago=2,
        title=CONFIDENTIAL_TITLE,
        confidential=True,
    )
    _wave(
        session,
        project=project,
        answers=[(a, all_ratings(2, WRONG)), (b, all_ratings(2, WRONG))],
        months_ago=1,
        title=SMALL_TITLE,
        confidential=True,
    )
    return {"project": project, "pm": pm}


def _page(client) -> str:  # type: ignore[no-untyped-def]
    login = client.get("/login")
    client.post(
        "/login",
        data={
            "email": "pm-stars@example.com",
            "password": "demo",
            "csrf_token": csrf_token(login.text),
        },
    )
    reply = client.get("/projects/STARS")
    assert reply.status_code == 200
    return reply.text


def _themes_chart(page: str) -> dict:
    charts_on_page = {cid: json.loads(body) for cid, body in CHART_BLOCK.findall(page)}
    return charts_on_page["project-themes"]


def test_the_comments_carry_their_themes():
    from analysis.sentiment import score

    expected = {
        DATES: ({"estimates"}, "negative"),
        PARTNERS: ({"communication", "partnership"}, "positive"),
        SUPPORT: ({"communication", "support"}, "positive"),
        WRONG: ({"estimates"}, "negative"),
        SLOW: ({"estimates", "support"}, "negative"),
        EARLY: ({"communication", "estimates"}, "positive"),
    }
    for text, (themes, label) in expected.items():
        reading = score(text)
        assert (set(reading.themes), reading.label) == (themes, label), text


def _rows(figure: dict) -> dict[str, list]:
    heatmap = figure["data"][0]
    return dict(zip(heatmap["y"], heatmap["z"], strict=True))


def test_the_chart_counts_theme_mentions_per_wave(client, world):
    figure = _themes_chart(_page(client))
    rows = _rows(figure)
    assert list(rows) == ["Estimates", "Communication", "Partnership", "Support"]
    # Attributed: every count. Confidential (4 people): only themes three people mentioned.
    # Confidential with two respondents: nothing at all.
    assert rows["Estimates"] == [1, 3, None]
    assert rows["Communication"] == [2, None, None]
    assert rows["Partnership"] == [1, None, None]
    assert rows["Support"] == [1, None, None]
    heatmap = figure["data"][0]
    assert heatmap["x"][1:] == [CONFIDENTIAL_TITLE, SMALL_TITLE]
    assert heatmap["text"][0] == ["1", "3", ""]
    assert heatmap["hoverongaps"] is False
    assert heatmap["colorscale"][-1][1] == charts.THEME_SCALE[-1][1] == "#0072B2"
    layout = figure["layout"]
    assert layout["title"]["text"] == "Stars Programme: themes in comments per wave"
    assert layout["xaxis"]["title"]["text"] == "Pulse wave"
    assert layout["yaxis"]["title"]["text"] == "Theme"
    assert layout["plot_bgcolor"] == charts.NOT_SHOWN_GREY


def test_hover_shows_the_sentiment_split_and_hides_small_groups(client, world):
    heatmap = _themes_chart(_page(client))["data"][0]
    attributed, confidential, small = heatmap["customdata"][0]  # estimates
    assert attributed == "1 negative, 0 neutral, 0 positive"
    # Three mentions (two negative, one positive): no sentiment group reaches three.
    assert confidential == "the rest not shown (confidential wave)"
    assert small == ""
    assert "%{customdata}" in heatmap["hovertemplate"]


def test_the_data_table_matches_the_chart_and_says_what_is_withheld(client, world):
    section = TABLE.search(_page(client)).group(1)
    assert "<summary>Data table</summary>" in section
    assert f'{SMALL_TITLE}</td><td colspan="5" class="muted">{NOT_ENOUGH}' in section
    assert f"{CONFIDENTIAL_TITLE}</td><td>estimates</td><td>3</td>" in section
    assert f"{CONFIDENTIAL_TITLE}</td><td>communication" not in section
    assert section.count('<span class="muted">not shown</span>') == 3
    assert "<td>communication</td><td>2</td><td>0</td><td>0</td><td>2</td>" in section


def test_wave_titles_and_theme_names_stay_text(client, world):
    page = _page(client)
    figure = _themes_chart(page)
    assert "<script>" not in json.dumps(figure)
    assert figure["data"][0]["x"][0] == "&lt;script&gt;alert(1)&lt;/script&gt; pulse"
    assert figure["data"][0]["y"][0] == "Estimates"
    assert "<script>alert(1)" not in page


def test_an_open_confidential_wave_shows_no_themes(client, session, world):
    from survey.models import WaveStatus

    people = queries.relationship_rows(session, project_id=world["project"].id)
    wave = add_wave(
        session,
        projects=[world["project"]],
        answers=[(row.relationship, all_ratings(2, WRONG)) for row in people],
        months_ago=0,
        status=WaveStatus.open,
        drain=False,
    )
    wave.attribution = Attribution.confidential
    session.add(wave)
    session.commit()
    drain_outbox()
    rows = _rows(_themes_chart(_page(client)))
    assert rows["Estimates"][-1] is None  # four people said it, but the wave is open


def test_themes_are_read_with_two_bounded_queries(session, world):
    project_id = world["project"].id
    points = queries.project_trend(session, project_id=project_id)
    statements: list[tuple[str, object]] = []

    def count(_conn, _cursor, statement, parameters, *_args):  # type: ignore[no-untyped-def]
        statements.append((statement, parameters))

    engine = db.get_engine(str(session.get_bind().url))
    event.listen(engine, "before_cursor_execute", count)
    try:
        themes, waves = theme_trends.themes_over_time(session, project_id=project_id, points=points)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    # The grouped count, and which of the waves are confidential.
    assert len(statements) == 2 and "GROUP BY" in statements[0][0]
    assert themes and len(waves) == 3
    if engine.dialect.name == "sqlite":
        # Bounded by the project: the plan starts from its relationships, not from the waves
        # (which every other project's answers share).
        with engine.connect() as conn:
            plan = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statements[0][0], statements[0][1])
            steps = [row[-1] for row in plan]
        assert steps[0].startswith("SEARCH relationship"), steps
        assert not any("wave_id" in step for step in steps), steps


# --- The pure parts ---------------------------------------------------------------------------


def test_count_theme_shows_everything_for_attributed_waves():
    count = theme_trends.count_theme({"negative": 1}, confidential=False)
    assert count.mentions == 1
    assert dict(count.by_label) == {"negative": 1, "neutral": 0, "positive": 0}


@pytest.mark.parametrize(
    "by_label, mentions, split",
    [
        ({"negative": 2}, None, {"negative": None, "neutral": None, "positive": None}),
        ({"negative": 3}, 3, {"negative": 3, "neutral": None, "positive": None}),
        ({"negative": 3, "positive": 1}, 4, {"negative": None, "neutral": None, "positive": None}),
        ({"negative": 3, "positive": 3}, 6, {"negative": 3, "neutral": None, "positive": 3}),
    ],
)
def test_count_theme_applies_the_minimum_group_to_confidential_waves(by_label, mentions, split):
    count = theme_trends.count_theme(by_label, confidential=True)
    assert count.mentions == mentions
    assert dict(count.by_label) == split


def test_theme_order_puts_core_themes_first():
    assert theme_trends.theme_order({"zeta", "support", "estimates", "alpha"}) == [
        "estimates",
        "support",
        "alpha",
        "zeta",
    ]


def test_theme_split_text():
    assert charts.theme_split({"negative": 2, "neutral": 0, "positive": 1}) == (
        "2 negative, 0 neutral, 1 positive"
    )
    assert charts.theme_split({"negative": 3, "neutral": None, "positive": None}) == (
        "3 negative, the rest not shown (confidential wave)"
    )

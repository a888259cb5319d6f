"""`make bench` at a tiny size: every benchmark runs and fills its rows; timings are not checked."""

from __future__ import annotations

import pytest
from sqlmodel import Session, col, func, select

from bench import __main__ as cli
from bench import invited, portfolio, report, run, table
from bench.comments import hostile_comments, load_comments
from survey import db
from survey.models import Answer, RelationshipTrend
from workers import scoring

TINY = run.Sizes(
    posts=24,
    warmup_posts=6,
    client_threads=2,
    drain_rounds=2,
    analyzer_rounds=1,
    small_answers=1_500,
    large_answers=3_000,
    page_requests=2,
)
ROW_PREFIXES = (
    "capture:",
    "pipeline:",
    "peak memory: RQ worker",
    "analyzer: Rapport",
    "analyzer: worst hostile",
    "dashboard:",
    "peak memory: web",
)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):  # type: ignore[no-untyped-def]
    return run.run_all(TINY, tmp_path_factory.mktemp("bench"), progress=lambda _: None)


def test_every_benchmark_fills_its_row(outcome):
    names = [row.name for row in outcome.rows]
    for prefix in ROW_PREFIXES:
        assert sum(name.startswith(prefix) for name in names) == 1, (prefix, names)
    assert len(names) == len(ROW_PREFIXES)


def test_every_row_has_a_ratio_and_judged_rows_a_target(outcome):
    for row in outcome.rows:
        cells = row.cells()
        assert len(cells) == len(table.COLUMNS)
        assert row.ratio is not None and row.ratio > 0, row
        assert all(cells), row
        if row.met is not None:
            assert row.target[0] in "≥≤<", row
            assert cells[-1] in ("yes", "NO")


def test_the_table_prints_and_the_page_embeds_it(outcome):
    printed = table.text_table(outcome.rows).splitlines()
    assert len(printed) == len(outcome.rows) + 2
    assert printed[0].split()[0] == "benchmark"
    page = report.markdown(outcome, "python -m bench")
    assert table.markdown_table(outcome.rows) in page
    assert "## Reproduce" in page and "make bench" in page


def test_unknown_benchmark_names_are_refused():
    with pytest.raises(SystemExit) as stopped:
        cli.main(["--only", "capture,nonsense"])
    assert stopped.value.code == 2


def test_hostile_inputs_are_all_2000_characters():
    assert {len(text) for text in hostile_comments().values()} == {2000}


def test_bulk_trend_points_match_what_the_worker_recomputes(tmp_path):
    url = invited.fresh_database(tmp_path / "portfolio.db")
    size = portfolio.build(url, answers=1_000, comments=load_comments()[0])
    with Session(db.get_engine(url), expire_on_commit=False) as session:
        assert session.exec(select(func.count(col(Answer.id)))).one() == size.answers
        points = session.exec(select(RelationshipTrend).order_by(col(RelationshipTrend.id))).all()
        stored = {
            (p.relationship_id, p.wave_id): (
                p.satisfaction,
                p.trust,
                p.communication,
                p.partnership,
                p.estimates,
                p.sentiment,
                p.answers,
            )
            for p in points[:: max(1, len(points) // 25)]
        }
        for (relationship_id, wave_id), expected in stored.items():
            point = scoring.recompute_trend(
                session, relationship_id=relationship_id, wave_id=wave_id
            )
            got = (
                point.satisfaction,
                point.trust,
                point.communication,
                point.partnership,
                point.estimates,
                point.sentiment,
                point.answers,
            )
            assert got == pytest.approx(expected), (relationship_id, wave_id)
        session.rollback()
    db.dispose_engines()

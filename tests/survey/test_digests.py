"""Each audience's digest says what the issue asks, and no more; confidentiality holds."""

from __future__ import annotations

from datetime import timedelta

from analysis.privacy import NOT_ENOUGH
from survey import digests
from survey.models import ActionStatus, Audience, FollowUpAction
from tests.report_builders import utc
from tests.survey.review_fixture import fixture_project
from workers import rendering

NOW = utc(2026, 3, 12, 11)
SINCE = NOW - timedelta(days=7)


def _render(digest: digests.Digest) -> tuple[str, str]:
    ctx = digests.template_context(
        digest, recipient_name="Reader", dashboard_url="http://x/p", images={"health": "cid:h"}
    )
    text_name, html_name = digests.template_names(digest.audience)
    return rendering.render(text_name, **ctx), rendering.render(html_name, **ctx)


def _build(session, project, audience, since=SINCE):  # type: ignore[no-untyped-def]
    return digests.build(session, project=project, audience=audience, since=since, now=NOW)


def test_each_audience_gets_a_different_digest(session):
    _pm, project, _a, _b = fixture_project(session)
    session.add(FollowUpAction(project_id=project.id, what="Send minutes within a day"))
    session.commit()
    summary, detailed, statistical = (
        _build(session, project, a)
        for a in (Audience.summary, Audience.detailed, Audience.statistical)
    )
    s_text, _ = _render(summary)
    body = s_text.split("\n--\n")[0]
    lines = [line for line in body.splitlines() if line.strip()]
    assert 1 <= len(lines) <= 5
    assert lines[0].startswith("Relationship health is")
    assert "Alice Zephyr" not in s_text and "Send minutes" not in s_text and "n=" not in s_text

    d_text, d_html = _render(detailed)
    assert "Alice Zephyr" in d_text and "Bob Quill" in d_text  # per-relationship table
    assert "Clear notes after each meeting." in d_text  # a recent comment
    assert "Send minutes within a day" in d_text and "OPEN ALERTS" in d_text
    assert "communication: 1" in d_text  # themes with counts
    assert "<table" in d_html

    t_text, t_html = _render(statistical)
    assert "n=1" in t_text and "change" in t_text and "Response rates" in t_text
    assert "Alice Zephyr" not in t_text and "Clear notes" not in t_text
    assert set(statistical.charts) == {"health", "dimensions"}
    assert all(png.startswith(b"\x89PNG") for png in statistical.charts.values())
    assert '<img src="cid:h"' in t_html and "<script" not in t_html


def test_nothing_new_is_reported_as_such(session):
    _pm, project, _a, _b = fixture_project(session)
    quiet = _build(session, project, Audience.summary, since=NOW - timedelta(hours=1))
    assert quiet.nothing_new
    busy = _build(session, project, Audience.summary)
    assert not busy.nothing_new and busy.new_answers == 1


def test_confidential_digests_show_no_names_and_hide_small_groups(session):
    _pm, project, _a, _b = fixture_project(session, confidential=True)
    detailed = _build(session, project, Audience.detailed, since=NOW - timedelta(days=60))
    text, html = _render(detailed)
    for output in (text, html):
        assert "Alice Zephyr" not in output and "Bob Quill" not in output
        assert "Great weekly demos" not in output  # two people answered: comments withheld
        assert NOT_ENOUGH in output
    assert detailed.withheld_comments == 3 and detailed.comments == []
    statistical = _build(session, project, Audience.statistical)
    t_text, _ = _render(statistical)
    assert NOT_ENOUGH in t_text and statistical.health is None
    summary = _build(session, project, Audience.summary)
    assert summary.summary_lines()[0] == "Relationship health has not been measured yet."


def test_closed_actions_count_as_news(session):
    _pm, project, _a, _b = fixture_project(session)
    session.add(
        FollowUpAction(
            project_id=project.id,
            what="Fixed",
            status=ActionStatus.done,
            closed_at=NOW - timedelta(hours=1),
        )
    )
    session.commit()
    digest = _build(session, project, Audience.summary, since=NOW - timedelta(hours=2))
    assert not digest.nothing_new and "1 action completed" in digest.summary_lines()[1]

"""The express lane saves good submissions itself and hands everything else to the app."""

from __future__ import annotations

import functools

import pytest
import redis
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from survey import direct_sql, queue
from survey.app import create_app
from survey.models import OutboxEvent, Response, Wave, WaveStatus
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token

VIEW = "capture.pulse_submit"


def _form(client, raw: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {**GOOD_ANSWERS, "csrf_token": csrf_token(client.get(f"/s/{raw}").text)}


@pytest.fixture
def view_calls(app, monkeypatch):  # type: ignore[no-untyped-def]
    """Every request the app's own survey POST view gets (it still answers them)."""
    calls: list[str] = []
    view = app.view_functions[VIEW]

    @functools.wraps(view)  # the same name: CSRF exemptions go by the view's name
    def counted(token: str):  # type: ignore[no-untyped-def]
        calls.append(token)
        return view(token)

    monkeypatch.setitem(app.view_functions, VIEW, counted)
    return calls


def test_good_submission_is_saved_without_the_view(app, client, session, view_calls):
    _invitation, raw, _project = make_invited(session)
    posted = client.post(f"/s/{raw}", data=_form(client, raw))
    assert view_calls == []
    assert posted.status_code == 303
    assert posted.headers["Location"] == f"/s/{raw}/thanks"
    assert posted.headers["Referrer-Policy"] == "no-referrer"
    assert posted.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in posted.headers["Content-Security-Policy"]
    assert "Set-Cookie" not in posted.headers
    saved = session.exec(select(Response)).one()
    assert saved.comment == GOOD_ANSWERS["comment"]
    event = session.exec(select(OutboxEvent)).one()
    assert event.payload == {"response_id": saved.id} and event.dispatched_at is not None


def test_submissions_share_one_waiting_drain_job(app, client, session, redis_url):
    links = [make_invited(session)[1] for _ in range(3)]
    for raw in links:
        assert client.post(f"/s/{raw}", data=_form(client, raw)).status_code == 303
    conn = redis.Redis.from_url(redis_url)
    assert conn.llen("rq:queue:events") == 1
    assert conn.exists(queue.drain_marker("events"))


def test_answers_to_correct_reach_the_view_with_the_body_intact(client, session, view_calls):
    _invitation, raw, _project = make_invited(session)
    form = {**_form(client, raw), "trust": "6"}
    posted = client.post(f"/s/{raw}", data=form)
    assert view_calls == [raw]
    assert posted.status_code == 400
    assert "Choose a rating from 1 to 5." in posted.text
    assert GOOD_ANSWERS["comment"].replace("'", "&#39;") in posted.text
    assert session.exec(select(Response)).all() == []


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"csrf_token": "0" * 64}, 400),  # another form's token: "form expired"
        ({"comment": "nul \x00 inside"}, 400),
    ],
)
def test_refused_forms_reach_the_view_and_save_nothing(client, session, view_calls, change, status):
    _invitation, raw, _project = make_invited(session)
    posted = client.post(f"/s/{raw}", data={**_form(client, raw), **change})
    assert posted.status_code == status
    assert session.exec(select(Response)).all() == []
    assert session.exec(select(OutboxEvent)).all() == []


def test_closed_wave_and_unknown_link_reach_the_view(client, session, view_calls):
    invitation, raw, _project = make_invited(session)
    form = _form(client, raw)
    wave = session.get(Wave, invitation.wave_id)
    wave.status = WaveStatus.closed  # type: ignore[union-attr]
    session.add(wave)
    session.commit()
    assert client.post(f"/s/{raw}", data=form).status_code == 410
    assert client.post("/s/" + "x" * 43, data=form).status_code == 404
    assert session.exec(select(Response)).all() == []


def test_a_query_string_or_another_body_type_goes_to_the_view(client, session, view_calls):
    _invitation, raw, _project = make_invited(session)
    form = _form(client, raw)
    assert client.post(f"/s/{raw}?satisfaction=1", data=form).status_code == 303
    assert (
        client.post(f"/s/{raw}", data=form, content_type="multipart/form-data").status_code == 303
    )
    assert view_calls == [raw, raw]
    assert len(session.exec(select(Response)).all()) == 1


def _lane_fails(monkeypatch, *, dropped: bool) -> None:  # type: ignore[no-untyped-def]
    def failing(engine):  # type: ignore[no-untyped-def]
        raise OperationalError(
            "SELECT 1", {}, Exception("database is locked"), connection_invalidated=dropped
        )

    monkeypatch.setattr(direct_sql, "kept", failing)


def test_a_busy_database_in_the_lane_is_answered_503_without_a_second_wait(
    client, session, view_calls, monkeypatch
):
    _invitation, raw, _project = make_invited(session)
    form = _form(client, raw)
    _lane_fails(monkeypatch, dropped=False)
    posted = client.post(f"/s/{raw}", data=form)
    assert view_calls == [raw]
    assert posted.status_code == 503 and posted.headers["Retry-After"] == "5"
    assert "Nothing was saved" in posted.text
    assert session.exec(select(Response)).all() == []


def test_a_dropped_connection_in_the_lane_leaves_the_answer_to_the_view(
    client, session, view_calls, monkeypatch
):
    _invitation, raw, _project = make_invited(session)
    form = _form(client, raw)
    _lane_fails(monkeypatch, dropped=True)
    posted = client.post(f"/s/{raw}", data=form)
    # The view tries on a fresh connection of its own, which works: saved once, one event.
    assert view_calls == [raw] and posted.status_code == 303
    assert len(session.exec(select(Response)).all()) == 1
    assert len(session.exec(select(OutboxEvent)).all()) == 1


def test_a_link_at_its_limit_goes_to_the_view_which_answers_429(rapport_env, session, redis_url):
    app = create_app({**rapport_env, "TESTING": True, "SURVEY_TOKEN_LIMIT": "4 per minute"})
    _invitation, raw, _project = make_invited(session)
    client = app.test_client()
    form = _form(client, raw)  # the GET is the first hit on the link
    statuses = [client.post(f"/s/{raw}", data=form).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 429, 429]
    counters = redis.Redis.from_url(redis_url)
    (link,) = counters.keys("*/survey-token/*")
    assert counters.get(link) == b"6"  # each request counted once, wherever it was answered
    assert 0 < counters.ttl(link) <= 60

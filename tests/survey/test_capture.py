"""The stakeholder's pulse: GET never records, POST validates and saves once."""

from __future__ import annotations

from sqlmodel import select

from survey.models import Answer, Invitation, OutboxEvent, Response, Wave, WaveStatus
from tests.builders import GOOD_ANSWERS, make_invited
from tests.conftest import csrf_token


def _post(client, raw: str, answers: dict, *, with_csrf: bool = True):  # type: ignore[no-untyped-def]
    page = client.get(f"/s/{raw}")
    data = dict(answers)
    if with_csrf:
        data["csrf_token"] = csrf_token(page.text)
    return client.post(f"/s/{raw}", data=data)


def test_get_shows_form_and_records_nothing(client, session):
    invitation, raw, project = make_invited(session)
    page = client.get(f"/s/{raw}?satisfaction=4")
    assert page.status_code == 200
    assert project.name in page.text
    assert 'name="satisfaction" value="4" checked' in page.text
    assert session.exec(select(Response)).all() == []
    assert session.exec(select(OutboxEvent)).all() == []


def test_prefill_out_of_range_is_ignored(client, session):
    _invitation, raw, _project = make_invited(session)
    page = client.get(f"/s/{raw}?satisfaction=9")
    assert "checked" not in page.text


def test_submit_saves_answers_and_event_in_one_go(client, session):
    invitation, raw, _project = make_invited(session)
    response = _post(client, raw, GOOD_ANSWERS)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/s/{raw}/thanks")
    saved = session.exec(select(Response)).one()
    assert saved.comment == GOOD_ANSWERS["comment"]
    assert len(session.exec(select(Answer).where(Answer.response_id == saved.id)).all()) == 5
    event = session.exec(select(OutboxEvent)).one()
    assert event.kind == "response.submitted" and event.payload == {"response_id": saved.id}
    assert "Thank you" in client.get(response.headers["Location"]).text


def test_out_of_range_rating_is_rejected_with_answers_kept(client, session):
    _invitation, raw, _project = make_invited(session)
    response = _post(client, raw, {**GOOD_ANSWERS, "trust": "6"})
    assert response.status_code == 400
    assert "Choose a rating from 1 to 5." in response.text
    assert GOOD_ANSWERS["comment"].replace("'", "&#39;") in response.text
    assert 'name="satisfaction" value="4" checked' in response.text
    assert session.exec(select(Response)).all() == []


def test_missing_required_answer_is_rejected(client, session):
    _invitation, raw, _project = make_invited(session)
    answers = {k: v for k, v in GOOD_ANSWERS.items() if k != "partnership"}
    response = _post(client, raw, answers)
    assert response.status_code == 400
    assert "Please choose a rating." in response.text
    assert session.exec(select(Response)).all() == []


def test_comment_over_2000_characters_is_rejected(client, session):
    _invitation, raw, _project = make_invited(session)
    response = _post(client, raw, {**GOOD_ANSWERS, "comment": "x" * 2001})
    assert response.status_code == 400
    assert "under 2,000 characters" in response.text
    assert session.exec(select(Response)).all() == []


def test_comment_of_exactly_2000_characters_is_accepted(client, session):
    _invitation, raw, _project = make_invited(session)
    assert _post(client, raw, {**GOOD_ANSWERS, "comment": "y" * 2000}).status_code == 303


def test_missing_csrf_token_is_rejected_and_nothing_saved(client, session):
    _invitation, raw, _project = make_invited(session)
    response = _post(client, raw, GOOD_ANSWERS, with_csrf=False)
    assert response.status_code == 400
    assert "nothing was saved" in response.text
    assert session.exec(select(Response)).all() == []


def test_another_links_form_token_is_rejected_and_nothing_saved(client, session):
    _invitation, raw, _project = make_invited(session)
    _other, other_raw, _other_project = make_invited(session)
    borrowed = csrf_token(client.get(f"/s/{other_raw}").text)
    client.get(f"/s/{raw}")
    response = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": borrowed})
    assert response.status_code == 400 and "nothing was saved" in response.text
    assert session.exec(select(Response)).all() == []


def test_survey_pages_set_no_cookie(client, session):
    _invitation, raw, _project = make_invited(session)
    page = client.get(f"/s/{raw}?satisfaction=4")
    saved = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    thanks = client.get(saved.headers["Location"])
    assert saved.status_code == 303 and thanks.status_code == 200
    for reply in (page, saved, thanks):
        assert "Set-Cookie" not in reply.headers


def test_unknown_fields_are_ignored(client, session):
    _invitation, raw, _project = make_invited(session)
    assert _post(client, raw, {**GOOD_ANSWERS, "is_admin": "1"}).status_code == 303


def test_unknown_and_tampered_tokens_get_the_same_404(client, session):
    _invitation, raw, _project = make_invited(session)
    tampered = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    unknown = client.get("/s/" + "x" * 43)
    changed = client.get(f"/s/{tampered}")
    assert unknown.status_code == changed.status_code == 404
    assert unknown.text == changed.text


def test_closed_wave_gets_a_polite_410(client, session):
    _invitation, raw, _project = make_invited(session, status=WaveStatus.closed)
    page = client.get(f"/s/{raw}")
    assert page.status_code == 410
    assert "closed" in page.text
    assert client.post(f"/s/{raw}", data=GOOD_ANSWERS).status_code in (400, 410)


def test_wave_closing_while_the_form_is_open_gets_410_and_saves_nothing(client, session):
    invitation, raw, project = make_invited(session)
    page = client.get(f"/s/{raw}")
    wave = session.get(Wave, invitation.wave_id)
    wave.status = WaveStatus.closed  # type: ignore[union-attr]
    session.add(wave)
    session.commit()
    response = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    assert response.status_code == 410
    assert project.name in response.text
    assert session.exec(select(Response)).all() == []
    assert session.exec(select(OutboxEvent)).all() == []


def test_first_answer_time_is_kept_when_the_answers_change(client, session):
    invitation, raw, _project = make_invited(session)
    assert invitation.responded_at is None
    _post(client, raw, GOOD_ANSWERS)
    session.expire_all()
    first = session.get(Invitation, invitation.id).responded_at  # type: ignore[union-attr]
    assert first is not None
    _post(client, raw, {**GOOD_ANSWERS, "trust": "5"})
    session.expire_all()
    assert session.get(Invitation, invitation.id).responded_at == first  # type: ignore[union-attr]
    saved = session.exec(select(Response)).one()
    assert saved.updated_at >= saved.submitted_at >= first


def test_resubmission_updates_the_single_response(client, session):
    _invitation, raw, _project = make_invited(session)
    _post(client, raw, GOOD_ANSWERS)
    page = client.get(f"/s/{raw}")
    assert "You already answered" in page.text
    assert 'name="trust" value="2" checked' in page.text
    _post(client, raw, {**GOOD_ANSWERS, "trust": "5", "comment": "Much better now."})
    session.expire_all()
    saved = session.exec(select(Response)).one()
    assert saved.comment == "Much better now."
    assert len(session.exec(select(OutboxEvent)).all()) == 2


def test_submission_with_redis_down_still_thanks_and_keeps_event(app, session):
    from survey import queue

    _invitation, raw, _project = make_invited(session)
    # Nothing listens on port 1: every Redis call fails as it would with Redis stopped.
    dead = app.extensions["rapport.settings"].with_overrides(redis_url="redis://127.0.0.1:1/0")
    app.extensions["rapport.settings"] = dead
    queue.redis_for.cache_clear()
    client = app.test_client()
    response = _post(client, raw, GOOD_ANSWERS)
    assert response.status_code == 303
    event = session.exec(select(OutboxEvent)).one()
    assert event.dispatched_at is None and event.processed_at is None

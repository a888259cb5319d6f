"""Arbitrary input into every form and API field: never a 500, clear 4xx, nothing half-saved."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import col, select

from survey import create_app
from survey.api.tokens import issue
from survey.app import MAX_BODY_BYTES
from survey.models import Answer, OutboxEvent, Response, StatusReport, Wave
from tests.builders import GOOD_ANSWERS, make_invited, make_user
from tests.conftest import csrf_token

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Form text as a browser could send it: any unicode except lone surrogates, sometimes huge.
TEXT = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=300),
    st.sampled_from(["", " ", "0", "-1", "6", "1e3", "4.0", "٣", "\x00", "NaN", "5 ", "x" * 2001]),
    st.builds(lambda n: "9" * n, st.integers(1, 5000)),
)
FIELDS = ("satisfaction", "trust", "communication", "partnership", "comment")


@pytest.fixture
def fuzz_app(rapport_env):  # type: ignore[no-untyped-def]
    # The guessing limits would turn the later examples into 429s; they have their own tests.
    return create_app({**rapport_env, "TESTING": True, "RATELIMIT_ENABLED": False})


def _stored(session) -> tuple:  # type: ignore[no-untyped-def]
    session.expire_all()
    answers = session.exec(select(Answer.question_id, Answer.value_int, Answer.value_text)).all()
    responses = session.exec(select(Response.id, Response.comment)).all()
    events = session.exec(select(func.count(col(OutboxEvent.id)))).one()
    return sorted(answers, key=repr), sorted(responses), events


def test_pulse_form_survives_any_field_values(fuzz_app, session):
    _invitation, raw, _project = make_invited(session)
    client = fuzz_app.test_client()
    token = csrf_token(client.get(f"/s/{raw}").text)

    @FUZZ
    @given(st.fixed_dictionaries({}, optional={f: TEXT for f in FIELDS}))
    def post(values: dict[str, str]) -> None:
        before = _stored(session)
        reply = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, **values, "csrf_token": token})
        assert reply.status_code in (303, 400, 413), reply.status_code
        if reply.status_code != 303:
            assert _stored(session) == before, "a rejected submission changed stored answers"
        if reply.status_code == 400:
            # Field errors come back on the form; a NUL is refused before any view runs.
            nul = any("\x00" in v for v in values.values())
            assert ("NUL character" if nul else 'class="field-error"') in reply.text

    post()


def test_rejected_pulse_names_the_field_and_keeps_earlier_answers(fuzz_app, session):
    _invitation, raw, _project = make_invited(session)
    client = fuzz_app.test_client()
    token = csrf_token(client.get(f"/s/{raw}").text)
    assert client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": token}).status_code == 303
    before = _stored(session)
    bad = {**GOOD_ANSWERS, "trust": "three", "comment": "changed", "csrf_token": token}
    reply = client.post(f"/s/{raw}", data=bad)
    assert reply.status_code == 400
    assert 'id="err-trust"' in reply.text
    assert _stored(session) == before


def test_login_survives_any_credentials(fuzz_app, session):
    make_user(session, email="pm@example.com")
    client = fuzz_app.test_client()
    token = csrf_token(client.get("/login").text)

    @FUZZ
    @given(email=TEXT, password=TEXT, next_url=TEXT)
    def login(email: str, password: str, next_url: str) -> None:
        reply = client.post(
            f"/login?next={quote(next_url)}",
            data={"email": email, "password": password, "csrf_token": token},
        )
        nul = "\x00" in email + password + next_url
        assert reply.status_code in ((400,) if nul else (401, 413)), reply.status_code
        assert client.get("/portfolio").status_code == 302

    login()


def test_login_redirect_never_leaves_the_site(fuzz_app, session):
    make_user(session, email="pm@example.com")

    @FUZZ
    @given(
        st.one_of(
            TEXT,
            st.sampled_from(
                [
                    "//evil.example",
                    "https://evil.example",
                    "/\\evil",
                    "\\\\evil",
                    "/%2F%2Fevil",
                    "javascript:alert(1)",
                ]
            ),
        )
    )
    def login(next_url: str) -> None:
        client = fuzz_app.test_client()
        token = csrf_token(client.get("/login").text)
        reply = client.post(
            f"/login?next={quote(next_url)}",
            data={"email": "pm@example.com", "password": "demo", "csrf_token": token},
        )
        if "\x00" in next_url:  # refused before login runs
            assert reply.status_code == 400
            return
        assert reply.status_code == 302
        location = reply.headers["Location"]
        assert location.startswith("/") and not location.startswith(("//", "/\\")), location

    login()


PATH_TEXT = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80)


def test_api_paths_and_queries_never_500(fuzz_app, session):
    user = make_user(session, email="pm@example.com")
    bearer = {"Authorization": f"Bearer {issue(session, user=user)}"}
    client = fuzz_app.test_client()
    templates = [
        "/api/v1/projects/{x}/relationships",
        "/api/v1/projects/{x}/health",
        "/api/v1/projects/{x}/status",
        "/api/v1/relationships/{x}/trend",
        "/api/v1/waves/{x}",
        "/api/v1/alerts?status={x}&project={x}",
        "/api/v1/projects?{x}={x}",
    ]

    @FUZZ
    @given(template=st.sampled_from(templates), value=PATH_TEXT)
    def get(template: str, value: str) -> None:
        reply = client.get(template.format(x=quote(value, safe="")), headers=bearer)
        if reply.status_code == 308:  # "%2F" decodes to "/": Werkzeug merges the slashes
            return
        assert reply.status_code in (200, 400, 404), (template, value, reply.status_code)
        assert reply.is_json
        if reply.status_code >= 400:
            assert set(reply.json["error"]) == {"code", "message", "fields"}

    get()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
    max_leaves=12,
)


def test_api_writes_reject_any_malformed_body_without_saving(fuzz_app, session):
    from tests.builders import make_project

    user = make_user(session, email="pm@example.com")
    project = make_project(session, pm=user, code="FUZZ")
    bearer = {"Authorization": f"Bearer {issue(session, user=user)}"}
    client = fuzz_app.test_client()
    keys = (
        "status",
        "reported_on",
        "note",
        "title",
        "project_codes",
        "opens_at",
        "closes_at",
        "template",
        "attribution",
        "reminder_days",
    )

    @FUZZ
    @given(
        path=st.sampled_from([f"/api/v1/projects/{project.code}/status", "/api/v1/waves"]),
        body=st.one_of(JSON_VALUES, st.dictionaries(st.sampled_from(keys), JSON_VALUES)),
    )
    def post(path: str, body: object) -> None:
        counts = (
            session.exec(select(func.count(col(StatusReport.id)))).one(),
            session.exec(select(func.count(col(Wave.id)))).one(),
        )
        reply = client.post(path, json=body, headers=bearer)
        assert reply.status_code in (200, 201, 400, 413), (body, reply.status_code)
        assert reply.is_json
        if reply.status_code == 400:
            assert reply.json["error"]["message"]
            session.expire_all()
            after = (
                session.exec(select(func.count(col(StatusReport.id)))).one(),
                session.exec(select(func.count(col(Wave.id)))).one(),
            )
            assert after == counts

    post()


@pytest.mark.parametrize("path", ["/s/{raw}", "/login", "/api/v1/waves"])
def test_bodies_over_the_limit_get_413_and_save_nothing(fuzz_app, session, path):
    _invitation, raw, _project = make_invited(session)
    client = fuzz_app.test_client()
    token = csrf_token(client.get(f"/s/{raw}").text)
    huge = {**GOOD_ANSWERS, "comment": "x" * (MAX_BODY_BYTES + 1), "csrf_token": token}
    user = make_user(session, email="pm@example.com")
    bearer = {"Authorization": f"Bearer {issue(session, user=user)}"}
    if path.startswith("/api/"):
        reply = client.post(path, json={"title": huge["comment"]}, headers=bearer)
    else:
        reply = client.post(path.format(raw=raw), data=huge)
    assert reply.status_code == 413
    assert "larger than Rapport accepts" in reply.get_data(as_text=True)
    assert session.exec(select(Response)).all() == []

"""Guessing survey tokens or passwords from one client ends in 429s; a dead Redis fails open."""

from __future__ import annotations

import pytest

from survey import create_app, queue
from survey.web.ratelimit import storage_uri
from tests.builders import GOOD_ANSWERS, make_invited, make_user
from tests.conftest import csrf_token

LIMITS = {
    "SURVEY_TOKEN_MISS_LIMIT": "5 per minute",
    "SURVEY_TOKEN_LIMIT": "8 per minute",
    "LOGIN_FAILURE_LIMIT": "6 per minute",
    "LOGIN_ACCOUNT_FAILURE_LIMIT": "4 per minute",
}


@pytest.fixture
def limited_app(rapport_env):  # type: ignore[no-untyped-def]
    return create_app({**rapport_env, "TESTING": True, **LIMITS})


def _login(client, email: str, password: str):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/login").text)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def test_unix_socket_redis_urls_become_redis_plus_unix_storage_uris():
    assert storage_uri("unix:///tmp/r.sock") == "redis+unix:///tmp/r.sock"
    assert storage_uri("redis://h:6379/0") == "redis://h:6379/0"
    assert storage_uri("rediss://h:6380/1") == "rediss://h:6380/1"


def test_guessing_survey_tokens_gets_429_with_retry_after(limited_app, session):
    client = limited_app.test_client()
    statuses = [client.get(f"/s/{'g' * 40}{n:03d}").status_code for n in range(8)]
    assert statuses[:5] == [404] * 5
    assert statuses[5:] == [429] * 3
    blocked = client.get("/s/" + "h" * 43)
    assert blocked.status_code == 429
    assert "Too many requests" in blocked.text
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


def test_token_guessing_block_covers_real_links_from_that_client_only(limited_app, session):
    _invitation, raw, _project = make_invited(session)
    guesser = limited_app.test_client()
    for n in range(6):
        guesser.get(f"/s/{'g' * 40}{n:03d}")
    assert guesser.get(f"/s/{raw}").status_code == 429
    other = limited_app.test_client()
    ok = other.get(f"/s/{raw}", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert ok.status_code == 200


def test_opening_valid_links_many_times_from_one_office_is_not_counted_as_guessing(
    limited_app, session
):
    client = limited_app.test_client()
    links = [make_invited(session)[1] for _ in range(7)]
    assert [client.get(f"/s/{raw}").status_code for raw in links] == [200] * 7


def test_hammering_one_survey_link_gets_429(limited_app, session):
    _invitation, raw, _project = make_invited(session)
    client = limited_app.test_client()
    statuses = [client.get(f"/s/{raw}").status_code for _ in range(10)]
    assert statuses[:8] == [200] * 8
    assert statuses[8:] == [429, 429]


def test_repeated_login_guessing_gets_429_even_with_the_right_password(limited_app, session):
    make_user(session, email="victim@example.com", password="right-password")
    client = limited_app.test_client()
    statuses = [_login(client, "victim@example.com", f"guess{n}").status_code for n in range(6)]
    assert statuses[:4] == [401] * 4
    assert statuses[4:] == [429, 429]
    blocked = _login(client, "victim@example.com", "right-password")
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) >= 1


def test_login_guessing_across_accounts_is_limited_per_client(limited_app, session):
    client = limited_app.test_client()
    statuses = [_login(client, f"nobody{n}@example.com", "x").status_code for n in range(8)]
    assert statuses[:6] == [401] * 6
    assert statuses[6:] == [429, 429]


def test_successful_logins_and_login_page_views_are_not_counted(limited_app, session):
    make_user(session, email="pm@example.com", password="demo")
    client = limited_app.test_client()
    for _ in range(8):
        assert client.get("/login").status_code == 200
        assert _login(client, "pm@example.com", "demo").status_code == 302
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/login").text)})


def test_api_and_health_are_not_throttled_by_token_guessing(limited_app, session):
    client = limited_app.test_client()
    for n in range(7):
        client.get(f"/s/{'g' * 40}{n:03d}")
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/login").status_code == 200


def test_rate_limits_fail_open_when_redis_is_down(rapport_env, session):
    _invitation, raw, _project = make_invited(session)
    make_user(session, email="pm@example.com", password="demo")
    dead = {**rapport_env, "RAPPORT_REDIS_URL": "redis://127.0.0.1:1/0"}
    queue.redis_for.cache_clear()
    app = create_app({**dead, "TESTING": True, **LIMITS})
    client = app.test_client()
    misses = [client.get(f"/s/{'g' * 40}{n:03d}").status_code for n in range(8)]
    assert misses == [404] * 8
    assert client.get(f"/s/{raw}").status_code == 200
    failures = [_login(client, "pm@example.com", "wrong").status_code for _ in range(8)]
    assert failures == [401] * 8
    assert _login(client, "pm@example.com", "demo").status_code == 302


def test_rate_limit_keys_in_redis_hold_no_token_or_email(limited_app, session, redis_url):
    import redis

    _invitation, raw, _project = make_invited(session)
    client = limited_app.test_client()
    client.get(f"/s/{raw}")
    _login(client, "someone@example.com", "x")
    keys = b" ".join(redis.Redis.from_url(redis_url).keys("*"))
    assert b"rapport-limits" in keys
    assert raw.encode() not in keys
    assert b"someone" not in keys


def test_hammering_one_link_gets_retry_after_within_the_window(limited_app, session):
    _invitation, raw, _project = make_invited(session)
    client = limited_app.test_client()
    for _ in range(8):
        client.get(f"/s/{raw}")
    blocked = client.get(f"/s/{raw}")
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["Retry-After"]) <= 60


def test_valid_links_count_on_the_link_and_never_as_misses(limited_app, session, redis_url):
    import redis

    _invitation, raw, _project = make_invited(session)
    client = limited_app.test_client()
    page = client.get(f"/s/{raw}")
    posted = client.post(f"/s/{raw}", data={**GOOD_ANSWERS, "csrf_token": csrf_token(page.text)})
    assert posted.status_code == 303
    counters = redis.Redis.from_url(redis_url)
    assert counters.keys("*survey-token-miss*") == []
    (link,) = counters.keys("*/survey-token/*")
    assert counters.get(link) == b"2"
    assert 0 < counters.ttl(link) <= 60
    assert client.get("/s/" + "m" * 43).status_code == 404
    (miss,) = counters.keys("*survey-token-miss*")
    assert counters.get(miss) == b"1"


def test_survey_limits_apply_once_however_many_apps_are_built(rapport_env, session):
    _invitation, raw, _project = make_invited(session)
    apps = [create_app({**rapport_env, "TESTING": True, **LIMITS}) for _ in range(3)]
    client = apps[-1].test_client()
    statuses = [client.get(f"/s/{raw}").status_code for _ in range(10)]
    assert statuses == [200] * 8 + [429] * 2


def test_survey_limits_are_off_when_rate_limiting_is(rapport_env, session):
    _invitation, raw, _project = make_invited(session)
    app = create_app({**rapport_env, "TESTING": True, "RATELIMIT_ENABLED": False, **LIMITS})
    client = app.test_client()
    assert [client.get(f"/s/{'g' * 40}{n:03d}").status_code for n in range(8)] == [404] * 8
    assert [client.get(f"/s/{raw}").status_code for _ in range(10)] == [200] * 10

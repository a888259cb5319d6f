"""Settings for the sender of every email and for where webhooks may go."""

from __future__ import annotations

import pytest

from survey.cli import main, processes
from survey.config import DEFAULT_MAIL_FROM, ConfigError, load_settings, warnings
from workers import mail

SECRET = "a-real-secret-that-nobody-guesses-42"


def _settings(tmp_path, **env: str):  # type: ignore[no-untyped-def]
    return load_settings({"RAPPORT_HOME": str(tmp_path), "RAPPORT_SECRET_KEY": SECRET, **env})


def _production(tmp_path, **env: str):  # type: ignore[no-untyped-def]
    return _settings(tmp_path, RAPPORT_ENV="production", **env)


# --- RAPPORT_MAIL_FROM ---------------------------------------------------------------------


def test_the_sender_defaults_to_the_placeholder(tmp_path):
    assert _settings(tmp_path).mail_from == DEFAULT_MAIL_FROM == "Rapport <pulse@rapport.invalid>"


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("Rapport <pulse@example.com>", "Rapport <pulse@example.com>"),
        ("  pulse@example.com ", "pulse@example.com"),
        ('"IT, Finance" <it-pulse@corp.example.org>', '"IT, Finance" <it-pulse@corp.example.org>'),
        ("Équipe IT <pulse@example.fr>", "Équipe IT <pulse@example.fr>"),
    ],
)
def test_a_valid_sender_is_read(tmp_path, raw, stored):
    settings = _settings(tmp_path, RAPPORT_MAIL_FROM=raw)
    assert settings.mail_from == stored
    assert str(mail.sender(settings)) == stored  # and it reads back as the same one address


@pytest.mark.parametrize(
    "raw",
    [
        "not an address",
        "pulse@",
        "Rapport <pulse@>",
        "pulse@localhost",
        "a@example.com, b@example.com",
        "Rapport <pulse@example.com>\r\nBcc: victim@example.com",
        "Rapport <pulse@exa mple.com>",
    ],
)
def test_an_invalid_sender_is_refused_at_startup(tmp_path, raw):
    with pytest.raises(ConfigError, match="RAPPORT_MAIL_FROM"):
        _settings(tmp_path, RAPPORT_MAIL_FROM=raw)


def test_production_refuses_real_mail_from_the_placeholder(tmp_path):
    with pytest.raises(ConfigError, match="RAPPORT_MAIL_FROM is not set"):
        _production(tmp_path, RAPPORT_MAIL_URL="smtp://smtp.example.com:587")
    with pytest.raises(ConfigError, match="cannot receive mail"):
        _production(
            tmp_path,
            RAPPORT_MAIL_URL="smtp://smtp.example.com:587",
            RAPPORT_MAIL_FROM="Rapport <pulse@rapport.invalid>",
        )
    settings = _production(
        tmp_path,
        RAPPORT_MAIL_URL="smtp://smtp.example.com:587",
        RAPPORT_MAIL_FROM="Rapport <pulse@example.com>",
    )
    assert settings.mail_from == "Rapport <pulse@example.com>"
    assert warnings(settings) == []


def test_the_placeholder_sender_is_a_warning_wherever_mail_reaches_people(tmp_path):
    assert warnings(_settings(tmp_path)) == []  # the development mailbox: nobody receives it
    smtp = warnings(_settings(tmp_path, RAPPORT_MAIL_URL="smtp://127.0.0.1:2525"))
    assert len(smtp) == 1 and "set RAPPORT_MAIL_FROM" in smtp[0]
    assert any("RAPPORT_MAIL_FROM" in w for w in warnings(_production(tmp_path)))


def test_the_cli_refuses_production_real_mail_without_a_sender_in_one_line(runner, rapport_env):
    env = {"RAPPORT_ENV": "production", "RAPPORT_MAIL_URL": "smtp://smtp.example.com:587"}
    result = runner.invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: RAPPORT_MAIL_FROM is not set")


def test_rapport_web_warns_loudly_before_serving(runner, rapport_env, monkeypatch):
    started = []

    def execv(path, args):  # type: ignore[no-untyped-def]
        started.append(args)
        raise SystemExit(0)

    monkeypatch.setattr(processes.os, "execv", execv)
    env = {"RAPPORT_MAIL_URL": "smtp://127.0.0.1:2525"}
    result = runner.invoke(main, ["web"], env=env)
    assert result.exit_code == 0 and started
    assert "WARNING: mail goes out From Rapport <pulse@rapport.invalid>" in result.output
    quiet = runner.invoke(main, ["web"], env={**env, "RAPPORT_MAIL_FROM": "pulse@example.com"})
    assert "WARNING" not in quiet.output


# --- RAPPORT_WEBHOOK_ALLOW_PRIVATE and RAPPORT_ALERT_WEBHOOK_URL ---------------------------


def test_private_webhook_targets_are_allowed_in_development_only_by_default(tmp_path):
    assert _settings(tmp_path).webhook_allow_private is True
    assert _production(tmp_path).webhook_allow_private is False
    assert _settings(tmp_path, RAPPORT_WEBHOOK_ALLOW_PRIVATE="off").webhook_allow_private is False
    on = _production(tmp_path, RAPPORT_WEBHOOK_ALLOW_PRIVATE="yes")
    assert on.webhook_allow_private is True
    assert any("RAPPORT_WEBHOOK_ALLOW_PRIVATE is on" in w for w in warnings(on))
    with pytest.raises(ConfigError, match="RAPPORT_WEBHOOK_ALLOW_PRIVATE must be on or off"):
        _settings(tmp_path, RAPPORT_WEBHOOK_ALLOW_PRIVATE="maybe")


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:9000/hook", "http://localhost/hook", "http://169.254.169.254/latest"],
)
def test_production_refuses_an_instance_alert_webhook_on_the_local_network(tmp_path, url):
    with pytest.raises(ConfigError, match="RAPPORT_ALERT_WEBHOOK_URL must not point"):
        _production(tmp_path, RAPPORT_ALERT_WEBHOOK_URL=url)
    # Development allows a local receiver, and keeps the URL as given.
    local = _settings(tmp_path, RAPPORT_ALERT_WEBHOOK_URL="http://127.0.0.1:9000/hook")
    assert local.alert_webhook_url == "http://127.0.0.1:9000/hook"


def test_an_alert_webhook_that_is_no_url_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="RAPPORT_ALERT_WEBHOOK_URL must be an http"):
        _settings(tmp_path, RAPPORT_ALERT_WEBHOOK_URL="ftp://example.com/x")

"""Settings read from the environment (RAPPORT_*), with embedded defaults."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}


class ConfigError(RuntimeError):
    """The configuration cannot work; the message says what to set."""


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to find its database, Redis, mail and keys."""

    home: Path
    database_url: str
    redis_url: str
    redis_embedded: bool
    mail_url: str | None
    secret_key: str
    base_url: str
    env: str
    # Survey fatigue: at most one pulse invitation per stakeholder in this many days.
    fatigue_days: int = 14
    # Instance-wide webhook for raised alerts (RAPPORT_ALERT_WEBHOOK_URL); projects may override.
    alert_webhook_url: str | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def mailbox_dir(self) -> Path:
        return self.home / "mail"

    def with_overrides(self, **changes: object) -> Settings:
        """A copy with some fields changed (tests use this)."""
        return replace(self, **changes)  # type: ignore[arg-type]


def _secret_key(home: Path, given: str | None, env: str) -> str:
    if given and given not in PLACEHOLDER_SECRETS:
        return given
    if env == "production":
        raise ConfigError(
            "RAPPORT_SECRET_KEY is not set (or is a placeholder): production refuses to start "
            "without a secret key. Generate one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(48))'"
        )
    # Development keeps one key per instance so logins survive restarts.
    key_file = home / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    home.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read RAPPORT_* variables; unset ones fall back to the embedded defaults."""
    env_vars = os.environ if environ is None else environ
    home = Path(env_vars.get("RAPPORT_HOME") or "instance").resolve()
    env = env_vars.get("RAPPORT_ENV") or "development"
    if env not in ("development", "production"):
        raise ConfigError(f"RAPPORT_ENV must be 'development' or 'production', not {env!r}")
    redis_url = env_vars.get("RAPPORT_REDIS_URL") or ""
    return Settings(
        home=home,
        database_url=env_vars.get("RAPPORT_DATABASE_URL") or f"sqlite:///{home / 'rapport.db'}",
        redis_url=redis_url or f"unix://{home / 'redis.sock'}",
        redis_embedded=not redis_url,
        mail_url=env_vars.get("RAPPORT_MAIL_URL") or None,
        secret_key=_secret_key(home, env_vars.get("RAPPORT_SECRET_KEY"), env),
        base_url=(env_vars.get("RAPPORT_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        env=env,
        fatigue_days=_positive_int(
            env_vars.get("RAPPORT_FATIGUE_DAYS"), "RAPPORT_FATIGUE_DAYS", 14
        ),
        alert_webhook_url=env_vars.get("RAPPORT_ALERT_WEBHOOK_URL") or None,
    )


def _positive_int(raw: str | None, name: str, default: int) -> int:
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number of days, not {raw!r}")
    return int(raw)

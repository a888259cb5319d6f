"""Settings read from the environment (RAPPORT_*), with embedded defaults."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from email.headerregistry import Address, HeaderRegistry
from pathlib import Path
from urllib.parse import urlsplit

from survey import webhook_targets

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev"}
DEFAULT_MAIL_FROM = "Rapport <pulse@rapport.invalid>"
# Domains that can never receive mail (RFC 2606, RFC 6761): fine for the file mailbox, fatal
# for real mail, where receiving servers refuse the sender and every invitation would bounce.
UNROUTABLE_DOMAINS = ("invalid", "test", "localhost", "local", "example")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"^(?=.{{1,253}}$)({_LABEL}\.)+[A-Za-z]{{2,63}}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
YES = {"1", "true", "yes", "on"}
NO = {"0", "false", "no", "off"}


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
    # The From of every email (RAPPORT_MAIL_FROM), e.g. "Rapport <pulse@example.com>".
    mail_from: str = DEFAULT_MAIL_FROM
    # Whether webhooks may reach loopback and private-network addresses
    # (RAPPORT_WEBHOOK_ALLOW_PRIVATE): on in development, off in production.
    webhook_allow_private: bool = True

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
    mail_url = env_vars.get("RAPPORT_MAIL_URL") or None
    allow_private = _flag(
        env_vars.get("RAPPORT_WEBHOOK_ALLOW_PRIVATE"),
        "RAPPORT_WEBHOOK_ALLOW_PRIVATE",
        default=env != "production",
    )
    return Settings(
        home=home,
        database_url=env_vars.get("RAPPORT_DATABASE_URL") or f"sqlite:///{home / 'rapport.db'}",
        redis_url=redis_url or f"unix://{home / 'redis.sock'}",
        redis_embedded=not redis_url,
        mail_url=mail_url,
        secret_key=_secret_key(home, env_vars.get("RAPPORT_SECRET_KEY"), env),
        base_url=(env_vars.get("RAPPORT_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        env=env,
        fatigue_days=_positive_int(
            env_vars.get("RAPPORT_FATIGUE_DAYS"), "RAPPORT_FATIGUE_DAYS", 14
        ),
        alert_webhook_url=_alert_webhook_url(
            env_vars.get("RAPPORT_ALERT_WEBHOOK_URL"), allow_private=allow_private
        ),
        mail_from=_mail_from(
            env_vars.get("RAPPORT_MAIL_FROM"),
            production=env == "production",
            real_mail=bool(mail_url),
        ),
        webhook_allow_private=allow_private,
    )


def _positive_int(raw: str | None, name: str, default: int) -> int:
    if not raw:
        return default
    if not raw.isdigit():
        raise ConfigError(f"{name} must be a whole number of days, not {raw!r}")
    return int(raw)


def _flag(raw: str | None, name: str, *, default: bool) -> bool:
    if raw is None or not raw.strip():
        return default
    value = raw.strip().lower()
    if value in YES | NO:
        return value in YES
    raise ConfigError(f"{name} must be on or off (1/0, true/false, yes/no), not {raw!r}")


def sender_parts(value: str) -> tuple[str, str]:
    """(display name, address) of a From value; raises ValueError unless exactly one address."""
    if _CONTROL.search(value):
        raise ValueError("must be one line without control characters")
    try:
        header = HeaderRegistry()("From", value)
    except (IndexError, ValueError) as exc:  # the stdlib parser trips on some truncated input
        raise ValueError("must be one address, e.g. Rapport <pulse@example.com>") from exc
    addresses: tuple[Address, ...] = getattr(header, "addresses", ())
    if header.defects or len(addresses) != 1:
        raise ValueError("must be one address, e.g. Rapport <pulse@example.com>")
    address = addresses[0]
    if not address.username or not _DOMAIN.match(address.domain):
        raise ValueError("must be one address with a full domain, e.g. pulse@example.com")
    return address.display_name, address.addr_spec


def unroutable(address: str) -> bool:
    """True for an address whose domain can never receive mail (e.g. *.invalid)."""
    domain = address.rpartition("@")[2].lower().rstrip(".")
    return domain.rpartition(".")[2] in UNROUTABLE_DOMAINS or domain == "localhost"


def _mail_from(raw: str | None, *, production: bool, real_mail: bool) -> str:
    value = (raw or "").strip()
    if not value:
        if production and real_mail:
            raise ConfigError(
                "RAPPORT_MAIL_FROM is not set: production refuses to send real mail from the "
                f"placeholder {DEFAULT_MAIL_FROM!r}, which mail servers reject (every invitation "
                "would bounce). Set it to an address of your domain, e.g. "
                "RAPPORT_MAIL_FROM='Rapport <pulse@example.com>'"
            )
        return DEFAULT_MAIL_FROM
    try:
        name, address = sender_parts(value)
    except ValueError as exc:
        raise ConfigError(f"RAPPORT_MAIL_FROM {exc}, not {raw!r}") from exc
    if production and real_mail and unroutable(address):
        raise ConfigError(
            f"RAPPORT_MAIL_FROM uses {address!r}, whose domain cannot receive mail: production "
            "refuses to send real mail from it. Use an address of your domain."
        )
    # Address quotes a display name that needs it, so the value parses back the same.
    return str(Address(display_name=name, addr_spec=address))


def _alert_webhook_url(raw: str | None, *, allow_private: bool) -> str | None:
    url = (raw or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"RAPPORT_ALERT_WEBHOOK_URL must be an http(s) URL, not {raw!r}")
    try:
        webhook_targets.check_url(url, allow_private=allow_private)
    except webhook_targets.UnsafeTarget as exc:
        raise ConfigError(
            f"RAPPORT_ALERT_WEBHOOK_URL {exc}; set RAPPORT_WEBHOOK_ALLOW_PRIVATE=on if that "
            "receiver really lives on your private network"
        ) from exc
    return url


def warnings(settings: Settings) -> list[str]:
    """Configuration that works but is probably a mistake, for the process logs."""
    found = []
    _name, address = sender_parts(settings.mail_from)
    # The file mailbox of development needs no real sender; anything that reaches people does.
    if unroutable(address) and (settings.mail_url or settings.production):
        found.append(
            f"mail goes out From {settings.mail_from}, a domain that cannot receive mail: "
            "set RAPPORT_MAIL_FROM (e.g. 'Rapport <pulse@example.com>') before sending to "
            "real people"
        )
    if settings.production and settings.webhook_allow_private:
        found.append(
            "RAPPORT_WEBHOOK_ALLOW_PRIVATE is on in production: webhooks may reach loopback and "
            "private-network addresses"
        )
    return found

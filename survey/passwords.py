"""Password and token hashing."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from werkzeug.security import check_password_hash, generate_password_hash

# 32 bytes from the OS CSPRNG: 256 bits, far beyond guessing.
TOKEN_BYTES = 32


def hash_password(password: str) -> str:
    """A salted, slow hash (scrypt) for storing a password."""
    return generate_password_hash(password)


def check_password(password_hash: str, password: str) -> bool:
    """True when `password` matches the stored hash."""
    return check_password_hash(password_hash, password)


def new_token() -> str:
    """A fresh URL-safe secret for a survey link or API token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    """SHA-256 hex of a token: what the database stores instead of the token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def invitation_token(secret_key: str, salt: str) -> str:
    """The survey-link token of an invitation: derivable only with the secret key.

    The database keeps the salt and the token's SHA-256, so a dump holds no usable link,
    while reminders can still carry the same link as the first email.
    """
    digest = hmac.new(secret_key.encode(), b"invitation:" + salt.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_salt() -> str:
    """A random per-invitation salt."""
    return secrets.token_hex(16)

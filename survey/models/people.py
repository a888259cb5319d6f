"""Users of the dashboard and API, and their API tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import EmailStr
from sqlmodel import Field, SQLModel

from survey.models.base import utcnow


class Role(StrEnum):
    admin = "admin"
    pm = "pm"
    viewer = "viewer"


class UserBase(SQLModel):
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=120)
    role: Role = Field(default=Role.pm)


class UserCreate(UserBase):
    email: EmailStr
    password: str = Field(min_length=4, max_length=200)


class User(UserBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=300)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow)
    # Part of the login id in every session cookie: bumping it at logout invalidates all of
    # the user's sessions, including a copied cookie.
    session_version: int = 0

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


class TokenScope(StrEnum):
    read = "read"
    write = "write"  # implies read


class ApiToken(SQLModel, table=True):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    revoked: bool = False
    # A TokenScope value; a plain string column so no database enum type is needed.
    scope: str = Field(default=TokenScope.read.value, max_length=10)

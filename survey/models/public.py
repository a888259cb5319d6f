"""What the API and setup forms accept and return: XCreate, XUpdate and XPublic per resource.

The Create and Update classes reuse the table models' field limits, so the limits in the
database, the validation of input and the OpenAPI schemas are one set of numbers. Unknown
fields are refused: a typo in a PATCH must not look like success.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import EmailStr
from sqlmodel import Field, SQLModel
from sqlmodel._compat import SQLModelConfig

from survey.models.alerts import ActionStatus
from survey.models.people import TokenScope
from survey.models.projects import ProjectBase, StakeholderBase, StakeholderKind

CODE_PATTERN = r"^[A-Z0-9][A-Z0-9-]{1,19}$"
STRICT = SQLModelConfig(extra="forbid")


class ProjectCreate(ProjectBase):
    model_config = STRICT
    code: str = Field(max_length=20, schema_extra={"pattern": CODE_PATTERN})
    # Admins only: who manages the project. A PM always creates projects they manage.
    pm_email: EmailStr | None = None


class ProjectUpdate(SQLModel):
    model_config = STRICT
    name: str | None = Field(default=None, max_length=200, min_length=1)
    phase: str | None = Field(default=None, max_length=60)
    pm_email: EmailStr | None = None


class ProjectPublic(ProjectBase):
    id: int
    pm_id: int | None
    created_at: datetime
    updated_at: datetime


class StakeholderCreate(StakeholderBase):
    model_config = STRICT
    email: EmailStr


class StakeholderUpdate(SQLModel):
    model_config = STRICT
    name: str | None = Field(default=None, max_length=120, min_length=1)
    email: EmailStr | None = None
    title: str | None = Field(default=None, max_length=120)
    business_unit: str | None = Field(default=None, max_length=120)
    kind: StakeholderKind | None = None
    influence: int | None = Field(default=None, ge=1, le=5)
    interest: int | None = Field(default=None, ge=1, le=5)
    nervous: bool | None = None


class StakeholderPublic(StakeholderBase):
    id: int
    unsubscribed: bool
    created_at: datetime
    updated_at: datetime


class RelationshipCreate(SQLModel):
    model_config = STRICT
    project: str = Field(max_length=20, description="The project's code")
    stakeholder_id: int
    role: str = Field(default="", max_length=120)


class RelationshipUpdate(SQLModel):
    model_config = STRICT
    role: str | None = Field(default=None, max_length=120)
    active: bool | None = None


class RelationshipPublic(SQLModel):
    id: int
    project: str
    stakeholder_id: int
    role: str
    active: bool
    created_at: datetime
    updated_at: datetime


class ActionCreate(SQLModel):
    model_config = STRICT
    project: str = Field(max_length=20, description="The project's code")
    what: str = Field(min_length=1, max_length=500)
    owner: str = Field(default="", max_length=120)
    due_on: date | None = None
    alert_id: int | None = None


class ActionUpdate(SQLModel):
    model_config = STRICT
    status: ActionStatus | None = None
    share_with_stakeholders: bool | None = None


class ActionPublic(SQLModel):
    id: int
    project: str
    alert_id: int | None
    what: str
    owner: str
    due_on: date | None
    status: ActionStatus
    share_with_stakeholders: bool
    created_at: datetime
    closed_at: datetime | None
    updated_at: datetime


class TokenCreate(SQLModel):
    model_config = STRICT
    label: str = Field(min_length=1, max_length=120)
    scope: TokenScope = TokenScope.read
    expires_in_days: int = Field(default=365, ge=1, le=3650)


class TokenPublic(SQLModel):
    id: int
    label: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    revoked: bool

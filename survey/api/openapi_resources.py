"""OpenAPI paths and schemas for projects, stakeholders, relationships and actions.

Schemas come from the models' Create/Update/Public classes (model_json_schema), so the
document states the same limits that validate requests.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import SQLModel

from survey.api.paging import MAX_PAGE, MAX_PER_PAGE
from survey.models import ActionStatus
from survey.models.public import (
    ActionCreate,
    ActionPublic,
    ActionUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    RelationshipCreate,
    RelationshipPublic,
    RelationshipUpdate,
    StakeholderCreate,
    StakeholderPublic,
    StakeholderUpdate,
)

REF = "#/components/schemas/{model}"
ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
INPUTS = (
    ProjectCreate,
    ProjectUpdate,
    StakeholderCreate,
    StakeholderUpdate,
    RelationshipCreate,
    RelationshipUpdate,
    ActionCreate,
    ActionUpdate,
)
OUTPUTS = (ProjectPublic, StakeholderPublic, RelationshipPublic, ActionPublic)
PAGING = [
    {
        "name": "page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
    },
    {
        "name": "per_page",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PER_PAGE, "default": 50},
    },
    {
        "name": "updated_since",
        "in": "query",
        "required": False,
        "description": "Only rows changed at or after this time (ISO 8601 with a time zone)",
        "schema": {"type": "string", "format": "date-time"},
    },
]


def schemas() -> dict[str, Any]:
    """Component schemas generated from the model classes (enums become their own entries)."""
    out: dict[str, Any] = {}
    for model in INPUTS + OUTPUTS:
        mode = "serialization" if model in OUTPUTS else "validation"
        schema = model.model_json_schema(ref_template=REF, mode=mode)
        out.update(schema.pop("$defs", {}))
        out[model.__name__] = schema
    return out


def _ref(model: type[SQLModel]) -> dict[str, str]:
    return {"$ref": REF.format(model=model.__name__)}


def _one(key: str, model: type[SQLModel]) -> dict[str, Any]:
    schema = {"type": "object", "required": [key], "properties": {key: _ref(model)}}
    return {"content": {"application/json": {"schema": schema}}}


def _many(key: str, model: type[SQLModel]) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": [key, "page", "per_page", "total", "next"],
        "properties": {
            key: {"type": "array", "items": _ref(model)},
            "page": {"type": "integer"},
            "per_page": {"type": "integer"},
            "total": {"type": "integer"},
            "next": {"type": ["string", "null"], "description": "URL of the next page"},
        },
    }
    return {
        "content": {"application/json": {"schema": schema}},
        "headers": {"Link": {"schema": {"type": "string"}, "description": 'rel="next"/"prev"'}},
    }


def _path_param(name: str, kind: str = "integer") -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": kind}}


def _errors(*codes: str) -> dict[str, Any]:
    text = {
        "400": "Invalid input; `fields` says which",
        "401": "No valid token, or it expired or was revoked",
        "403": "Read-only token or viewer",
        "404": "Not found or not yours",
        "409": "Duplicates an existing record",
    }
    return {code: {"description": text[code], **ERROR} for code in codes}


def _list(summary: str, key: str, model: type[SQLModel], extra: list | None = None) -> dict:
    return {
        "summary": summary,
        "parameters": PAGING + (extra or []),
        "responses": {
            "200": {"description": "One page", **_many(key, model)},
            **_errors("400", "401"),
        },
    }


def _read(summary: str, key: str, model: type[SQLModel], param: dict) -> dict:
    return {
        "summary": summary,
        "parameters": [param],
        "responses": {"200": {"description": "OK", **_one(key, model)}, **_errors("401", "404")},
    }


def _write(
    summary: str, key: str, body: type[SQLModel], out: type[SQLModel], param: dict | None = None
) -> dict:
    creating = param is None
    ok = {"description": "Created" if creating else "Changed", **_one(key, out)}
    if creating:
        ok["headers"] = {"Location": {"schema": {"type": "string"}}}
    return {
        "summary": summary,
        "parameters": [param] if param else [],
        "requestBody": {"required": True, "content": {"application/json": {"schema": _ref(body)}}},
        "responses": {
            "201" if creating else "200": ok,
            **_errors("400", "401", "403", "404", "409"),
        },
    }


def paths() -> dict[str, Any]:
    """The resource paths, relative to the /api/v1 server."""
    code = _path_param("code", "string")
    stakeholder_id = _path_param("stakeholder_id")
    relationship_id = _path_param("relationship_id")
    action_id = _path_param("action_id")
    project_filter = {
        "name": "project",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
    }
    status_filter = {
        **project_filter,
        "name": "status",
        "schema": {"type": "string", "enum": [s.value for s in ActionStatus]},
    }
    projects = _list(
        "Projects you may see, with reported status and health", "projects", ProjectPublic
    )
    return {
        "/projects": {
            "get": projects,
            "post": _write(
                "Create a project (admins may name its PM)", "project", ProjectCreate, ProjectPublic
            ),
        },
        "/projects/{code}": {
            "get": _read("One project", "project", ProjectPublic, code),
            "patch": _write("Change a project", "project", ProjectUpdate, ProjectPublic, code),
        },
        "/projects/{code}/trend": {
            "get": {
                "summary": "The project's mean of each dimension and sentiment per wave",
                "parameters": [code],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    },
                    **_errors("401", "404"),
                },
            }
        },
        "/stakeholders": {
            "get": _list("Stakeholders you may see", "stakeholders", StakeholderPublic),
            "post": _write(
                "Add a stakeholder", "stakeholder", StakeholderCreate, StakeholderPublic
            ),
        },
        "/stakeholders/{stakeholder_id}": {
            "get": _read("One stakeholder", "stakeholder", StakeholderPublic, stakeholder_id),
            "patch": _write(
                "Change a stakeholder",
                "stakeholder",
                StakeholderUpdate,
                StakeholderPublic,
                stakeholder_id,
            ),
        },
        "/relationships": {
            "get": _list(
                "Relationships on projects you may see",
                "relationships",
                RelationshipPublic,
                [project_filter],
            ),
            "post": _write(
                "Put a stakeholder on a project",
                "relationship",
                RelationshipCreate,
                RelationshipPublic,
            ),
        },
        "/relationships/{relationship_id}": {
            "get": _read("One relationship", "relationship", RelationshipPublic, relationship_id),
            "patch": _write(
                "Change a relationship's role or active flag",
                "relationship",
                RelationshipUpdate,
                RelationshipPublic,
                relationship_id,
            ),
        },
        "/actions": {
            "get": _list(
                "Follow-up actions", "actions", ActionPublic, [project_filter, status_filter]
            ),
            "post": _write("Record a follow-up action", "action", ActionCreate, ActionPublic),
        },
        "/actions/{action_id}": {
            "get": _read("One follow-up action", "action", ActionPublic, action_id),
            "patch": _write(
                "Change an action's status", "action", ActionUpdate, ActionPublic, action_id
            ),
        },
    }

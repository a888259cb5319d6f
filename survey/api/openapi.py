"""The OpenAPI 3.1 document for /api/v1."""

from __future__ import annotations

from typing import Any

from survey import alert_filters
from survey.api import openapi_integrations, openapi_resources
from survey.theme_trends import LABELS

ERROR = {"$ref": "#/components/schemas/Error"}
POINT = {
    "type": "object",
    "properties": {
        "wave_id": {"type": "integer"},
        "answers": {"type": "integer"},
        **{
            name: {"type": ["number", "null"]}
            for name in ("satisfaction", "trust", "communication", "partnership", "estimates")
        },
        "sentiment": {"type": ["number", "null"], "minimum": -1, "maximum": 1},
    },
}

COUNT = {"type": ["integer", "null"], "minimum": 0}
THEME_COUNT = {
    "type": "object",
    "required": ["mentions", "by_sentiment"],
    "properties": {
        "mentions": COUNT,
        "by_sentiment": {
            "type": "object",
            "required": list(LABELS),
            "properties": dict.fromkeys(LABELS, COUNT),
        },
    },
}
THEME_WAVE = {
    "type": "object",
    "description": "null marks a count a confidential wave may not show: fewer than three "
    "people, or the whole wave withheld (`withheld` says why)",
    "required": [
        "wave_id",
        "title",
        "closes_at",
        "confidential",
        "withheld",
        "comments",
        "counts",
    ],
    "properties": {
        "wave_id": {"type": "integer"},
        "title": {"type": "string"},
        "closes_at": {"type": "string", "description": "ISO 8601"},
        "confidential": {"type": "boolean"},
        "withheld": {"type": ["string", "null"]},
        "comments": {**COUNT, "description": "Comments read in this wave"},
        "counts": {
            "type": "object",
            "description": "Every theme of `themes`: comments mentioning it, by sentiment",
            "additionalProperties": THEME_COUNT,
        },
    },
}
THEME_GRID = {
    "type": "object",
    "required": ["project", "themes", "waves"],
    "properties": {
        "project": {"type": "string"},
        "themes": {"type": "array", "items": {"type": "string"}},
        "waves": {"type": "array", "items": {"$ref": "#/components/schemas/ThemeWave"}},
    },
}


WAVE_ID = {"name": "wave_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _get(summary: str, schema: dict, params: list[dict] | None = None) -> dict[str, Any]:
    return {
        "get": {
            "summary": summary,
            "parameters": params or [],
            "responses": {
                "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                "401": {
                    "description": "No valid token",
                    "content": {"application/json": {"schema": ERROR}},
                },
                "404": {
                    "description": "Not found or not yours",
                    "content": {"application/json": {"schema": ERROR}},
                },
            },
        }
    }


def document() -> dict[str, Any]:
    """The API description, built from the same shapes the views return."""
    code = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
    rel_id = {
        "name": "relationship_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer"},
    }
    description = {
        "openapi": "3.1.0",
        "info": {"title": "Rapport API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {
                        "error": {
                            "type": "object",
                            "properties": {
                                "code": {"type": "string"},
                                "message": {"type": "string"},
                                "fields": {"type": "object"},
                            },
                        }
                    },
                },
                "TrendPoint": POINT,
                "ThemeWave": THEME_WAVE,
                **openapi_resources.schemas(),
            },
        },
        "paths": {
            **openapi_integrations.paths(),
            "/projects": _get("Projects you may see", {"type": "object"}),
            "/projects/{code}/relationships": _get(
                "Relationships of a project with their latest trend values",
                {"type": "object"},
                [code],
            ),
            "/relationships/{relationship_id}/trend": _get(
                "A relationship's trend over waves", {"type": "object"}, [rel_id]
            ),
            "/waves": {"post": _wave_post()},
            "/waves/{wave_id}": _get(
                "A wave's status and response rate on the projects of it you may see",
                {"type": "object"},
                [WAVE_ID],
            ),
            "/waves/{wave_id}/send": {
                "post": _wave_action(
                    "Confirm a draft wave: it opens, and mails, at its opening time",
                    {"409": "The wave is not a draft"},
                )
            },
            "/waves/{wave_id}/close": {
                "post": _wave_action("Close the wave now; reminders not yet sent are cancelled")
            },
            "/projects/{code}/themes": _get(
                "Comments mentioning each theme per wave, by sentiment", THEME_GRID, [code]
            ),
            "/projects/{code}/health": _get(
                "Measured health per closed wave and relationship, with the watermelon verdict",
                {"type": "object"},
                [code],
            ),
            "/projects/{code}/status": {
                **_get("Reported status history, oldest first", {"type": "object"}, [code]),
                "post": _status_post(code),
            },
            "/alerts": _get(
                "Alerts on projects you may see",
                {"type": "object"},
                [
                    {
                        "name": "project",
                        "in": "query",
                        "required": False,
                        "schema": {"type": "string"},
                    },
                    *(
                        {
                            "name": name,
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(values)},
                        }
                        for name, values in alert_filters.FILTERS.items()
                    ),
                ],
            ),
            **openapi_resources.paths(),
        },
    }
    _every_operation_may_refuse_input(description["paths"])
    return description


def _every_operation_may_refuse_input(paths: dict[str, Any]) -> None:
    """Document the 400 that any operation gives for input no column can hold.

    A NUL character in a path, query or body is refused before any view runs (see
    survey/web/input_guard.py), so even read operations can answer 400.
    """
    refused = {
        "description": "Invalid input; `fields` says which",
        "content": {"application/json": {"schema": ERROR}},
    }
    for operations in paths.values():
        for operation in operations.values():
            operation["responses"].setdefault("400", refused)


def _status_post(code: dict) -> dict[str, Any]:
    """POST /projects/{code}/status: a portfolio tool pushes the reported RAG status."""
    error = {"content": {"application/json": {"schema": ERROR}}}
    return {
        "summary": "Record the project's reported RAG status",
        "parameters": [code],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["status"],
                        "properties": {
                            "status": {"type": "string", "enum": ["green", "amber", "red"]},
                            "note": {"type": "string", "maxLength": 2000},
                            "reported_on": {"type": "string", "format": "date"},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": {
                "description": "Recorded",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            "400": {"description": "Invalid input; `fields` says which", **error},
            "401": {"description": "No valid token", **error},
            "403": {"description": "Read-only user", **error},
            "404": {"description": "Not found or not yours", **error},
        },
    }


def _wave_action(summary: str, more: dict[str, str] | None = None) -> dict[str, Any]:
    """POST /waves/{wave_id}/<action>: no body; answers with the wave as GET does."""
    error = {"content": {"application/json": {"schema": ERROR}}}
    refusals = {
        "401": "No valid token",
        "403": "Read-only token or user, or the wave mails projects you do not manage",
        "404": "Not found or not yours",
        **(more or {}),
    }
    return {
        "summary": summary,
        "parameters": [WAVE_ID],
        "responses": {
            "200": {
                "description": "The wave after the change",
                "content": {"application/json": {"schema": {"type": "object"}}},
            },
            **{status: {"description": why, **error} for status, why in refusals.items()},
        },
    }


def _wave_post() -> dict[str, Any]:
    """POST /waves: create a pulse wave (a draft unless "schedule" is true)."""
    error = {"content": {"application/json": {"schema": ERROR}}}
    when = {"type": "string", "format": "date-time"}
    return {
        "summary": "Create a pulse wave for projects you manage",
        "parameters": [],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["projects", "closes_at"],
                        "properties": {
                            "projects": {"type": "array", "items": {"type": "string"}},
                            "relationship_ids": {"type": "array", "items": {"type": "integer"}},
                            "opens_at": when,
                            "closes_at": when,
                            "reminder_days": {"type": "array", "items": {"type": "integer"}},
                            "attribution": {"enum": ["attributed", "confidential"]},
                            "title": {"type": "string", "maxLength": 200},
                            "schedule": {"type": "boolean"},
                        },
                    }
                }
            },
        },
        "responses": {
            "201": {"description": "Created, with who will not be invited now and why"},
            "400": {"description": "Invalid wave", **error},
            "401": {"description": "No valid token", **error},
            "403": {"description": "Viewers cannot create waves", **error},
        },
    }

"""OpenAPI paths for the integration endpoints: webhooks and project events."""

from __future__ import annotations

from typing import Any

from survey.models import ProjectEventKind
from survey.webhooks import KINDS

ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
JSON_OBJECT = {"content": {"application/json": {"schema": {"type": "object"}}}}
ENDPOINT_ID = {"name": "endpoint_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CODE = {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}}
ENDPOINT_FIELDS = {
    "url": {"type": "string", "format": "uri", "maxLength": 500},
    "events": {"type": "array", "items": {"enum": list(KINDS)}, "minItems": 1},
    "description": {"type": "string", "maxLength": 120},
    "active": {"type": "boolean"},
}


def _op(summary: str, ok: str, *, params: list | None = None, body: dict | None = None) -> dict:
    operation: dict[str, Any] = {
        "summary": summary,
        "parameters": params or [],
        "responses": {
            ok: {"description": "OK", **(JSON_OBJECT if ok != "204" else {})},
            "401": {"description": "No valid token", **ERROR},
            "404": {"description": "Not found or not yours", **ERROR},
        },
    }
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
        operation["responses"]["400"] = {
            "description": "Invalid input; `fields` says which",
            **ERROR,
        }
        operation["responses"]["403"] = {"description": "Read-only user", **ERROR}
    return operation


def paths() -> dict[str, Any]:
    """The paths of /webhooks and /projects/{code}/events."""
    endpoint_body = {"type": "object", "properties": ENDPOINT_FIELDS}
    create_body = {
        "type": "object",
        "required": ["url", "events"],
        "properties": {
            **ENDPOINT_FIELDS,
            "project": {"type": ["string", "null"], "description": "null: global (admins)"},
        },
    }
    event_body = {
        "type": "object",
        "required": ["kind"],
        "properties": {
            "kind": {"enum": [k.value for k in ProjectEventKind]},
            "note": {"type": "string", "maxLength": 500},
            "occurred_at": {"type": "string", "format": "date-time"},
            "external_id": {"type": "string", "maxLength": 120},
        },
    }
    idempotency = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "maxLength": 120},
    }
    post_event = _op(
        "Record a project event; a matching rule creates and schedules a pulse wave",
        "201",
        params=[CODE, idempotency],
        body=event_body,
    )
    post_event["responses"]["200"] = {"description": "A repeat of an earlier key", **JSON_OBJECT}
    return {
        "/webhooks": {
            "get": _op("Webhook endpoints you manage", "200"),
            "post": _op(
                "Add a webhook endpoint; the signing secret is in this response only",
                "201",
                body=create_body,
            ),
        },
        "/webhooks/{endpoint_id}": {
            "get": _op("One webhook endpoint (never its secret)", "200", params=[ENDPOINT_ID]),
            "post": _op(
                "Change or deactivate (active: false) a webhook endpoint",
                "200",
                params=[ENDPOINT_ID],
                body=endpoint_body,
            ),
        },
        "/webhooks/{endpoint_id}/deliveries": {
            "get": _op(
                "The endpoint's latest delivery attempts and pending retries",
                "200",
                params=[ENDPOINT_ID],
            )
        },
        "/projects/{code}/events": {
            "get": _op("The project's events and the waves they triggered", "200", params=[CODE]),
            "post": post_event,
        },
    }

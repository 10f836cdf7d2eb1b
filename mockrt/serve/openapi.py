"""The OpenAPI 3.1 document of the mock's HTTP side: the admin API (``mockrt.serve.admin``), the
REST endpoints of the live API the mock serves (``POST /v1/realtime/client_secrets``, the beta
``POST /v1/realtime/transcription_sessions``) and ``GET /healthz``.

``openapi_document()`` builds it from the same sources the server uses (the script's JSON Schema
comes from ``mockrt.contract.scriptfile``); ``docs/openapi.json`` is its copy in the repository,
kept current by tests/test_admin.py (regenerate it with
``python -m mockrt.serve.openapi > docs/openapi.json``), and ``GET /mockrt/openapi.json`` serves
it. Must never import aiohttp.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from mockrt.contract.scriptfile import script_schema

__all__ = ["openapi_document"]

JSON = dict[str, Any]
_REF = "#/components/schemas/"


def _json(schema: JSON, description: str) -> JSON:
    return {
        "description": description,
        "headers": _WORKER_HEADERS,
        "content": {"application/json": {"schema": schema}},
    }


def _ref(name: str) -> JSON:
    return {"$ref": _REF + name}


def _script_components() -> dict[str, JSON]:
    """The script's JSON Schema with its ``$defs`` moved to components (refs rewritten)."""
    raw = json.dumps(script_schema()).replace('"#/$defs/', f'"{_REF}Script_')
    schema: JSON = json.loads(raw)
    defs = schema.pop("$defs", {})
    for key in ("$schema", "$id"):
        schema.pop(key, None)
    return {"Script": schema, **{f"Script_{name}": value for name, value in defs.items()}}


_API_ERROR: JSON = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string"},
                "type": {"type": "string"},
                "code": {"type": ["string", "null"]},
                "param": {"type": ["string", "null"]},
            },
        }
    },
}
_ADMIN_ERROR: JSON = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message"],
            "properties": {"message": {"type": "string"}},
        }
    },
}
_SCRIPT_STATE: JSON = {
    "oneOf": [
        {"type": "null", "description": "the default transcripts ('turn N: X.XX s of speech')"},
        {
            "type": "object",
            "required": ["source", "turns"],
            "properties": {"source": {"type": "string"}, "turns": {"type": "integer"}},
        },
    ]
}
_CONFIG: JSON = {
    "type": "object",
    "required": ["version", "persona", "speed", "api_keys", "journal", "script", "options"],
    "properties": {
        "version": {"type": "string"},
        "persona": {"enum": ["ga", "beta"]},
        "speed": {"type": "number", "minimum": 0},
        "api_keys": {
            "description": "how many keys are accepted, or 'any sk-… key'",
            "type": ["integer", "string"],
        },
        "journal": {"type": ["string", "null"]},
        "script": _ref("ScriptState"),
        "options": {"type": "object", "description": "mockrt.core.options.Options"},
        "sessions": {
            "type": "object",
            "description": "with --workers N, every worker's sessions",
            "properties": {"live": {"type": "integer"}, "finished": {"type": "integer"}},
        },
        "workers": {
            "type": "integer",
            "minimum": 2,
            "description": "with --workers N (N > 1) only: N",
        },
    },
}
# mockrt serve --workers N: every response says which worker answered (absent with one process)
_WORKER_HEADERS: JSON = {
    "X-Mockrt-Worker": {
        "description": "with --workers N: the worker (1 to N) that answered, for all of them",
        "schema": {"type": "integer", "minimum": 1},
    },
    "X-Mockrt-Workers": {
        "description": "with --workers N: N",
        "schema": {"type": "integer", "minimum": 2},
    },
}
_SESSION: JSON = {
    "type": "object",
    "description": "the session the secret opens, as the live API returns it",
    "required": ["type"],
    "properties": {"type": {"enum": ["transcription", "realtime"]}},
}
_CLIENT_SECRET_REQUEST: JSON = {
    "type": "object",
    "properties": {
        "expires_after": {
            "type": ["object", "null"],
            "description": "null is taken as absent: 600 seconds (UNCONFIRMED: the live API's "
            "answer to null is not on record)",
            "properties": {
                "anchor": {"enum": ["created_at"]},
                "seconds": {"type": "integer", "minimum": 10, "maximum": 7200},
            },
        },
        "session": {"type": "object", "description": "a transcription or realtime session"},
    },
}
_CLIENT_SECRET: JSON = {
    "type": "object",
    "required": ["value", "expires_at", "session"],
    "properties": {
        "value": {"type": "string", "pattern": "^ek_"},
        "expires_at": {"type": "integer"},
        "session": _ref("Session"),
    },
}
_BETA_SESSION: JSON = {
    "type": "object",
    "required": ["client_secret"],
    "properties": {
        "client_secret": {
            "type": "object",
            "required": ["value", "expires_at"],
            "properties": {"value": {"type": "string"}, "expires_at": {"type": "integer"}},
        }
    },
}


def _admin(summary: str, ok: JSON, ok_text: str, **more: Any) -> JSON:
    responses = {
        "200": _json(ok, ok_text),
        "401": _json(_ref("AdminError"), "--api-key is set and no such key was sent"),
        "502": _json(_ref("AdminError"), "with --workers N: another worker did not answer"),
    }
    responses.update(more.pop("responses", {}))
    return {
        "summary": summary,
        "tags": ["admin"],
        "security": [{}, {"bearer": []}],
        "responses": responses,
        **more,
    }


def _rest(summary: str, body: JSON, ok: JSON, ok_text: str) -> JSON:
    return {
        "summary": summary,
        "tags": ["realtime"],
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {
            "200": _json(ok, ok_text),
            "400": _json(_ref("ApiError"), "the live API's error for the body"),
            "401": _json(_ref("ApiError"), "no key, or a key not accepted"),
        },
    }


@cache
def openapi_document() -> JSON:
    """The document, JSON-ready (OpenAPI 3.1, JSON Schema 2020-12)."""
    admin_error = {"400": _json(_ref("AdminError"), "not a valid script")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mockrt HTTP API",
            "version": "1.0.0",
            "description": "The admin API of the mockrt mock server (under /mockrt/) and the "
            "REST endpoints of the OpenAI Realtime API it serves. The WebSocket API is described "
            "by the AsyncAPI document (mockrt schemas export).",
            "license": {"name": "MIT", "identifier": "MIT"},
        },
        "servers": [{"url": "http://127.0.0.1:8000"}],
        "paths": {
            "/healthz": {
                "get": {
                    "summary": "200 once the mock listens",
                    "tags": ["admin"],
                    "responses": {
                        "200": _json(
                            {
                                "type": "object",
                                "required": ["status", "sessions"],
                                "properties": {
                                    "status": {"const": "ok"},
                                    "sessions": {"type": "integer", "minimum": 0},
                                },
                            },
                            "the mock is up; `sessions` are open now",
                        )
                    },
                }
            },
            "/mockrt/config": {
                "get": _admin("The running configuration", _ref("Config"), "configuration")
            },
            "/mockrt/script": {
                "put": _admin(
                    "Load or replace the script for sessions that open from now on",
                    _ref("ScriptState"),
                    "the script now in force",
                    requestBody={
                        "required": True,
                        "content": {"application/json": {"schema": _ref("Script")}},
                    },
                    responses=admin_error,
                ),
                "delete": _admin(
                    "Back to the script the server started with",
                    {
                        "type": "object",
                        "required": ["script"],
                        "properties": {"script": _ref("ScriptState")},
                    },
                    "the script now in force",
                ),
            },
            "/mockrt/reset": {
                "post": _admin(
                    "Close live sessions, forget sessions, journal, minted keys and ids",
                    {
                        "type": "object",
                        "required": ["closed", "cleared"],
                        "properties": {
                            "closed": {"type": "integer", "minimum": 0},
                            "cleared": {"type": "integer", "minimum": 0},
                        },
                    },
                    "sessions closed, and sessions forgotten (the closed ones included)",
                )
            },
            "/mockrt/journal": {
                "get": _admin(
                    "Every frame both ways, as in the --journal file",
                    {
                        "type": "object",
                        "required": ["entries"],
                        "properties": {
                            "entries": {
                                "type": "array",
                                "items": {
                                    "type": "object",
                                    "required": ["direction", "session", "event"],
                                    "properties": {
                                        "direction": {"enum": ["client", "server"]},
                                        "session": {"type": "string"},
                                    },
                                },
                            }
                        },
                    },
                    "the journal",
                )
            },
            "/mockrt/openapi.json": {
                "get": {
                    "summary": "This document",
                    "tags": ["admin"],
                    "responses": {
                        "200": _json(
                            {"type": "object", "required": ["openapi", "paths"]},
                            "the OpenAPI document",
                        )
                    },
                }
            },
            "/v1/realtime/client_secrets": {
                "post": _rest(
                    "Mint an ephemeral key (ek_…) for a session",
                    _CLIENT_SECRET_REQUEST,
                    _CLIENT_SECRET,
                    "the key and its session",
                )
            },
            "/v1/realtime/transcription_sessions": {
                "post": _rest(
                    "Beta: a transcription session with its client_secret (refused by --persona "
                    "ga, as the beta API is gone live)",
                    {"type": "object"},
                    _BETA_SESSION,
                    "the beta session (--persona beta)",
                )
            },
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "ApiError": _API_ERROR,
                "AdminError": _ADMIN_ERROR,
                "Config": _CONFIG,
                "ScriptState": _SCRIPT_STATE,
                "Session": _SESSION,
                **_script_components(),
            },
        },
    }


if __name__ == "__main__":
    print(json.dumps(openapi_document(), indent=2, ensure_ascii=False))

"""The AsyncAPI 3.0 document of the transcription WebSocket API, generated from the same models as
schemas/ (``mockrt.contract.schema.documents()``): one channel per persona (``ga``: the live API
today; ``beta``: the retired ``OpenAI-Beta: realtime=v1`` shapes), one message per event type and
direction, a ``send`` operation (client events) and a ``receive`` operation (server events) per
channel, and every schema under ``components.schemas`` with its references made local.

``mockrt schemas export DIR`` writes it as ``DIR/asyncapi.yaml`` (YAML, so that the JSON Schema
checks of schemas/, which read every ``*.json`` there, leave it alone) and ``mockrt schemas check``
compares it; the tests validate it against the AsyncAPI 3.0.0 JSON Schema (vendored in
tests/data/asyncapi/). Pure; must never import aiohttp or websockets.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from mockrt.contract import schema
from mockrt.contract.schema import BASE_URI, EVENT_UNIONS

__all__ = [
    "ASYNCAPI_FILE",
    "asyncapi_document",
    "check_asyncapi",
    "export_asyncapi",
    "render_asyncapi",
]

ASYNCAPI_FILE = "asyncapi.yaml"
JSON = dict[str, Any]
_REF = re.compile(re.escape(BASE_URI) + r"([^\"#]+)\.json")
_CHANNEL_TEXT = {
    "ga": "The live API today (GA). A session begins with session.created; a transcription "
    "session is configured with session.update whose session.type is 'transcription' "
    "(docs/protocol.md §2).",
    "beta": "The retired beta shapes, served by `mockrt serve --persona beta` to clients that "
    "send `OpenAI-Beta: realtime=v1` (transcription_session.update/created/updated); the live "
    "API refuses them since the beta shutdown (docs/protocol.md §1.5).",
}


def _key(path: str) -> str:
    """``ga/client/session.update`` -> ``ga.client.session.update`` (a component key)."""
    return path.replace("/", ".")


def _local(doc: JSON) -> JSON:
    """A schemas/ document as a component: no ``$schema``/``$id``, references made local."""
    body = {k: v for k, v in doc.items() if k not in ("$schema", "$id")}
    text = _REF.sub(lambda m: f"#/components/schemas/{_key(m.group(1))}", json.dumps(body))
    result: JSON = json.loads(text)
    return result


@cache
def asyncapi_document() -> JSON:
    """The document, JSON-ready."""
    docs = schema.documents()
    schemas = {_key(path.removesuffix(".json")): _local(doc) for path, doc in docs.items()}
    messages: JSON = {}
    channels: JSON = {}
    operations: JSON = {}
    for persona, direction in EVENT_UNIONS:
        names = []
        for event_type in schema.event_types(persona, direction):
            key = _key(f"{persona}/{direction}/{event_type}")
            messages[key] = {
                "name": event_type,
                "title": f"{event_type} ({direction}, {persona})",
                "contentType": "application/json",
                "payload": {"$ref": f"#/components/schemas/{key}"},
            }
            names.append(key)
        channel = channels.setdefault(
            persona,
            {
                "address": "/v1/realtime",
                "title": f"Realtime transcription session ({persona})",
                "description": _CHANNEL_TEXT[persona],
                "messages": {},
                "bindings": {"ws": _ws_binding(persona)},
            },
        )
        channel["messages"].update({k: {"$ref": f"#/components/messages/{k}"} for k in names})
        action = "send" if direction == "client" else "receive"
        operations[f"{persona}.{action}"] = {
            "action": action,
            "title": f"{'Client' if direction == 'client' else 'Server'} events ({persona})",
            "summary": "What a client sends"
            if direction == "client"
            else "What the server sends to a client",
            "channel": {"$ref": f"#/channels/{persona}"},
            "messages": [{"$ref": f"#/channels/{persona}/messages/{k}"} for k in names],
        }
    return {
        "asyncapi": "3.0.0",
        "id": "urn:mockrt:openai-realtime-transcription",
        "info": {
            "title": "OpenAI Realtime API, transcription mode (as mockrt serves it)",
            "version": "1.0.0",
            "description": "The WebSocket API of wss://api.openai.com/v1/realtime?intent="
            "transcription as mockrt models it: every client and server event with its schema, "
            "generated from the same models as mockrt's schemas/. Where live behaviour is "
            "unknown the schemas follow the choices documented in docs/protocol.md.",
            "license": {"name": "MIT", "url": "https://opensource.org/license/mit"},
        },
        "defaultContentType": "application/json",
        "servers": {
            "live": {
                "host": "api.openai.com",
                "protocol": "wss",
                "description": "The live API",
                "security": [{"$ref": "#/components/securitySchemes/bearer"}],
            },
            "mock": {
                "host": "127.0.0.1:8000",
                "protocol": "ws",
                "description": "mockrt serve (any sk-… key unless --api-key is set)",
                "security": [{"$ref": "#/components/securitySchemes/bearer"}],
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": messages,
            "securitySchemes": {
                "bearer": {
                    "type": "httpApiKey",
                    "name": "Authorization",
                    "in": "header",
                    "description": "Authorization: Bearer sk-… (or an ek_… client secret); "
                    "browsers send it as the subprotocol openai-insecure-api-key.<key>",
                }
            },
        },
    }


def _ws_binding(persona: str) -> JSON:
    headers: JSON = {
        "type": "object",
        "properties": {"Authorization": {"type": "string", "pattern": "^Bearer "}},
    }
    if persona == "beta":
        headers["properties"]["OpenAI-Beta"] = {"const": "realtime=v1"}
        headers["required"] = ["OpenAI-Beta"]
    return {
        "method": "GET",
        "query": {
            "type": "object",
            "properties": {"intent": {"const": "transcription"}},
            "required": ["intent"],
        },
        "headers": headers,
        "bindingVersion": "0.1.0",
    }


def render_asyncapi() -> str:
    """As written to disk: YAML in the document's own key order."""
    header = "# Generated by `mockrt schemas export` from mockrt's models; do not edit.\n"
    return header + yaml.safe_dump(asyncapi_document(), sort_keys=False, allow_unicode=True)


def check_asyncapi(directory: Path) -> list[str]:
    """Problems of ``directory/asyncapi.yaml`` against the generated document (empty: current)."""
    target = directory / ASYNCAPI_FILE
    if not target.exists():
        return [f"missing: {ASYNCAPI_FILE}"]
    if target.read_text("utf-8") != render_asyncapi():
        return [f"differs: {ASYNCAPI_FILE} (run mockrt schemas export {directory})"]
    return []


def export_asyncapi(directory: Path) -> Path:
    target = directory / ASYNCAPI_FILE
    target.write_text(render_asyncapi(), "utf-8")
    return target

"""The JSON Schema contract (schemas/): generated from the pydantic wire models, and checked.

The models of ``mockrt.core`` and ``mockrt.core.beta`` (plus the client_secrets REST bodies
below) are the one source of truth; ``documents()`` renders them as draft 2020-12 documents, one per
event type, per persona (ga, beta) and direction, plus shared definitions under ``common/`` and one
union per direction that picks the per-type schema by ``type``. Every ``$id`` lives under
``https://mockrt.dev/schemas/`` and resolves locally (``mockrt.contract.validator.registry``);
nothing is ever fetched. Client schemas describe what the mock accepts (pydantic validation
mode); server schemas what it emits (serialization mode: a field is required unless it is left
out when null). Checking events against these documents is ``mockrt.contract.validator``'s job.
Pure except for reading and writing schema files. Must never import aiohttp, websockets or
asyncio.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator, Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode, models_json_schema
from pydantic_core import core_schema

from mockrt.core import beta, client_events, server_events, session_objects

__all__ = [
    "BASE_URI",
    "DIALECT",
    "EVENT_UNIONS",
    "REST_BODIES",
    "SCHEMAS_DIR",
    "ClientSecretCreateRequest",
    "ClientSecretCreateResponse",
    "Direction",
    "ExpiresAfter",
    "Persona",
    "check",
    "documents",
    "event_types",
    "export",
    "load",
    "render",
    "schema_id",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_URI = "https://mockrt.dev/schemas/"
# The checked-in contract, next to the package in a source checkout.
SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"  # the checkout's schemas/

Persona = Literal["ga", "beta"]
Direction = Literal["client", "server"]


# --- REST bodies of POST /v1/realtime/client_secrets (mirrors handshake.create_client_secret) -----


class ExpiresAfter(BaseModel):
    """client_secret_create_params.ExpiresAfter: "The anchor point for the client secret
    expiration, meaning that `seconds` will be added to the `created_at` time"."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    anchor: Literal["created_at"] = Field(
        default="created_at", description='"Only `created_at` is currently supported."'
    )
    seconds: int = Field(
        default=600,
        ge=10,
        le=7200,
        description='"Select a value between `10` and `7200` (2 hours). This default to 600 '
        'seconds (10 minutes) if not specified."',
    )


def _realtime_default() -> session_objects.RealtimeSessionRequest:
    return session_objects.RealtimeSessionRequest(type="realtime")


class ClientSecretCreateRequest(BaseModel):
    """The body of ``POST /v1/realtime/client_secrets``; without ``session`` a realtime session
    is configured."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    expires_after: ExpiresAfter | None = None
    session: session_objects.SessionRequest = Field(
        default_factory=_realtime_default,
        description='"Session configuration to use for the client secret. Choose either a '
        'realtime session or a transcription session."',
    )


class ClientSecretCreateResponse(BaseModel):
    """ "Response from creating a session and client secret for the Realtime API."."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(description='"The generated client secret value."')
    expires_at: int = Field(
        description='"Expiration timestamp for the client secret, in seconds since epoch."'
    )
    session: session_objects.AnySession


# --- tables: persona = data ------------------------------------------------------------------

EVENT_UNIONS: dict[tuple[Persona, Direction], Any] = {
    ("ga", "client"): client_events.ClientEvent,
    ("ga", "server"): server_events.ServerEvent,
    ("beta", "client"): beta.BetaClientEvent,
    ("beta", "server"): beta.BetaServerEvent,
}

REST_BODIES: dict[str, tuple[type[BaseModel], JsonSchemaMode]] = {
    "ga/rest/client_secrets.request": (ClientSecretCreateRequest, "validation"),
    "ga/rest/client_secrets.response": (ClientSecretCreateResponse, "serialization"),
    "beta/rest/transcription_sessions.request": (
        beta.TranscriptionSessionCreateRequest,
        "validation",
    ),
    "beta/rest/transcription_sessions.response": (
        beta.TranscriptionSessionCreateResponse,
        "serialization",
    ),
}


def _members(union: Any) -> tuple[type[BaseModel], ...]:
    """The models of an ``Annotated[A | B | ..., Field(discriminator=...)]`` union."""
    inner = get_args(union)[0]
    return tuple(get_args(inner))


def _event_type(model: type[BaseModel]) -> str:
    (value,) = get_args(model.model_fields["type"].annotation)
    return str(value)


def event_types(persona: Persona, direction: Direction) -> dict[str, type[BaseModel]]:
    """Event type -> model for one persona and direction, in union order."""
    return {_event_type(m): m for m in _members(EVENT_UNIONS[persona, direction])}


def schema_id(path: str) -> str:
    """The ``$id`` of the document at ``path`` (relative, without ``.json``)."""
    return f"{BASE_URI}{path}.json"


# --- generation ---------------------------------------------------------------------------------


class _Generator(GenerateJsonSchema):
    """Serialization mode: a field is required unless it is left out when null (exclude_if)."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        if self.mode == "serialization" and field["type"] == "model-field":
            return field.get("serialization_exclude_if") is None
        return super().field_is_required(field, total)


def _def_name(name: str) -> str:
    # A model rendered differently per mode: "AudioPCM-Input" (request), "AudioPCM-Output" (echo).
    if name.endswith("-Input"):
        return name[: -len("-Input")]
    if name.endswith("-Output"):
        return name[: -len("-Output")] + "Out"
    return name


def _entries() -> list[tuple[str, type[BaseModel], JsonSchemaMode]]:
    out: list[tuple[str, type[BaseModel], JsonSchemaMode]] = []
    for (persona, direction), _union in EVENT_UNIONS.items():
        mode: JsonSchemaMode = "validation" if direction == "client" else "serialization"
        for event_type, model in event_types(persona, direction).items():
            out.append((f"{persona}/{direction}/{event_type}", model, mode))
    for path, (model, mode) in REST_BODIES.items():
        out.append((path, model, mode))
    return out


def _sdk_descriptions() -> dict[str, dict[str, str]]:
    text = resources.files("mockrt").joinpath("data/sdk_descriptions.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


def _rewrite(node: Any, homes: Mapping[str, str]) -> Any:
    """Point ``#/$defs/X`` refs at X's document; drop OpenAPI's ``discriminator`` and the
    titles pydantic gives every property."""
    if isinstance(node, list):
        return [_rewrite(v, homes) for v in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = schema_id(homes[_def_name(value[len("#/$defs/") :])])
        elif key == "discriminator" and isinstance(value, dict):
            continue
        elif key == "properties" and isinstance(value, dict):
            out[key] = {
                name: _rewrite({k: v for k, v in sub.items() if k != "title"}, homes)
                for name, sub in value.items()
            }
        else:
            out[key] = _rewrite(value, homes)
    return out


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _describe(doc: dict[str, Any], quotes: Mapping[str, str]) -> None:
    """Put the SDK's docstrings (quoted, with their source) on an event and its fields."""
    own = doc.get("description")
    sdk = quotes.get("")
    if sdk:
        doc["description"] = sdk if not own else f"{sdk}\n\nmockrt: {own}"
    for name, sub in doc.get("properties", {}).items():
        if name in quotes and "description" not in sub:
            sub["description"] = quotes[name]


def documents() -> dict[str, dict[str, Any]]:
    """Every schema document, keyed by its path relative to schemas/ (``ga/client.json``)."""
    entries = _entries()
    pairs = list(dict.fromkeys((model, mode) for _, model, mode in entries))
    refs, top = models_json_schema(pairs, schema_generator=_Generator)
    defs = {_def_name(name): schema for name, schema in top["$defs"].items()}
    referenced = {
        _def_name(ref[len("#/$defs/") :]) for ref in _refs(top["$defs"]) if ref.startswith("#/")
    }
    homes: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for path, model, mode in entries:
        name = _def_name(refs[model, mode]["$ref"][len("#/$defs/") :])
        if name in homes or name in referenced:
            aliases[path] = name  # a shared shape: its own file lives in common/
        else:
            homes[name] = path
    for name in defs:
        homes.setdefault(name, f"common/{name}")
    descriptions = _sdk_descriptions()
    docs: dict[str, dict[str, Any]] = {}
    for name, schema in defs.items():
        path = homes[name]
        doc = _rewrite(schema, homes)
        _describe(doc, descriptions.get(path, {}))
        docs[path] = {"$schema": DIALECT, "$id": schema_id(path), **doc}
    for path, name in aliases.items():
        docs[path] = {
            "$schema": DIALECT,
            "$id": schema_id(path),
            "title": path.rsplit("/", 1)[-1],
            "description": f"The same shape as {homes[name]}.json.",
            "$ref": schema_id(homes[name]),
        }
    for persona, direction in EVENT_UNIONS:
        path = f"{persona}/{direction}"
        docs[path] = _union(persona, direction)
    return {f"{path}.json": docs[path] for path in sorted(docs)}


def _union(persona: Persona, direction: Direction) -> dict[str, Any]:
    """One direction's union: ``type`` picks the per-type schema (if/then, not a oneOf)."""
    types = list(event_types(persona, direction))
    return {
        "$schema": DIALECT,
        "$id": schema_id(f"{persona}/{direction}"),
        "title": f"{persona} {direction} events",
        "description": f"Every {direction} event of the {persona} persona in transcription mode; "
        "the `type` member selects the event's own schema.",
        "type": "object",
        "required": ["type"],
        "properties": {"type": {"enum": types}},
        "allOf": [
            {
                "if": {"properties": {"type": {"const": t}}, "required": ["type"]},
                "then": {"$ref": schema_id(f"{persona}/{direction}/{t}")},
            }
            for t in types
        ],
    }


def render(doc: Mapping[str, Any]) -> str:
    """A document as written to disk: sorted keys, two-space indent, trailing newline."""
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def _rendered() -> dict[str, str]:
    return {path: render(doc) for path, doc in documents().items()}


def _on_disk(directory: Path) -> dict[str, str]:
    return {
        p.relative_to(directory).as_posix(): p.read_text("utf-8")
        for p in sorted(directory.rglob("*.json"))
    }


def export(directory: Path) -> list[Path]:
    """Write every document under ``directory`` and remove stale ``.json`` files there."""
    wanted = _rendered()
    for stale in set(_on_disk(directory)) - set(wanted) if directory.exists() else ():
        (directory / stale).unlink()
    written: list[Path] = []
    for path, text in wanted.items():
        target = directory / path
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists() or target.read_text("utf-8") != text:
            target.write_text(text, "utf-8")
        written.append(target)
    return written


def check(directory: Path) -> list[str]:
    """How ``directory`` differs from what ``export`` would write (empty when up to date)."""
    wanted = _rendered()
    have = _on_disk(directory) if directory.exists() else {}
    problems = [f"missing: {p}" for p in sorted(set(wanted) - set(have))]
    problems += [f"stale (not generated): {p}" for p in sorted(set(have) - set(wanted))]
    for path in sorted(set(wanted) & set(have)):
        if wanted[path] != have[path]:
            diff = difflib.unified_diff(
                have[path].splitlines(), wanted[path].splitlines(), path, "generated", lineterm=""
            )
            problems.append(f"differs: {path}\n" + "\n".join(list(diff)[:40]))
    return problems


def load(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """The documents of ``directory``, or the generated ones when it is None."""
    if directory is None:
        return {path: json.loads(text) for path, text in _rendered().items()}
    return {path: json.loads(text) for path, text in _on_disk(directory).items()}

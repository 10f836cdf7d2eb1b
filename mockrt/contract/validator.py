"""Checking events against the JSON Schema contract: readable violations, per persona and side.

``validate_event(event, persona, direction)`` validates one event with the per-type schema its
``type`` selects and returns ``SchemaViolation``s (JSON pointer, message, ``schema:<keyword>``):
a missing or unexpected property points at the property, a union points into the branch the
instance meant. ``registry()`` resolves every ``$id`` locally; nothing is ever fetched. The
documents come from ``mockrt.contract.schema`` (generated, or a schemas/ directory). Must never
import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockrt.contract.schema import Direction, Persona, event_types, load

__all__ = [
    "EventValidator",
    "SchemaViolation",
    "registry",
    "validate_event",
    "validator_for",
]


@dataclass(frozen=True)
class SchemaViolation:
    """One way an instance breaks the contract: where (JSON pointer), what, which keyword."""

    pointer: str
    message: str
    rule: str  # "schema:<keyword>", e.g. "schema:required"


def registry(directory: Path | None = None) -> Registry[Any]:
    """Every document of ``directory`` (None: the generated contract) by ``$id``. Nothing is
    retrieved from elsewhere: an unknown ``$ref`` is an error, never a network fetch."""
    docs = load(directory)
    resources = [(str(d["$id"]), Resource.from_contents(d, DRAFT202012)) for d in docs.values()]
    return Registry().with_resources(resources)


class EventValidator:
    """Validates events of one persona and direction: ``type`` picks the per-type schema."""

    def __init__(self, persona: Persona, direction: Direction, directory: Path | None) -> None:
        docs = load(directory)
        reg = registry(directory)
        self.persona = persona
        self.direction = direction
        self.types = list(event_types(persona, direction))
        self._by_type = {
            t: Draft202012Validator(docs[f"{persona}/{direction}/{t}.json"], registry=reg)
            for t in self.types
        }

    def validate(self, event: object) -> list[SchemaViolation]:
        """Every violation of ``event``; empty when it conforms."""
        if not isinstance(event, dict):
            return [SchemaViolation("", f"{event!r} is not of type 'object'", "schema:type")]
        kind = event.get("type")
        if "type" not in event:
            return [SchemaViolation("/type", "'type' is a required property", "schema:required")]
        if not isinstance(kind, str) or kind not in self._by_type:
            return [SchemaViolation("/type", f"{kind!r} is not one of {self.types}", "schema:enum")]
        found: list[SchemaViolation] = []
        for error in self._by_type[kind].iter_errors(event):
            found += _violations(error)
        return sorted(set(found), key=lambda v: (v.pointer, v.rule, v.message))


@cache
def validator_for(
    persona: Persona, direction: Direction, directory: Path | None = None
) -> EventValidator:
    """The (cached) validator for one persona and direction."""
    return EventValidator(persona, direction, directory)


def validate_event(
    event: object,
    persona: Persona = "ga",
    direction: Direction = "server",
    directory: Path | None = None,
) -> list[SchemaViolation]:
    """Violations of one event against the contract (empty when it conforms)."""
    return validator_for(persona, direction, directory).validate(event)


def _pointer(path: Iterable[object]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _violations(error: ValidationError) -> list[SchemaViolation]:
    """Readable violations for one jsonschema error: a missing or unexpected property points at
    the property, and a union (anyOf/oneOf) points into the branch the instance meant."""
    where = _pointer(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "required" and isinstance(error.instance, dict):
        wanted = error.validator_value if isinstance(error.validator_value, list) else []
        missing = [p for p in wanted if p not in error.instance]
        return [
            SchemaViolation(f"{where}/{p}", f"{p!r} is a required property", "schema:required")
            for p in missing
            if error.message.startswith(repr(p))
        ] or [SchemaViolation(where, error.message, "schema:required")]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        return [
            SchemaViolation(
                f"{where}/{p}",
                f"Additional properties are not allowed ({p!r} was unexpected)",
                "schema:additionalProperties",
            )
            for p in error.instance
            if p not in known
        ]
    if keyword in ("anyOf", "oneOf") and error.context:
        return _branch_violations(error, where)
    return [SchemaViolation(where, error.message, f"schema:{keyword}")]


def _branch_violations(error: ValidationError, where: str) -> list[SchemaViolation]:
    branches: dict[int, list[ValidationError]] = {}
    for sub in error.context or ():
        branches.setdefault(int(sub.schema_path[0]), []).append(sub)
    options = error.validator_value if isinstance(error.validator_value, list) else []
    live = {i: errs for i, errs in branches.items() if options[i] != {"type": "null"}}
    # A tagged union: the branches whose "type" is not the one the instance has drop out.
    meant = {
        i: errs
        for i, errs in live.items()
        if not any(list(e.relative_path) == ["type"] and e.validator == "const" for e in errs)
    }
    if len(meant) == 1:
        (errs,) = meant.values()
        return [v for e in errs for v in _violations(e)]
    untagged = isinstance(error.instance, dict) and "type" not in error.instance
    if untagged and live and all(_misses_type(errs) for errs in live.values()):
        return [
            SchemaViolation(f"{where}/type", "'type' is a required property", "schema:required")
        ]
    if not meant and live and isinstance(error.instance, dict) and "type" in error.instance:
        tags = sorted(
            str(e.validator_value) for errs in live.values() for e in errs if e.validator == "const"
        )
        message = f"{error.instance['type']!r} is not one of {tags}"
        return [SchemaViolation(f"{where}/type", message, "schema:enum")]
    return [SchemaViolation(where, error.message, f"schema:{error.validator}")]


def _misses_type(errors: list[ValidationError]) -> bool:
    return any(e.validator == "required" and e.message.startswith("'type'") for e in errors)

"""The base of every wire model and the one way a server event becomes JSON.

Client models are strict (unknown keys are errors, no coercion), as the live server is; server
models are what mockrt emits. Every wire model and union adapter builds its validator on first
use (``defer_build``, ``DEFERRED``), not at import: ``mockrt serve`` starts without building the
models a session may never use (issue 15; ``mockrt.core.warmup`` builds the rest ahead).
Must never import aiohttp or websockets, nor any other mockrt module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CLEARS",
    "DEFERRED",
    "ClientModel",
    "NullClears",
    "ServerModel",
    "dump",
    "omit_none",
]


@dataclass(frozen=True)
class NullClears:
    """``Annotated`` metadata of a client model field: ``null`` there clears the field; on any
    other field ``null`` is a type error (``mockrt.core.nullability``, protocol.md §11)."""


CLEARS = NullClears()

# The config of a union's ``TypeAdapter``: built on first use, like the models it holds.
DEFERRED = ConfigDict(defer_build=True)


def omit_none(value: object) -> bool:
    """``exclude_if`` for optional fields the live API leaves out when unset."""
    return value is None


class ClientModel(BaseModel):
    """A model of what a client sends: strict, unknown keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class ServerModel(BaseModel):
    """A model of what the server sends: unknown keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def dump(event: BaseModel) -> dict[str, Any]:
    """The event as the JSON object sent on the wire."""
    return event.model_dump(mode="json")

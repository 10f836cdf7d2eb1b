"""The vocabulary of the SDK drift check: a ``Drift``, the allow-list of deliberate ones, and the
``Target`` pairs (our document, the SDK type) the check compares.

``allowlist()`` and ``out_of_scope()`` read ``mockrt/data/sdk_allowlist.json``: each entry is a
deliberate difference where live behaviour (protocol.md) differs from the SDK, with its reason.
Imports neither openai nor any other drift-check module (``sdkcheck``, ``sdkshape`` and
``sdkinstances`` import this one); must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from typing import Any

from mockrt.contract.schema import Direction, Persona

__all__ = ["Allowed", "Drift", "Target", "allowlist", "allowlist_data", "out_of_scope"]


@dataclass(frozen=True, order=True)
class Drift:
    """One disagreement between schemas/ and the SDK."""

    persona: str
    direction: str
    event: str
    pointer: str
    aspect: str  # coverage | out-of-scope | property | required | enum | type | null | ...
    ours: str
    theirs: str

    def __str__(self) -> str:
        where = self.pointer or "/"
        return (
            f"{self.persona} {self.direction} {self.event} {where} [{self.aspect}]: "
            f"ours {self.ours}; theirs {self.theirs}"
        )


@dataclass(frozen=True)
class Allowed:
    """An allow-list entry: a deliberate difference and why. Event and pointer are globs."""

    persona: str
    direction: str
    events: tuple[str, ...]
    pointers: tuple[str, ...]
    aspects: tuple[str, ...]
    reason: str

    def matches(self, drift: Drift) -> bool:
        return (
            fnmatchcase(drift.persona, self.persona)
            and fnmatchcase(drift.direction, self.direction)
            and any(fnmatchcase(drift.event, e) for e in self.events)
            and any(fnmatchcase(drift.pointer, p) for p in self.pointers)
            and drift.aspect in self.aspects
        )

    def __str__(self) -> str:
        return (
            f"{self.persona} {self.direction} {'|'.join(self.events)} "
            f"{'|'.join(self.pointers)} [{'|'.join(self.aspects)}]"
        )


@dataclass(frozen=True)
class Target:
    """One of our documents and the SDK type it is compared with."""

    persona: Persona
    direction: Direction
    name: str  # the event type, or the REST document's path
    path: str  # our document, relative to schemas/, without .json
    sdk: Any = field(compare=False)


def allowlist_data() -> dict[str, Any]:
    """The allow-list file as it is (``openai``: the SDK version it was reviewed against)."""
    text = resources.files("mockrt").joinpath("data/sdk_allowlist.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def allowlist() -> list[Allowed]:
    return [
        Allowed(
            e.get("persona", "*"),
            e.get("direction", "*"),
            tuple(e["events"]),
            tuple(e.get("pointers", [""])),
            tuple(e["aspects"]),
            e["reason"],
        )
        for e in allowlist_data()["allowed"]
    ]


def out_of_scope(persona: Persona, direction: Direction) -> dict[str, str]:
    """SDK event types (globs) outside transcription mode, with the reason."""
    scoped: dict[str, str] = allowlist_data()["out_of_scope"][persona][direction]
    return scoped

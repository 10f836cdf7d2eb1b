"""The drift check: schemas/ against the types of the installed openai SDK, an independent oracle.

Three checks, each listing disagreements as ``Drift(persona, direction, event, pointer, aspect,
ours, theirs)`` (``mockrt.contract.drift``):

1. coverage (here): every event type of the SDK's unions (``openai.types.realtime``,
   ``openai.types.beta.realtime``) is in our union for that persona and direction, or declared
   out of scope for transcription mode (with the reason) in ``data/sdk_allowlist.json``, and
   vice versa;
2. shape, per JSON pointer (``mockrt.contract.sdkshape``): properties, ``required``,
   Literal/enum values, JSON types and null, by the direction's compatibility rule;
3. instances (``mockrt.contract.sdkinstances``): hypothesis-jsonschema generates instances from
   our schema of each event and the SDK's pydantic model must validate them.

``check_against_sdk`` runs all three and sorts the drifts into unexpected and allowed.
Deliberate differences, where live behaviour (protocol.md) differs from the SDK, are kept in the
allow-list with their reason; an entry that matches nothing is itself reported, so the list
cannot rot. Never imports aiohttp or websockets itself (``import openai`` loads aiohttp
when it is installed; only the tests and ``--against-sdk`` import this module).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path

import openai

from mockrt.contract import schema
from mockrt.contract.drift import Allowed, Drift, Target, allowlist, allowlist_data, out_of_scope
from mockrt.contract.schema import Direction, Persona
from mockrt.contract.sdkinstances import instances
from mockrt.contract.sdkshape import compare
from mockrt.contract.sdktypes import SDK_REST, sdk_descriptions, sdk_event_types

__all__ = ["Report", "check_against_sdk", "coverage", "sdk_version", "targets"]


def sdk_version() -> str:
    return str(openai.__version__)


@dataclass(frozen=True)
class Report:
    sdk_version: str
    reviewed_version: str
    unexpected: list[Drift]
    allowed: list[tuple[Drift, Allowed]]
    unused: list[Allowed]

    @property
    def ok(self) -> bool:
        return not self.unexpected and not self.unused

    def lines(self) -> list[str]:
        out = [f"openai=={self.sdk_version} (allow-list reviewed against {self.reviewed_version})"]
        out += [f"DRIFT {d}" for d in self.unexpected]
        out += [f"UNUSED ALLOW-LIST ENTRY {a}" for a in self.unused]
        out += [f"allowed {d} -- {a.reason}" for d, a in self.allowed]
        return out


def coverage(persona: Persona, direction: Direction) -> list[Drift]:
    """Event types on one side only, and out-of-scope declarations that no longer apply."""
    ours = schema.event_types(persona, direction)
    theirs = sdk_event_types(persona, direction)
    scoped = out_of_scope(persona, direction)
    drifts: list[Drift] = []

    def drift(event: str, aspect: str, our: str, their: str) -> None:
        drifts.append(Drift(persona, direction, event, "", aspect, our, their))

    for event in sorted(set(ours) - set(theirs)):
        drift(event, "coverage", "modelled", "not in the SDK union")
    for event in sorted(set(theirs) - set(ours)):
        if not any(fnmatchcase(event, pattern) for pattern in scoped):
            drift(event, "coverage", "not modelled", theirs[event].__name__)
    for pattern in sorted(scoped):
        if not any(fnmatchcase(t, pattern) for t in set(theirs) - set(ours)):
            drift(pattern, "out-of-scope", "declared out of scope", "matches no unmodelled type")
    return drifts


def targets() -> list[Target]:
    out: list[Target] = []
    for persona, direction in schema.EVENT_UNIONS:
        theirs = sdk_event_types(persona, direction)
        for event in schema.event_types(persona, direction):
            if event in theirs:
                path = f"{persona}/{direction}/{event}"
                out.append(Target(persona, direction, event, path, theirs[event]))
    out += [Target(p, d, path, path, sdk) for path, (p, d, sdk) in SDK_REST.items()]
    return out


# --- the whole check ------------------------------------------------------------------------------


def _descriptions_drift() -> Iterator[Drift]:
    text = resources.files("mockrt").joinpath("data/sdk_descriptions.json").read_text("utf-8")
    if json.loads(text) != sdk_descriptions():
        yield Drift(
            "*",
            "*",
            "*",
            "",
            "descriptions",
            "mockrt/data/sdk_descriptions.json",
            "other docstrings: run python -m mockrt.contract.sdktypes, "
            "then mockrt schemas export schemas",
        )


def check_against_sdk(
    directory: Path | None = None, *, max_examples: int = 25, with_instances: bool = True
) -> Report:
    """Compare schemas/ (or the generated contract when ``directory`` is None) with the SDK."""
    docs = schema.load(directory)
    allowed = allowlist()
    drifts: list[Drift] = []
    for persona, direction in schema.EVENT_UNIONS:
        drifts += coverage(persona, direction)
    for target in targets():
        drifts += compare(target, docs)
        if with_instances:
            drifts += instances(target, docs, allowed, max_examples)
    drifts += _descriptions_drift()
    unexpected: list[Drift] = []
    matched: list[tuple[Drift, Allowed]] = []
    used: set[int] = set()
    for drift in sorted(set(drifts)):
        hit = next((i for i, a in enumerate(allowed) if a.matches(drift)), None)
        if hit is None:
            unexpected.append(drift)
        else:
            used.add(hit)
            matched.append((drift, allowed[hit]))
    unused = [
        a
        for i, a in enumerate(allowed)
        if i not in used and (with_instances or not {"instance", "null"} & set(a.aspects))
    ]
    return Report(
        sdk_version(), str(allowlist_data().get("openai", "?")), unexpected, matched, unused
    )

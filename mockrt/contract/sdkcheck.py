"""The drift check: schemas/ against the types of the installed openai SDK, an independent oracle.

Three checks, each listing disagreements as ``Drift(persona, direction, event, pointer, aspect,
ours, theirs)``:

1. coverage: every event type of the SDK's unions (``openai.types.realtime``,
   ``openai.types.beta.realtime``) is in our union for that persona and direction, or declared
   out of scope for transcription mode (with the reason) in ``data/sdk_allowlist.json``, and
   vice versa;
2. shape, per JSON pointer: properties, ``required``, Literal/enum values, JSON types and null.
   The comparison follows the direction's compatibility rule: a client event must accept all the
   SDK can send (ours may not be narrower), a server event must parse with the SDK (ours may not
   be wider; the SDK marks most fields Optional, so always sending one is no drift). Properties
   present on one side only are always listed;
3. instances: hypothesis-jsonschema generates instances from our schema of each event (objects
   closed, so pass-through extras stay out) and the SDK's pydantic model must validate them.

Deliberate differences, where live behaviour (protocol.md) differs from the SDK, are kept in the
allow-list with their reason; an entry that matches nothing is itself reported, so the list
cannot rot. Never imports aiohttp or websockets itself (``import openai`` loads aiohttp
when it is installed; only the tests and ``--against-sdk`` import this module).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from importlib import resources
from pathlib import Path
from typing import Any

import openai
from pydantic import TypeAdapter

from mockrt.contract import schema
from mockrt.contract.schema import Direction, Persona
from mockrt.contract.sdktypes import SDK_REST, sdk_descriptions, sdk_event_types

__all__ = [
    "Allowed",
    "Drift",
    "Report",
    "Target",
    "allowlist",
    "check_against_sdk",
    "compare",
    "coverage",
    "our_lookup",
    "out_of_scope",
    "sdk_version",
    "targets",
]


def sdk_version() -> str:
    return str(openai.__version__)


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


def _data() -> dict[str, Any]:
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
        for e in _data()["allowed"]
    ]


def out_of_scope(persona: Persona, direction: Direction) -> dict[str, str]:
    """SDK event types (globs) outside transcription mode, with the reason."""
    scoped: dict[str, str] = _data()["out_of_scope"][persona][direction]
    return scoped


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


@dataclass(frozen=True)
class Target:
    """One of our documents and the SDK type it is compared with."""

    persona: Persona
    direction: Direction
    name: str  # the event type, or the REST document's path
    path: str  # our document, relative to schemas/, without .json
    sdk: Any = field(compare=False)


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


# --- shape comparison -----------------------------------------------------------------------------


class _Side:
    """A schema and how its $refs resolve (ours: the registry; theirs: pydantic's $defs)."""

    def __init__(self, root: Mapping[str, Any], lookup: Mapping[str, Mapping[str, Any]]) -> None:
        self.root = root
        self.lookup = lookup

    def deref(self, node: Mapping[str, Any]) -> Mapping[str, Any]:
        for _ in range(50):
            ref = node.get("$ref")
            if not isinstance(ref, str):
                return node
            node = self.lookup[ref]
        raise ValueError("$ref chain too long")

    def branches(self, node: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        node = self.deref(node)
        for key in ("anyOf", "oneOf"):
            if key in node:
                return [b for sub in node[key] for b in self.branches(sub)]
        return [node]


def _is_null(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "null" or ("const" in node and node["const"] is None)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _types(node: Mapping[str, Any]) -> frozenset[str] | None:
    if "const" in node:
        return frozenset({_json_type(node["const"])})
    if "enum" in node:
        return frozenset(_json_type(v) for v in node["enum"])
    kind = node.get("type")
    if kind is None:
        return frozenset({"object"}) if "properties" in node else None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _values(node: Mapping[str, Any]) -> frozenset[Any] | None:
    if "const" in node:
        return frozenset({node["const"]})
    if "enum" in node:
        return frozenset(node["enum"])
    return None


def _covered(inner: frozenset[str], outer: frozenset[str]) -> bool:
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def _show(values: frozenset[Any] | None) -> str:
    return "any value" if values is None else json.dumps(sorted(values, key=str))


class _Comparer:
    def __init__(self, target: Target, ours: _Side, theirs: _Side) -> None:
        self.target = target
        self.ours = ours
        self.theirs = theirs
        self.drifts: list[Drift] = []

    def drift(self, pointer: str, aspect: str, ours: str, theirs: str) -> None:
        t = self.target
        self.drifts.append(Drift(t.persona, t.direction, t.name, pointer, aspect, ours, theirs))

    def compare(self, o: Mapping[str, Any], t: Mapping[str, Any], pointer: str, depth: int) -> None:
        if depth > 40:
            return
        server = self.target.direction == "server"
        o_br, t_br = self.ours.branches(o), self.theirs.branches(t)
        o_nn = [b for b in o_br if not _is_null(b)]
        t_nn = [b for b in t_br if not _is_null(b)]
        if server and len(o_nn) < len(o_br) and len(t_nn) == len(t_br):
            self.drift(pointer, "null", "may be null", "never null")
        if not o_nn or not t_nn or any(_types(b) is None and not b.get("anyOf") for b in t_nn):
            return
        matched: set[int] = set()
        for ob in o_nn:
            index = self._match(ob, t_nn)
            if index is None:
                self.drift(pointer, "branch", _label(ob), "no matching branch")
                continue
            matched.add(index)
            self._single(ob, t_nn[index], pointer, depth)
        if not server:
            # Every shape the SDK can send must be accepted by one of ours.
            for i, tb in enumerate(t_nn):
                if i in matched:
                    continue
                back = self._match_reverse(tb, o_nn)
                if back is None:
                    self.drift(pointer, "branch", "no matching branch", _label(tb))
                else:
                    self._single(o_nn[back], tb, pointer, depth)

    def _match_reverse(self, tb: Mapping[str, Any], o_nn: list[Mapping[str, Any]]) -> int | None:
        swapped = _Comparer(self.target, self.theirs, self.ours)
        return swapped._match(tb, o_nn)

    def _consts(self, side: _Side, node: Mapping[str, Any]) -> dict[str, frozenset[Any]]:
        out: dict[str, frozenset[Any]] = {}
        for name, sub in node.get("properties", {}).items():
            values: set[Any] = set()
            for b in side.branches(sub):
                if _is_null(b):
                    continue
                v = _values(b)
                if v is None:
                    break
                values |= v
            else:
                out[name] = frozenset(values)
        return out

    def _match(self, ob: Mapping[str, Any], t_nn: list[Mapping[str, Any]]) -> int | None:
        if len(t_nn) == 1:
            return 0
        o_consts = self._consts(self.ours, ob)
        o_types = _types(ob) or frozenset()
        best: tuple[int, int] | None = None
        for i, tb in enumerate(t_nn):
            t_types = _types(tb) or frozenset()
            if not (_covered(o_types, t_types) or _covered(t_types, o_types)):
                continue
            t_consts = self._consts(self.theirs, tb)
            shared = set(o_consts) & set(t_consts)
            if any(not (o_consts[k] & t_consts[k]) for k in shared):
                continue
            score = len(shared)
            if best is None or score > best[0]:
                best = (score, i)
        return None if best is None else best[1]

    def _single(self, o: Mapping[str, Any], t: Mapping[str, Any], pointer: str, depth: int) -> None:
        server = self.target.direction == "server"
        o_types, t_types = _types(o), _types(t)
        if o_types is not None and t_types is not None:
            inner, outer = (o_types, t_types) if server else (t_types, o_types)
            if not _covered(inner, outer):
                self.drift(pointer, "type", "/".join(sorted(o_types)), "/".join(sorted(t_types)))
        o_vals, t_vals = _values(o), _values(t)
        narrow, wide = (o_vals, t_vals) if server else (t_vals, o_vals)
        if wide is not None and (narrow is None or not narrow <= wide):
            self.drift(pointer, "enum", _show(o_vals), _show(t_vals))
        if "properties" in o or "properties" in t:
            self._object(o, t, pointer, depth)
        if "items" in o and "items" in t:
            self.compare(o["items"], t["items"], f"{pointer}/0", depth + 1)

    def _object(self, o: Mapping[str, Any], t: Mapping[str, Any], pointer: str, depth: int) -> None:
        server = self.target.direction == "server"
        o_props, t_props = o.get("properties", {}), t.get("properties", {})
        o_req, t_req = set(o.get("required", ())), set(t.get("required", ()))
        # An open object of ours (pass-through extras) takes any property the SDK names.
        o_open = o.get("additionalProperties", True) is not False
        for name in sorted(set(o_props) | set(t_props)):
            where = f"{pointer}/{name}"
            if name not in t_props:
                self.drift(where, "property", "present", "absent")
            elif name not in o_props:
                if server and name in t_req:
                    self.drift(where, "required", "absent", "required")
                elif not o_open:
                    self.drift(where, "property", "absent", "present")
            else:
                if server and name in t_req and name not in o_req:
                    self.drift(where, "required", "optional", "required")
                if not server and name in o_req and name not in t_req:
                    self.drift(where, "required", "required", "optional")
                self.compare(o_props[name], t_props[name], where, depth + 1)


def _label(node: Mapping[str, Any]) -> str:
    consts = {
        k: v["const"]
        for k, v in node.get("properties", {}).items()
        if isinstance(v, dict) and "const" in v
    }
    if consts:
        return json.dumps(consts, sort_keys=True)
    return str(node.get("title") or node.get("type") or "a branch")


def _sdk_schema(target: Target) -> dict[str, Any]:
    return TypeAdapter(target.sdk).json_schema(mode="validation")


def our_lookup(docs: Mapping[str, Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {str(doc["$id"]): doc for doc in docs.values()}


def compare(target: Target, docs: Mapping[str, Mapping[str, Any]]) -> list[Drift]:
    """Shape differences between our document for ``target`` and the SDK's type."""
    lookup = our_lookup(docs)
    theirs_root = _sdk_schema(target)
    theirs_lookup = {f"#/$defs/{k}": v for k, v in theirs_root.get("$defs", {}).items()}
    comparer = _Comparer(target, _Side(docs, lookup), _Side(theirs_root, theirs_lookup))
    comparer.compare(docs[f"{target.path}.json"], theirs_root, "", 0)
    return comparer.drifts


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
            from mockrt.contract.sdkinstances import instances

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
    return Report(sdk_version(), str(_data().get("openai", "?")), unexpected, matched, unused)

"""Shape comparison for the drift check: our schema of one target against the SDK type's.

``compare(target, docs)`` walks both JSON Schemas per JSON pointer and lists each disagreement as
a ``Drift``: properties, ``required``, Literal/enum values, JSON types and null. It follows the
direction's compatibility rule: a client event must accept all the SDK can send (ours may not be
narrower), a server event must parse with the SDK (ours may not be wider; the SDK marks most
fields Optional, so always sending one is no drift). Properties present on one side only are
always listed. Never imports openai itself (the target carries the SDK type), nor aiohttp,
websockets or asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter

from mockrt.contract.drift import Drift, Target

__all__ = ["compare", "our_lookup"]


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

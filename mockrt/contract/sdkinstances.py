"""Instances for the drift check: hypothesis-jsonschema draws from our schema of an event, and
the SDK's pydantic model must validate every draw.

Our schema is bundled first (every ``$ref`` inlined, objects closed so pass-through extras stay
out, tagged ``oneOf`` made ``anyOf``). SDK errors that the allow-list tolerates do not stop the
search; at a union, one branch whose errors are all tolerated is enough. The minimal failing
instance (hypothesis shrinks it) is reported. Deterministic: ``derandomize=True``, no database.
Never imports aiohttp or websockets itself (``import openai`` loads aiohttp when it is
installed; only the tests and ``--against-sdk`` import this module).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mockrt.contract.drift import Allowed, Drift, Target
from mockrt.contract.sdkshape import our_lookup

__all__ = ["bundle", "instances"]


def bundle(node: Any, lookup: Mapping[str, Mapping[str, Any]], depth: int = 0) -> Any:
    """``node`` with every $ref inlined, objects closed, annotations dropped, tagged oneOfs
    made anyOfs."""
    if depth > 60:
        raise ValueError("schema too deep to bundle")
    if isinstance(node, list):
        return [bundle(v, lookup, depth + 1) for v in node]
    if not isinstance(node, dict):
        return node
    if isinstance(node.get("$ref"), str):
        return bundle(lookup[node["$ref"]], lookup, depth + 1)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("$id", "$schema", "title", "description", "default"):
            continue
        if key == "properties":
            out[key] = {k: bundle(v, lookup, depth + 1) for k, v in value.items()}
        elif key == "additionalProperties" and value is True:
            out[key] = False
        elif key == "oneOf":
            # Our oneOfs are tagged unions, so anyOf is the same set and far cheaper to draw.
            out["anyOf"] = bundle(value, lookup, depth + 1)
        else:
            out[key] = bundle(value, lookup, depth + 1)
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    return out


def _locate(loc: tuple[int | str, ...], instance: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A pydantic ``loc`` as a JSON pointer plus the union branches it went through: a loc
    element that is not in the data (before the last one) names a union branch."""
    parts: list[str] = []
    branches: list[tuple[str, str]] = []
    node = instance
    for i, key in enumerate(loc):
        if isinstance(node, dict) and key in node:
            parts.append(str(key))
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and key < len(node):
            parts.append(str(key))
            node = node[key]
        elif i == len(loc) - 1:
            parts.append(str(key))  # a missing field
        else:
            branches.append(("".join(f"/{p}" for p in parts), str(key)))
    return "".join(f"/{p}" for p in parts), tuple(branches)


def _passes(errors: list[tuple[tuple[tuple[str, str], ...], bool]]) -> bool:
    """Whether the instance is valid once tolerated errors are ignored: errors outside unions
    must all be tolerated; at each union, one branch whose errors are all tolerated suffices."""
    if any(not branches and not ok for branches, ok in errors):
        return False
    unions: dict[str, dict[str, list[tuple[tuple[tuple[str, str], ...], bool]]]] = {}
    for branches, ok in errors:
        if branches:
            (where, tag), rest = branches[0], branches[1:]
            unions.setdefault(where, {}).setdefault(tag, []).append((rest, ok))
    return all(any(_passes(errs) for errs in alts.values()) for alts in unions.values())


class _Mismatch(Exception):
    def __init__(self, drifts: list[Drift]) -> None:
        super().__init__(drifts)
        self.drifts = drifts


def instances(
    target: Target,
    docs: Mapping[str, Mapping[str, Any]],
    allowed: list[Allowed],
    max_examples: int = 25,
) -> list[Drift]:
    """Instances generated from our schema that the SDK's model rejects: the minimal failing
    one, plus one example per allow-listed pointer (those do not stop the search)."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis_jsonschema import from_schema

    _patch_hypothesis_jsonschema()

    lookup = our_lookup(docs)
    bundled = bundle(docs[f"{target.path}.json"], lookup)
    adapter: TypeAdapter[Any] = TypeAdapter(target.sdk)
    tolerated: dict[tuple[str, str], Drift] = {}

    def sdk_errors(instance: Any) -> list[Drift]:
        try:
            adapter.validate_python(instance)
        except ValidationError as exc:
            judged: list[tuple[tuple[tuple[str, str], ...], bool]] = []
            left: list[Drift] = []
            for error in exc.errors():
                pointer, branches = _locate(error["loc"], instance)
                # null where the SDK takes none is its own aspect, as in the shape comparison.
                aspect = "null" if _at(instance, pointer) is None else "instance"
                drift = _drift(target, pointer, aspect, _excerpt(instance), error["msg"])
                ok = any(a.matches(drift) for a in allowed)
                judged.append((branches, ok))
                if ok:
                    tolerated.setdefault((pointer, aspect), drift)
                else:
                    left.append(drift)
            return [] if _passes(judged) else left
        return []

    @settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=True,
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
        phases=(Phase.generate, Phase.shrink),
    )
    @given(from_schema(bundled))
    def run(instance: Any) -> None:
        drifts = sdk_errors(instance)
        if drifts:
            raise _Mismatch(drifts)

    found: list[Drift] = []
    try:
        run()
    except _Mismatch as mismatch:
        found = mismatch.drifts
    return found + list(tolerated.values())


_MISSING = object()


def _at(instance: Any, pointer: str) -> Any:
    node = instance
    for part in pointer.split("/")[1:]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _MISSING
    return node


def _patch_hypothesis_jsonschema() -> None:
    """Memoise hypothesis-jsonschema's ``merged_as_strategies``, which it calls for every
    property of every drawn object and which canonicalises the subschema each time (strategies
    are immutable, so sharing them is safe): the session events draw about 8x faster. Only its
    own module's name is rebound; hypothesis itself is untouched. hypothesis is pinned below
    6.170.10 in the test extras: later releases removed ``many.more()``, which
    hypothesis-jsonschema 0.23.1 (its latest release) still calls."""
    from hypothesis_jsonschema import _from_schema

    namespace = vars(_from_schema)
    merged = namespace.get("merged_as_strategies")
    if merged is None or getattr(merged, "patched_by_mockrt", False):
        return
    cache: dict[tuple[str, int, int], Any] = {}

    def memoised(schemas: Any, *, alphabet: Any, custom_formats: Any) -> Any:
        key = (json.dumps(schemas, sort_keys=True), id(alphabet), id(custom_formats))
        if key not in cache:
            cache[key] = merged(schemas, alphabet=alphabet, custom_formats=custom_formats)
        return cache[key]

    memoised.patched_by_mockrt = True  # type: ignore[attr-defined]
    namespace["merged_as_strategies"] = memoised


def _excerpt(instance: Any) -> str:
    text = json.dumps(instance, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."


def _drift(target: Target, pointer: str, aspect: str, ours: str, theirs: str) -> Drift:
    return Drift(target.persona, target.direction, target.name, pointer, aspect, ours, theirs)

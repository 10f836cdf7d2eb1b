"""Matching server frames against expected frames with placeholders. Pure: no I/O.

An expected value is plain JSON, where a string placeholder matches a class of values:

- ``<any>`` anything (the key must be present); ``<absent>`` the key must be missing;
- ``<int>``, ``<number>``, ``<str>``, ``<bool>``, ``<null>``, ``<list>``, ``<object>`` by type;
- ``<id:a>`` any string, bound to ``a`` the first time; every later ``<id:a>`` must be equal;
  ``<id:a|null>`` also allows null (and binds nothing);
- ``<ms:LO..HI>`` (also ``<int:LO..HI>``, ``<num:LO..HI>``) a number in the closed range, either
  bound may be left out (``<ms:0..>``);
- ``<prefix:sess_>`` a string starting with ``sess_``; ``<re:PATTERN>`` a string matching fully;
- ``{"<alt>": [A, B, ...]}`` matches when any of the alternatives does (e.g. two wordings).

Objects match when every expected key matches (extra keys in the frame are allowed); lists match
element by element and must have the same length. Must never import websockets or aiohttp.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Bindings", "Mismatch", "is_placeholder", "match", "substitute"]

Bindings = dict[str, Any]

_PLACEHOLDER = re.compile(r"<([a-z]+)(?::(.*))?>", re.S)
_RANGE = re.compile(r"(-?[0-9.]+)?\.\.(-?[0-9.]+)?")
_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "bool": (bool,),
    "list": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class Mismatch:
    """Where (a JSON pointer into the frame), what was expected and what came."""

    pointer: str
    expected: Any
    actual: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.pointer or '/'}: {self.reason}"


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _in_range(spec: str, value: Any) -> bool:
    found = _RANGE.fullmatch(spec)
    if found is None:
        raise ValueError(f"bad range {spec!r}; expected LO..HI")
    lo, hi = (float(x) if x else None for x in found.groups())
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def _placeholder(kind: str, arg: str | None, actual: Any, bindings: Bindings) -> str | None:
    """None when ``actual`` fits the placeholder, else the reason it does not."""
    if kind == "any":
        return None
    if kind == "null":
        return None if actual is None else f"expected null, got {_short(actual)}"
    if kind in _TYPES:
        ok = isinstance(actual, _TYPES[kind])
        return None if ok else f"expected a {kind}, got {_short(actual)}"
    if kind in ("int", "ms", "number", "num"):
        integral = kind in ("int", "ms")
        if not _is_number(actual) or (integral and not isinstance(actual, int)):
            return f"expected {'an integer' if integral else 'a number'}, got {_short(actual)}"
        if arg and not _in_range(arg, actual):
            return f"expected {kind} in {arg}, got {actual}"
        return None
    if kind == "id":
        if arg is None:
            raise ValueError("<id:NAME> needs a name")
        name, _, nullable = arg.partition("|")
        if actual is None and nullable == "null":
            return None
        if not isinstance(actual, str):
            return f"expected an id (<id:{name}>), got {_short(actual)}"
        if name in bindings and bindings[name] != actual:
            return f"expected <id:{name}> = {bindings[name]!r}, got {actual!r}"
        bindings.setdefault(name, actual)
        return None
    if kind == "prefix":
        ok = isinstance(actual, str) and actual.startswith(arg or "")
        return None if ok else f"expected a string starting with {arg!r}, got {_short(actual)}"
    if kind == "re":
        ok = isinstance(actual, str) and re.fullmatch(arg or "", actual, re.S) is not None
        return None if ok else f"expected a string matching {arg!r}, got {_short(actual)}"
    raise ValueError(f"unknown placeholder <{kind}>")


def is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and _PLACEHOLDER.fullmatch(value) is not None


def match(expected: Any, actual: Any, bindings: Bindings, pointer: str = "") -> Mismatch | None:
    """The first mismatch of ``actual`` against ``expected`` (None when it matches). Bindings
    made on a failed match are rolled back, so alternatives can be tried one after another."""
    trial = dict(bindings)
    found = _match(expected, actual, trial, pointer)
    if found is None:
        bindings.update(trial)
    return found


def _match(expected: Any, actual: Any, bindings: Bindings, pointer: str) -> Mismatch | None:
    if isinstance(expected, str):
        found = _PLACEHOLDER.fullmatch(expected)
        if found is not None and found.group(1) != "absent":
            reason = _placeholder(found.group(1), found.group(2), actual, bindings)
            return None if reason is None else Mismatch(pointer, expected, actual, reason)
    if isinstance(expected, Mapping):
        if set(expected) == {"<alt>"}:
            return _alternatives(expected["<alt>"], actual, bindings, pointer)
        if not isinstance(actual, Mapping):
            return Mismatch(pointer, expected, actual, f"expected an object, got {_short(actual)}")
        for key, want in expected.items():
            where = f"{pointer}/{key}"
            if want == "<absent>":
                if key in actual:
                    reason = f"expected no {key!r}, got {_short(actual[key])}"
                    return Mismatch(where, want, actual[key], reason)
                continue
            if key not in actual:
                if _may_be_absent(want):
                    continue
                return Mismatch(where, want, None, f"missing {key!r} (expected {_short(want)})")
            found_mismatch = _match(want, actual[key], bindings, where)
            if found_mismatch is not None:
                return found_mismatch
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return Mismatch(pointer, expected, actual, f"expected a list, got {_short(actual)}")
        if len(expected) != len(actual):
            reason = f"expected {len(expected)} element(s), got {len(actual)}: {_short(actual)}"
            return Mismatch(pointer, expected, actual, reason)
        for i, (want, got) in enumerate(zip(expected, actual, strict=True)):
            found_mismatch = _match(want, got, bindings, f"{pointer}/{i}")
            if found_mismatch is not None:
                return found_mismatch
        return None
    same = expected == actual and type(expected) is type(actual)
    if not same and _is_number(expected) and _is_number(actual):
        same = expected == actual
    if same:
        return None
    return Mismatch(pointer, expected, actual, f"expected {_short(expected)}, got {_short(actual)}")


def _may_be_absent(want: Any) -> bool:
    return (
        isinstance(want, Mapping)
        and set(want) == {"<alt>"}
        and isinstance(want["<alt>"], list)
        and "<absent>" in want["<alt>"]
    )


def _alternatives(options: Any, actual: Any, bindings: Bindings, pointer: str) -> Mismatch | None:
    if not isinstance(options, list) or not options:
        raise ValueError("<alt> needs a non-empty list")
    first: Mismatch | None = None
    for option in options:
        trial = dict(bindings)
        found = _match(option, actual, trial, pointer)
        if found is None:
            bindings.update(trial)
            return None
        first = first or found
    assert first is not None
    return Mismatch(
        pointer, options, actual, f"none of {len(options)} alternatives: {first.reason}"
    )


def substitute(value: Any, bindings: Bindings) -> Any:
    """``value`` with every bound ``<id:NAME>`` replaced by its value (to send bound ids back)."""
    if isinstance(value, str):
        found = _PLACEHOLDER.fullmatch(value)
        if found is not None and found.group(1) == "id" and found.group(2) in bindings:
            return bindings[str(found.group(2))]
        return value
    if isinstance(value, Mapping):
        return {k: substitute(v, bindings) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, bindings) for v in value]
    return value

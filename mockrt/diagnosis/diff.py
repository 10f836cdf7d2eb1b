"""Two captures (or journals) compared event by event: what ``mockrt diff A B`` prints.

Sessions pair up in order; within a session each direction is aligned by event type
(``difflib``), so one missing event reads as one difference, and an event found elsewhere in the
other capture reads as an order difference. Paired events are compared field by field, modulo
ids: an id (``event_id``, ``item_id``, ``previous_item_id``, ``session.id`` and any ``sess_``,
``item_``, ``event_``, ``ek_`` value) binds to its counterpart the first time, like a ``<id:a>``
placeholder, and must match it ever after. Wall-clock fields (``expires_at``, ``created_at``)
are skipped; ``*_ms`` fields and frame times match within a tolerance. Close codes and reasons
are compared when both captures recorded them (a mock journal has none). Pure: reads journals,
writes nothing. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from mockrt.core.journal import CloseRecord, Entry, Journal

__all__ = ["Difference", "Tolerance", "diff_journals"]

_ID_KEYS = {"event_id", "item_id", "previous_item_id", "id", "call_id"}
_ID_VALUE = re.compile(r"(sess|item|event|ek|resp|conv|rtc)_[A-Za-z0-9]+")
_WALL_CLOCK = {"expires_at", "created_at"}


@dataclass(frozen=True)
class Tolerance:
    """How far timings may differ: frame times in seconds since the session's first frame
    (None: not compared) and ``*_ms`` fields in milliseconds."""

    seconds: float | None = 1.0
    ms: float = 100.0


@dataclass(frozen=True)
class Difference:
    """One difference: ``kind`` is missing, extra, order, type, field, timing or close."""

    kind: str
    session: int
    direction: str
    index_a: int | None
    index_b: int | None
    what: str
    detail: str

    def __str__(self) -> str:
        a = "-" if self.index_a is None else f"#{self.index_a}"
        b = "-" if self.index_b is None else f"#{self.index_b}"
        return (
            f"session {self.session} {self.direction} A{a} B{b} {self.what}: "
            f"{self.kind}: {self.detail}"
        )


@dataclass
class _Ids:
    a2b: dict[str, str] = field(default_factory=dict)
    b2a: dict[str, str] = field(default_factory=dict)

    def same(self, a: str, b: str) -> bool:
        if a in self.a2b or b in self.b2a:
            return self.a2b.get(a) == b and self.b2a.get(b) == a
        self.a2b[a], self.b2a[b] = b, a
        return True


def _label(entry: Entry) -> str:
    if entry.type is not None:
        return entry.type
    return entry.event if isinstance(entry.event, str) else "frame"


def _shape(entry: Entry) -> str:
    """The event with ids, wall-clock and ``*_ms`` values blanked: equal shapes pair up first."""

    def blank(value: Any, key: str) -> Any:
        if key in _WALL_CLOCK or key.endswith("_ms") or _is_id(key, value):
            return "<>"
        if isinstance(value, dict):
            return {k: blank(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [blank(v, key) for v in value]
        return value

    return json.dumps(blank(entry.event, ""), sort_keys=True)


def _is_id(key: str, value: Any) -> bool:
    return isinstance(value, str) and (key in _ID_KEYS or bool(_ID_VALUE.fullmatch(value)))


def _compare(a: Any, b: Any, path: str, key: str, ids: _Ids, tol: Tolerance) -> list[str]:
    if key in _WALL_CLOCK:
        return []
    if _is_id(key, a) and _is_id(key, b):
        return [] if ids.same(a, b) else [f"{path or '/'}: id {a!r} vs {b!r} (bound otherwise)"]
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b), key=lambda k: (k not in a, str(k))):
            sub = f"{path}/{k}"
            if k not in b:
                out.append(f"{sub}: only in A ({_show(a[k])})")
            elif k not in a:
                out.append(f"{sub}: only in B ({_show(b[k])})")
            else:
                out += _compare(a[k], b[k], sub, str(k), ids, tol)
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{path or '/'}: {len(a)} items vs {len(b)}: {_show(a)} vs {_show(b)}"]
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += _compare(x, y, f"{path}/{i}", key, ids, tol)
        return out
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
    if numbers and key.endswith("_ms") and abs(a - b) <= tol.ms:
        return []
    if a == b and type(a) is type(b):
        return []
    return [f"{path or '/'}: {_show(a)} vs {_show(b)}"]


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def _sessions(journal: Journal) -> list[tuple[list[Entry], list[CloseRecord]]]:
    frames = [e for e in journal if e.direction in ("client", "server")]  # not redirect notes
    names = list(dict.fromkeys(e.session for e in frames))
    for close in journal.closes:
        if close.session not in names:
            names.append(close.session)
    return [
        (
            [e for e in frames if e.session == name],
            [c for c in journal.closes if c.session == name],
        )
        for name in names
    ]


def diff_journals(a: Journal, b: Journal, tolerance: Tolerance | None = None) -> list[Difference]:
    """Every difference between captures ``a`` and ``b``; empty when they agree."""
    tol = tolerance or Tolerance()
    ids = _Ids()
    out: list[Difference] = []
    sessions_a, sessions_b = _sessions(a), _sessions(b)
    closes_recorded = bool(a.closes) and bool(b.closes)
    for n in range(max(len(sessions_a), len(sessions_b))):
        if n >= len(sessions_a) or n >= len(sessions_b):
            side = "A" if n < len(sessions_a) else "B"
            out.append(Difference("extra", n + 1, "-", None, None, "session", f"only in {side}"))
            continue
        (ea, ca), (eb, cb) = sessions_a[n], sessions_b[n]
        t0a = min((e.time for e in ea), default=0.0)
        t0b = min((e.time for e in eb), default=0.0)
        for direction in ("client", "server"):
            xs = [e for e in ea if e.direction == direction]
            ys = [e for e in eb if e.direction == direction]
            out += _diff_side(n + 1, direction, xs, ys, t0a, t0b, ids, tol)
        if closes_recorded:
            out += _diff_closes(n + 1, ca, cb)
    return out


def _diff_side(
    session: int,
    direction: str,
    xs: list[Entry],
    ys: list[Entry],
    t0a: float,
    t0b: float,
    ids: _Ids,
    tol: Tolerance,
) -> list[Difference]:
    out: list[Difference] = []
    missing: list[Entry] = []
    extra: list[Entry] = []
    # First by content (ids and timings left out), so one missing event is one difference; what
    # does not line up then pairs by type, so a changed field reads as a field difference.
    by_content = difflib.SequenceMatcher(
        a=[_shape(x) for x in xs], b=[_shape(y) for y in ys], autojunk=False
    )
    for op, i1, i2, j1, j2 in by_content.get_opcodes():
        if op == "equal":
            for x, y in zip(xs[i1:i2], ys[j1:j2], strict=True):
                out += _diff_pair(session, direction, x, y, t0a, t0b, ids, tol)
            continue
        sub_a, sub_b = xs[i1:i2], ys[j1:j2]
        by_type = difflib.SequenceMatcher(
            a=[_label(x) for x in sub_a], b=[_label(y) for y in sub_b], autojunk=False
        )
        for op2, k1, k2, m1, m2 in by_type.get_opcodes():
            if op2 == "equal" or (op2 == "replace" and k2 - k1 == m2 - m1):
                for x, y in zip(sub_a[k1:k2], sub_b[m1:m2], strict=True):
                    out += _diff_pair(session, direction, x, y, t0a, t0b, ids, tol)
            else:
                missing += sub_a[k1:k2]
                extra += sub_b[m1:m2]
    for x in missing:
        twin = next((y for y in extra if _label(y) == _label(x)), None)
        if twin is not None:
            extra.remove(twin)
            detail = f"A's #{x.index} comes at B's #{twin.index}"
            out.append(
                Difference("order", session, direction, x.index, twin.index, _label(x), detail)
            )
            out += _diff_pair(session, direction, x, twin, t0a, t0b, ids, tol)
        else:
            detail = f"only in A ({_show(x.event)})"
            out.append(Difference("missing", session, direction, x.index, None, _label(x), detail))
    for y in extra:
        detail = f"only in B ({_show(y.event)})"
        out.append(Difference("extra", session, direction, None, y.index, _label(y), detail))
    return out


def _diff_pair(
    session: int,
    direction: str,
    x: Entry,
    y: Entry,
    t0a: float,
    t0b: float,
    ids: _Ids,
    tol: Tolerance,
) -> list[Difference]:
    out: list[Difference] = []
    what = _label(x)
    if _label(x) != _label(y):
        detail = f"{_label(x)} vs {_label(y)}"
        return [Difference("type", session, direction, x.index, y.index, what, detail)]
    for line in _compare(x.event, y.event, "", "", ids, tol):
        kind = "error text" if "/error/message" in line else "field"
        out.append(Difference(kind, session, direction, x.index, y.index, what, line))
    if tol.seconds is not None:
        ta, tb = x.time - t0a, y.time - t0b
        if abs(ta - tb) > tol.seconds:
            detail = f"at {ta:.3f} s vs {tb:.3f} s (tolerance {tol.seconds} s)"
            out.append(Difference("timing", session, direction, x.index, y.index, what, detail))
    return out


def _diff_closes(session: int, ca: list[CloseRecord], cb: list[CloseRecord]) -> list[Difference]:
    def show(c: CloseRecord | None) -> str:
        return "no close" if c is None else f"{c.direction} closed {c.code} {c.reason!r}"

    x, y = (ca[0] if ca else None), (cb[0] if cb else None)
    if x is None or y is None or (x.direction, x.code, x.reason) != (y.direction, y.code, y.reason):
        if x is not None or y is not None:
            detail = f"{show(x)} vs {show(y)}"
            return [Difference("close", session, "-", None, None, "close", detail)]
    return []

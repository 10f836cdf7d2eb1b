"""Invariant checks over a stream of frames: a mockrt journal, a JSON Lines capture of live
traffic, or the wire log of a conformance run (records ``{"direction": "client"|"server",
"event": ..., "session"?: ...}``). The one implementation behind ``mockrt validate`` and the
conformance verdicts.

Always: every frame validates against the JSON Schemas (jsonschema over schemas/, an oracle
independent of mockrt's pydantic models when a schema directory is given), the first server event
is ``session.created`` (or an ``error`` on a refused connection), a committed item gets exactly
one completed|failed, nothing follows its result, and deltas concatenate to the transcript.
With ``invariants=True`` also (docs/protocol.md §5, §5.1, §5.2, §6): per item the order
speech_started -> speech_stopped -> committed -> added -> done -> completed|failed; one item id
per turn (speech_stopped and the VAD commit carry speech_started's id); ``previous_item_id`` of
each commit is the item of the commit before; an error's ``error.event_id`` is null or echoes the
``event_id`` of a client event sent before it; completions may come in any order.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockrt.contract.schema import Direction, Persona
from mockrt.contract.validator import validator_for

__all__ = [
    "FIRST_EVENT",
    "FrameViolation",
    "default_schemas_dir",
    "validate_records",
]

# The first server event of a session, per persona (docs/protocol.md §5, §3).
FIRST_EVENT: dict[str, str] = {
    "ga": "session.created",
    "beta": "transcription_session.created",
}
_BINARY = re.compile(r"<binary frame of \d+ bytes>")
_STARTED = "input_audio_buffer.speech_started"
_STOPPED = "input_audio_buffer.speech_stopped"
_COMMITTED = "input_audio_buffer.committed"
_ADDED = "conversation.item.added"
_CREATED = "conversation.item.created"
_DONE = "conversation.item.done"
_DELTA = "conversation.item.input_audio_transcription.delta"
_COMPLETED = "conversation.item.input_audio_transcription.completed"
_FAILED = "conversation.item.input_audio_transcription.failed"
# The lifecycle of one item, in order (deltas are free until the result: streaming models send
# them before the commit, docs/protocol.md §5.1).
_STAGE = {_STARTED: 0, _STOPPED: 1, _COMMITTED: 2, _ADDED: 3, _CREATED: 3, _DONE: 4}


def default_schemas_dir() -> Path | None:
    """``schemas/`` of a source checkout (the independent oracle), else None (the contract
    generated from the installed models)."""
    import mockrt

    candidate = Path(mockrt.__file__).resolve().parents[1] / "schemas"
    return candidate if (candidate / "ga").is_dir() else None


@dataclass(frozen=True, order=True)
class FrameViolation:
    """One violation in a recorded stream."""

    index: int
    direction: str
    type: str
    pointer: str
    message: str
    rule: str

    def __str__(self) -> str:
        return (
            f"frame {self.index} ({self.direction} {self.type}) {self.pointer or '/'}: "
            f"{self.message} [{self.rule}]"
        )


@dataclass
class _Turns:
    """Lifecycle bookkeeping of one session."""

    first_server: bool = True
    committed: dict[str, int] = field(default_factory=dict)  # item id -> frame index
    results: dict[str, int] = field(default_factory=dict)
    deltas: dict[str, list[str]] = field(default_factory=dict)
    stage: dict[str, int] = field(default_factory=dict)
    speaking: str | None = None  # item id of speech_started without speech_stopped yet
    stopped: str | None = None  # item id of the last speech_stopped, until its commit
    last_committed: str | None = None
    client_ids: set[str] = field(default_factory=set)


def _frame_problem(event: Any) -> tuple[str, str] | None:
    if isinstance(event, str):
        if _BINARY.fullmatch(event):
            return "a binary frame; the API takes text frames", "frame-binary"
        excerpt = event if len(event) <= 60 else event[:57] + "..."
        return f"frame is not JSON: {excerpt!r}", "frame-not-json"
    if not isinstance(event, dict):
        return f"frame is not a JSON object: {str(event)[:60]}", "frame-not-an-object"
    return None


def validate_records(
    records: Iterable[object],
    persona: Persona = "ga",
    directory: Path | None = None,
    *,
    invariants: bool = False,
    directions: tuple[str, ...] = ("client", "server"),
    complete: bool = True,
) -> list[FrameViolation]:
    """Every schema and lifecycle violation of a stream of records, in frame order (a record that
    is a ``ValueError`` stands for a line that was not JSON). ``invariants`` adds the ordering,
    turn-id and error-echo checks; ``directions`` limits the schema checks (a conformance case
    sends bad client frames on purpose); ``complete=False`` says the stream was cut short (a
    case ends before every result came), so a commit without a result is no violation."""
    found: list[FrameViolation] = []
    sessions: dict[str, _Turns] = {}
    for index, record in enumerate(records):
        if isinstance(record, ValueError):
            found.append(FrameViolation(index, "?", "?", "", f"not JSON: {record}", "record-json"))
            continue
        if not isinstance(record, dict) or record.get("direction") not in ("client", "server"):
            found.append(
                FrameViolation(index, "?", "?", "", "not a journal record", "record-shape")
            )
            continue
        direction = str(record["direction"])
        if "close" in record and "event" not in record:
            continue  # a capture's close record (docs/captures.md): no frame to check
        if "event" not in record:
            found.append(FrameViolation(index, direction, "?", "", "no event", "record-shape"))
            continue
        event = record["event"]
        kind = event.get("type") if isinstance(event, dict) else None
        label = kind if isinstance(kind, str) else "?"
        turns = sessions.setdefault(str(record.get("session", "")), _Turns())
        if direction == "client" and isinstance(event, dict):
            if isinstance(event.get("event_id"), str):
                turns.client_ids.add(event["event_id"])
        if direction not in directions:
            continue
        problem = _frame_problem(event)
        if problem is not None:
            found.append(FrameViolation(index, direction, label, "", *problem))
            continue
        side: Direction = "client" if direction == "client" else "server"
        validator = validator_for(persona, side, directory)
        for v in validator.validate(event):
            found.append(FrameViolation(index, direction, label, v.pointer, v.message, v.rule))
        if direction == "server":
            found += _lifecycle(turns, index, label, event, persona)
            if invariants:
                found += _ordering(turns, index, label, event)
    for turns in sessions.values() if complete else ():
        for item, index in turns.committed.items():
            if item not in turns.results:
                found.append(
                    FrameViolation(
                        index,
                        "server",
                        _COMMITTED,
                        "/item_id",
                        f"item {item!r} never got a completed or failed event",
                        "lifecycle:committed-without-result",
                    )
                )
    return sorted(found)


def _lifecycle(
    turns: _Turns, index: int, kind: str, event: dict[str, Any], persona: Persona
) -> list[FrameViolation]:
    out: list[FrameViolation] = []

    def flag(pointer: str, message: str, rule: str) -> None:
        out.append(FrameViolation(index, "server", kind, pointer, message, f"lifecycle:{rule}"))

    if turns.first_server:
        turns.first_server = False
        # A refused connection (beta header, ?model= with intent) gets only an error and a close.
        if kind not in (FIRST_EVENT[persona], "error"):
            flag("/type", f"the first server event must be {FIRST_EVENT[persona]}", "first-event")
    item = event.get("item_id")
    if not isinstance(item, str):
        return out
    if kind == _COMMITTED:
        if item in turns.committed:
            flag("/item_id", f"item {item!r} was already committed", "committed-twice")
        turns.committed.setdefault(item, index)
    elif kind == _DELTA:
        if item in turns.results:
            flag("/item_id", f"delta for item {item!r} after its result", "delta-after-result")
        delta = event.get("delta")
        turns.deltas.setdefault(item, []).append(delta if isinstance(delta, str) else "")
    elif kind in (_COMPLETED, _FAILED):
        if item not in turns.committed:
            flag("/item_id", f"item {item!r} was never committed", "result-without-commit")
        if item in turns.results:
            flag(
                "/item_id",
                f"item {item!r} already got a result at frame {turns.results[item]}",
                "duplicate-result",
            )
        turns.results.setdefault(item, index)
        transcript = event.get("transcript")
        joined = "".join(turns.deltas.get(item, []))
        if kind == _COMPLETED and item in turns.deltas and isinstance(transcript, str):
            # docs/protocol.md §5.1: the deltas concatenate to the transcript, but for a
            # leading space.
            if joined != transcript and joined.lstrip() != transcript.lstrip():
                flag(
                    "/transcript",
                    f"the deltas concatenate to {joined!r}, the transcript is {transcript!r}",
                    "deltas-match-transcript",
                )
    return out


def _item_of(kind: str, event: dict[str, Any]) -> str | None:
    if kind in (_ADDED, _CREATED, _DONE):
        item = event.get("item")
        value = item.get("id") if isinstance(item, dict) else None
    else:
        value = event.get("item_id")
    return value if isinstance(value, str) else None


def _ordering(turns: _Turns, index: int, kind: str, event: dict[str, Any]) -> list[FrameViolation]:
    out: list[FrameViolation] = []

    def flag(pointer: str, message: str, rule: str) -> None:
        out.append(FrameViolation(index, "server", kind, pointer, message, f"invariant:{rule}"))

    if kind == "error":
        error = event.get("error")
        echoed = error.get("event_id") if isinstance(error, dict) else None
        if echoed is not None and echoed not in turns.client_ids:
            flag(
                "/error/event_id",
                f"echoes {echoed!r}, which no client event sent before it carried",
                "error-echo",
            )
        return out
    item = _item_of(kind, event)
    if item is None:
        return out
    if kind in _STAGE:
        stage = _STAGE[kind]
        if item in turns.results:
            flag("/item_id", f"{kind} for item {item!r} after its result", "after-result")
        elif turns.stage.get(item, -1) >= stage:
            flag("/item_id", f"{kind} for item {item!r} out of order", "item-order")
        turns.stage[item] = max(stage, turns.stage.get(item, -1))
    if kind == _STARTED:
        turns.speaking = item
    elif kind == _STOPPED:
        if turns.speaking is not None and turns.speaking != item:
            flag("/item_id", f"speech_started announced {turns.speaking!r}", "one-item-per-turn")
        turns.speaking, turns.stopped = None, item
    elif kind == _COMMITTED:
        if turns.stopped is not None and turns.stopped != item:
            flag("/item_id", f"speech_stopped announced {turns.stopped!r}", "one-item-per-turn")
        turns.stopped = None
        previous = event.get("previous_item_id")
        if "previous_item_id" in event and previous != turns.last_committed:
            flag(
                "/previous_item_id",
                f"is {previous!r}; the previous commit was {turns.last_committed!r}",
                "previous-item",
            )
        turns.last_committed = item
    elif kind in (_COMPLETED, _FAILED) and turns.stage.get(item, -1) < _STAGE[_COMMITTED]:
        flag("/item_id", f"result for item {item!r} before its commit", "item-order")
    return out

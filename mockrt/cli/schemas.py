"""The contract on the command line: ``mockrt schemas export DIR``, ``mockrt schemas check [DIR]
[--against-sdk]`` and ``mockrt validate FILE``.

``validate`` reads a recorded stream (mockrt's journal, or a JSON Lines capture of live traffic in
the same format: one ``{"direction": "client"|"server", "event": {...}}`` per line, other fields
optional), checks every frame against schemas/ (client frames against the client union, server
frames against the server union of the persona) and a few lifecycle rules per session, and prints
``frame <index> (<direction> <type>) <pointer>: <message> [rule]`` for each violation; the index
counts records from 0. ``validate_records`` is the pure part. Must never import aiohttp or
websockets.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockrt.contract import schema
from mockrt.contract.schema import Direction, Persona
from mockrt.contract.validator import validator_for

__all__ = ["FIRST_EVENT", "FrameViolation", "register", "validate_records"]

# The first server event of a session, per persona (protocol.md §5, §3).
FIRST_EVENT: dict[str, str] = {
    "ga": "session.created",
    "beta": "transcription_session.created",
}
_BINARY = re.compile(r"<binary frame of \d+ bytes>")
_COMMITTED = "input_audio_buffer.committed"
_DELTA = "conversation.item.input_audio_transcription.delta"
_COMPLETED = "conversation.item.input_audio_transcription.completed"
_FAILED = "conversation.item.input_audio_transcription.failed"


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


def _frame_problem(event: Any) -> tuple[str, str] | None:
    if isinstance(event, str):
        if _BINARY.fullmatch(event):
            return "a binary frame; the API takes text frames", "frame-binary"
        excerpt = event if len(event) <= 60 else event[:57] + "..."
        return f"frame is not JSON: {excerpt!r}", "frame-not-json"
    if not isinstance(event, dict):
        return f"frame is not a JSON object: {json.dumps(event)[:60]}", "frame-not-an-object"
    return None


def validate_records(
    records: Iterable[object], persona: Persona = "ga", directory: Path | None = None
) -> list[FrameViolation]:
    """Every schema and lifecycle violation of a stream of journal records, in frame order (a
    record that is a ``ValueError`` stands for a line that was not JSON)."""
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
        if "event" not in record:
            found.append(FrameViolation(index, direction, "?", "", "no event", "record-shape"))
            continue
        event = record["event"]
        kind = event.get("type") if isinstance(event, dict) else None
        label = kind if isinstance(kind, str) else "?"
        problem = _frame_problem(event)
        if problem is not None:
            found.append(FrameViolation(index, direction, label, "", *problem))
            continue
        side: Direction = "client" if direction == "client" else "server"
        validator = validator_for(persona, side, directory)
        for v in validator.validate(event):
            found.append(FrameViolation(index, direction, label, v.pointer, v.message, v.rule))
        if direction == "server":
            turns = sessions.setdefault(str(record.get("session", "")), _Turns())
            found += _lifecycle(turns, index, label, event, persona)
    for turns in sessions.values():
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
            # [live-JP]: the deltas concatenate to the transcript, but for a leading space.
            if joined != transcript and joined.lstrip() != transcript.lstrip():
                flag(
                    "/transcript",
                    f"the deltas concatenate to {joined!r}, the transcript is {transcript!r}",
                    "deltas-match-transcript",
                )
    return out


def _read(path: Path) -> list[object]:
    """The records of a JSON Lines file; a line that is not JSON becomes its ``ValueError``."""
    records: list[object] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    records.append(exc)
    return records


def _validate(args: argparse.Namespace) -> int:
    records = _read(args.file)
    found = validate_records(records, args.persona, args.schemas)
    for violation in found:
        print(violation)
    print(f"{len(found)} violation(s) in {len(records)} frame(s)", file=sys.stderr)
    return 1 if found else 0


def _export(args: argparse.Namespace) -> int:
    written = schema.export(args.dir)
    print(f"wrote {len(written)} schema documents to {args.dir}")
    return 0


def _check(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        print(
            f"mockrt schemas check: no directory {args.dir}; run it from a clone of mockrt, "
            f"give DIR, or write one with `mockrt schemas export {args.dir}`"
        )
        return 1
    problems = schema.check(args.dir)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.dir}: up to date ({len(schema.documents())} documents)")
    failed = bool(problems)
    if args.against_sdk:
        from mockrt.contract.sdkcheck import check_against_sdk

        report = check_against_sdk(
            args.dir,
            max_examples=args.max_examples,
            with_instances=args.max_examples > 0,
        )
        for line in report.lines():
            if args.verbose or not line.startswith("allowed "):
                print(line)
        print(
            f"{len(report.unexpected)} drift(s), {len(report.unused)} unused allow-list "
            f"entr(ies), {len(report.allowed)} allowed"
        )
        failed = failed or not report.ok
    return 1 if failed else 0


def register(subparsers: Any) -> None:
    """Add ``schemas export``, ``schemas check`` and ``validate`` to the ``mockrt`` parser."""
    schemas = subparsers.add_parser("schemas", help="export or check the JSON Schema contract")
    sub = schemas.add_subparsers(dest="schemas_command", required=True)
    export = sub.add_parser("export", help="write the schemas generated from the models")
    export.add_argument("dir", type=Path, metavar="DIR")
    export.set_defaults(func=_export)
    check = sub.add_parser(
        "check", help="fail when DIR differs from the generated schemas (exit 1)"
    )
    check.add_argument("dir", type=Path, nargs="?", default=Path("schemas"), metavar="DIR")
    check.add_argument(
        "--against-sdk",
        action="store_true",
        help="also compare with the installed openai package's types (needs the [test] extra)",
    )
    check.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="hypothesis examples per event for --against-sdk; 0 skips instances (default 25)",
    )
    check.add_argument("-v", "--verbose", action="store_true", help="list allowed differences")
    check.set_defaults(func=_check)
    validate = subparsers.add_parser(
        "validate", help="validate a recorded stream (JSON Lines) against the contract"
    )
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.add_argument("--persona", choices=["ga", "beta"], default="ga")
    validate.add_argument(
        "--schemas",
        type=Path,
        default=None,
        metavar="DIR",
        help="schema directory (default: the contract generated from the installed models)",
    )
    validate.set_defaults(func=_validate)

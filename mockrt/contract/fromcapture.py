"""A capture as a script: what ``mockrt script from-capture`` prints and ``serve --replay`` plays.

``script_data(journal)`` reads the server side of one recorded session and writes the script
(the data of ``mockrt/data/script.schema.json``) that makes the mock answer the same client the
same way: per committed turn, in commit order, the transcript and its exact delta split, the
logprobs when the deltas carried them, usage and languages as sent, a failed turn's error, and
the pacing measured from the capture (commit -> first delta, between deltas, last delta ->
completed, in ms of the capture's clock). A server ``server_error`` the client did not cause
becomes an injected error, and a close the server chose becomes a close fault, both after the
same number of server events. Errors the client caused are left to the mock's own rules.
What a script cannot say is listed by ``limits``. Pure. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from statistics import mean
from typing import Any

from mockrt.contract.scriptfile import parse_script
from mockrt.core.journal import Journal
from mockrt.core.script import Script

__all__ = ["limits", "script_data", "script_from_capture"]

_COMMITTED = "input_audio_buffer.committed"
_DELTA = "conversation.item.input_audio_transcription.delta"
_COMPLETED = "conversation.item.input_audio_transcription.completed"
_FAILED = "conversation.item.input_audio_transcription.failed"
# A close a server may send and a script may ask for (RFC 6455 §7.4; script.schema.json).
_SCRIPTABLE_CLOSE = {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}


@dataclass
class _Turn:
    committed_at: float
    deltas: list[tuple[float, dict[str, Any]]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    result_at: float = 0.0


def _ms(seconds: float) -> int:
    return max(0, round(seconds * 1000))


def _turns(journal: Journal) -> list[_Turn]:
    by_item: dict[str, _Turn] = {}
    early: dict[str, list[tuple[float, dict[str, Any]]]] = {}
    order: list[_Turn] = []
    for entry in journal.server():
        event = entry.event
        item = event.get("item_id") if isinstance(event, dict) else None
        if not isinstance(item, str):
            continue
        if entry.type == _COMMITTED and item not in by_item:
            turn = _Turn(entry.time, deltas=early.pop(item, []))
            by_item[item] = turn
            order.append(turn)
        elif entry.type == _DELTA:
            # Streaming models send deltas before the commit (docs/protocol.md §5.1).
            target = by_item[item].deltas if item in by_item else early.setdefault(item, [])
            target.append((entry.time, event))
        elif entry.type in (_COMPLETED, _FAILED) and item in by_item:
            by_item[item].result, by_item[item].result_at = event, entry.time
    return order


def _turn_data(turn: _Turn) -> dict[str, Any] | None:
    result = turn.result
    if result is None:
        return None  # the capture ended before the result: nothing to replay for it
    times = [t for t, _ in turn.deltas]
    if result.get("type") == _FAILED:
        error = result.get("error")
        error = error if isinstance(error, dict) else {}
        fail = {k: v for k, v in error.items() if k in ("type", "code", "param")}
        fail = {k: v for k, v in fail.items() if isinstance(v, str)}
        fail["message"] = str(error.get("message") or "")
        first = times[0] if times else turn.result_at
        return {
            "fail": fail,
            "latency_ms": {"first_delta": _ms(first - turn.committed_at), "completed": 0},
        }
    transcript = str(result.get("transcript", ""))
    deltas = [str(event.get("delta", "")) for _, event in turn.deltas]
    if "".join(deltas) != transcript:
        # Deltas that do not spell the transcript (live trims a leading space) cannot be
        # scripted as they are: the transcript wins, split as one delta.
        deltas = [transcript] if transcript else []
        turn.deltas = turn.deltas[:1]
        times = times[:1]
    data: dict[str, Any] = {"transcript": transcript, "deltas": deltas}
    latency: dict[str, int] = {}
    if times:
        latency["first_delta"] = _ms(times[0] - turn.committed_at)
        gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
        if gaps:
            latency["between_deltas"] = _ms(mean(gaps))
        latency["completed"] = _ms(turn.result_at - times[-1])
    else:
        latency["first_delta"] = _ms(turn.result_at - turn.committed_at)
        latency["completed"] = 0
    data["latency_ms"] = latency
    probs = [event.get("logprobs") for _, event in turn.deltas]
    if deltas and len(probs) == len(deltas) and all(isinstance(p, list) and p for p in probs):
        data["logprobs"] = [
            [{"token": p["token"], "logprob": p["logprob"], "bytes": p["bytes"]} for p in entry]
            for entry in probs
            if isinstance(entry, list)
        ]
    usage = result.get("usage")
    if isinstance(usage, dict) and usage.get("type") in ("tokens", "duration"):
        data["usage"] = usage
    languages = result.get("languages")
    if isinstance(languages, list):
        data["languages"] = [str(x.get("code")) for x in languages if isinstance(x, dict)]
    return data


def script_data(journal: Journal) -> dict[str, Any]:
    """The script (as data) that replays the first session of ``journal``."""
    frames = [e for e in journal if e.direction in ("client", "server")]
    sessions = list(dict.fromkeys(e.session for e in frames))
    first = sessions[0] if sessions else ""
    session = Journal([e for e in frames if e.session == first])
    session.closes = [c for c in journal.closes if c.session == first]
    turns = [t for t in (_turn_data(turn) for turn in _turns(session)) if t is not None]
    faults: list[dict[str, Any]] = []
    for n, entry in enumerate(session.server(), start=1):
        event = entry.event
        error = event.get("error") if isinstance(event, dict) else None
        if (
            entry.type == "error"
            and isinstance(error, dict)
            and error.get("type") == "server_error"
        ):
            inject = {
                "type": "server_error",
                "code": error.get("code"),
                "message": str(error.get("message") or ""),
                "param": error.get("param"),
            }
            faults.append({"inject_error": inject, "after_event": max(1, n - 1)})
    for close in session.closes:
        if close.direction == "server" and (
            close.code in _SCRIPTABLE_CLOSE or 3000 <= close.code <= 4999
        ):
            close_data = {"code": close.code, "reason": close.reason}
            faults.append({"close": close_data, "after_event": max(1, len(session.server()))})
    data: dict[str, Any] = {"turns": turns}
    if faults:
        data["faults"] = faults
    return data


def script_from_capture(journal: Journal, source: str = "<capture>") -> Script:
    """The script of ``script_data``, validated by the script loader like any script file."""
    return parse_script(script_data(journal), source)


def limits(journal: Journal) -> list[str]:
    """What the script of ``journal`` cannot reproduce, one line each."""
    out: list[str] = []
    for close in journal.closes:
        if close.direction == "server" and close.code == 1006:
            out.append("the upstream dropped the connection (1006): a script cannot drop it")
    for turn in _turns(journal):
        if turn.result is None:
            out.append(f"a turn committed at {turn.committed_at:.3f} s never got its result")
    return out

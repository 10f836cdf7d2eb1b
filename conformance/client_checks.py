"""Client checks: whether a client obeys the protocol, read from a stream of frames (the mock's
journal of a run, or a capture of live traffic: records ``{"direction", "time", "event"}``).

Every client frame validates against schemas/ (``conformance.invariants.validate_records``, the
suite's one invariant library, client direction only: the server side of a client run misbehaves
on purpose), and the client's own rules, each a ``FrameViolation`` with a ``client:`` rule:

- ``client:realtime-update-on-transcription``: a ``session.update`` whose ``session.type`` is not
  ``transcription`` on a transcription session (docs/protocol.md §6, the confirmed case);
- ``client:beta-shape-on-ga``: ``transcription_session.update`` (or the beta's flat session
  fields) on a GA session (§1.6, §3);
- ``client:configure-first``: audio appended before the client's first ``session.update``, so
  that audio was taken under the defaults (§9.3);
- ``client:commit-too-short``: a commit with under 100 ms since the last commit (§6);
- ``client:audio-pacing``: audio streamed slower than the bytes claim, from the arrival times: a
  client pacing 16 kHz audio in real time but declaring 24 kHz sends 2/3 of a second of claimed
  audio each second (§4, §7).

``SEVERE`` rules fail a client; the others make it NON-STRICT. Pure: no I/O; must never import
aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conformance.invariants import FrameViolation, default_schemas_dir, validate_records
from mockrt.contract.schema import Persona

__all__ = [
    "MIN_COMMIT_MS",
    "PACING_FLOOR",
    "SEVERE",
    "check_client",
    "pacing_ratio",
]

MIN_COMMIT_MS = 100.0  # docs/protocol.md §6: "Expected at least 100ms of audio"
# Audio arriving at under this fraction of real time is mislabelled (16 kHz as 24 kHz: 0.67);
# a client streaming a microphone keeps 1.0, a client sending a file runs far above it.
PACING_FLOOR = 0.85
# The pacing check needs a stream long enough to judge: at least this many appends over at least
# this much wall time.
_PACING_MIN_APPENDS = 8
_PACING_MIN_SPAN_S = 0.8
SEVERE = frozenset(
    {
        "client:realtime-update-on-transcription",
        "client:beta-shape-on-ga",
        "client:audio-pacing",
    }
)
_B64_CHARS = re.compile(r"<(\d+) base64 chars(?:, (\d+) bytes)?>")
_BETA_FIELDS = ("input_audio_format", "input_audio_transcription", "turn_detection")
# bytes per millisecond per declared format (docs/protocol.md §4)
_RATE = {"audio/pcm": 48.0, "pcm16": 48.0, "audio/pcmu": 8.0, "audio/pcma": 8.0}
_RATE.update({"g711_ulaw": 8.0, "g711_alaw": 8.0})


def _audio_bytes(event: dict[str, Any]) -> int:
    """Decoded bytes of an append: the journal keeps ``<N base64 chars, M bytes>`` (older ones
    ``<N base64 chars>``), a capture the text."""
    audio = event.get("audio")
    if not isinstance(audio, str):
        return 0
    counted = _B64_CHARS.fullmatch(audio)
    if counted and counted.group(2) is not None:
        return int(counted.group(2))  # the journal's decoded length (mockrt.core.session)
    chars = int(counted.group(1)) if counted else len(audio.rstrip("="))
    return chars * 3 // 4


def _declared(session: Any) -> tuple[float, str]:
    """Bytes per ms and the format name a session object declares (GA or beta)."""
    if not isinstance(session, dict):
        return 48.0, "audio/pcm"
    beta = session.get("input_audio_format")
    if isinstance(beta, str):
        return _RATE.get(beta, 48.0), beta
    fmt = ((session.get("audio") or {}).get("input") or {}).get("format")
    if isinstance(fmt, dict) and isinstance(fmt.get("type"), str):
        rate = fmt.get("rate")
        per_ms = _RATE.get(fmt["type"], 48.0)
        if fmt["type"] == "audio/pcm" and isinstance(rate, int | float) and rate > 0:
            per_ms = rate * 2 / 1000
        return per_ms, f"{fmt['type']} at {rate} Hz" if rate else fmt["type"]
    return 48.0, "audio/pcm"


@dataclass
class _State:
    transcription: bool = False
    ga: bool = True
    per_ms: float = 48.0
    format: str = "audio/pcm at 24000 Hz"
    updated: bool = False  # the client sent a session.update
    early: list[int] = field(default_factory=list)  # appends before any session.update
    appended_ms: float = 0.0
    committed_at_ms: float = 0.0
    stopped_at_ms: float | None = None
    appends: list[tuple[float, float]] = field(default_factory=list)  # (arrival s, claimed ms)


def pacing_ratio(appends: list[tuple[float, float]]) -> float | None:
    """Seconds of audio claimed per second of arrival: the median over consecutive appends
    (robust to a pause and to a burst) when the whole stream is also slower than real time,
    else the overall rate (at least 1.0); None when the stream is too short to judge."""
    if len(appends) < _PACING_MIN_APPENDS or appends[-1][0] - appends[0][0] < _PACING_MIN_SPAN_S:
        return None
    ratios = []
    for (before, _), (at, ms) in zip(appends, appends[1:], strict=False):
        gap = at - before
        ratios.append(float("inf") if gap <= 0 else ms / 1000 / gap)
    # A sender starved now and then (a busy event loop) has a low mean but a high median; a
    # mislabelled stream is low on both.
    overall = sum(ms for _, ms in appends[1:]) / 1000 / (appends[-1][0] - appends[0][0])
    return max(statistics.median(ratios), 0.0) if overall < PACING_FLOOR else max(overall, 1.0)


def check_client(
    records: Iterable[dict[str, Any]],
    persona: Persona = "ga",
    directory: Path | None = None,
) -> list[FrameViolation]:
    """Every schema violation of the client's frames and every broken client rule, in frame
    order. ``directory`` defaults to schemas/ of a source checkout."""
    frames = [r for r in records if r.get("direction") in ("client", "server") and "event" in r]
    found = validate_records(
        frames, persona, directory or default_schemas_dir(), directions=("client",), complete=False
    )
    state = _State(ga=persona == "ga")
    for index, record in enumerate(frames):
        event = record["event"]
        if not isinstance(event, dict):
            continue
        if record["direction"] == "server":
            _server(state, event)
        else:
            found += _client(state, index, float(record.get("time", 0.0)), event)
    ratio = pacing_ratio(state.appends)
    if ratio is not None and ratio < PACING_FLOOR:
        first = next(i for i, r in enumerate(frames) if _is_append(r))
        rate = state.per_ms * 500 * ratio
        found.append(
            FrameViolation(
                first,
                "client",
                "input_audio_buffer.append",
                "/audio",
                f"audio arrives at {ratio:.2f}x real time for the declared {state.format}: "
                f"the bytes sound like {rate / 1000:.0f} kHz audio declared as "
                f"{state.per_ms * 500 / 1000:.0f} kHz",
                "client:audio-pacing",
            )
        )
    if state.early and state.updated and state.transcription:
        found.append(
            FrameViolation(
                state.early[0],
                "client",
                "input_audio_buffer.append",
                "",
                f"sent {len(state.early)} append(s) before its first session.update: that audio "
                "was taken under the default configuration",
                "client:configure-first",
            )
        )
    return sorted(found)


def _is_append(record: dict[str, Any]) -> bool:
    event = record.get("event")
    return (
        record.get("direction") == "client"
        and isinstance(event, dict)
        and event.get("type") == "input_audio_buffer.append"
    )


def _server(state: _State, event: dict[str, Any]) -> None:
    kind = event.get("type")
    if kind in ("session.created", "session.updated"):
        session = event.get("session")
        if isinstance(session, dict):
            state.transcription = session.get("type") == "transcription"
            state.per_ms, state.format = _declared(session)
    elif kind in ("transcription_session.created", "transcription_session.updated"):
        state.transcription, state.ga = True, False
        state.per_ms, state.format = _declared(event.get("session"))
    elif kind == "input_audio_buffer.speech_stopped":
        end = event.get("audio_end_ms")
        state.stopped_at_ms = float(end) if isinstance(end, int | float) else None
    elif kind == "input_audio_buffer.committed" and state.stopped_at_ms is not None:
        state.committed_at_ms = max(state.committed_at_ms, state.stopped_at_ms)  # a VAD commit
        state.stopped_at_ms = None
    elif kind == "input_audio_buffer.cleared":
        state.committed_at_ms = state.appended_ms


def _client(state: _State, index: int, at: float, event: dict[str, Any]) -> list[FrameViolation]:
    kind = str(event.get("type"))

    def flag(pointer: str, message: str, rule: str) -> list[FrameViolation]:
        return [FrameViolation(index, "client", kind, pointer, message, rule)]

    session = event.get("session")
    if kind == "transcription_session.update" and state.ga:
        return flag(
            "/type", "sent the beta transcription_session.update", "client:beta-shape-on-ga"
        )
    if kind == "session.update":
        state.updated = True
        if state.ga and isinstance(session, dict) and any(f in session for f in _BETA_FIELDS):
            fields = ", ".join(f for f in _BETA_FIELDS if f in session)
            return flag("/session", f"sent the beta's flat {fields}", "client:beta-shape-on-ga")
        kind_of = session.get("type") if isinstance(session, dict) else None
        if state.transcription and kind_of != "transcription":
            return flag(
                "/session/type",
                f"sent session.update with session.type {kind_of!r} on a transcription session",
                "client:realtime-update-on-transcription",
            )
    elif kind == "input_audio_buffer.append":
        ms = _audio_bytes(event) / state.per_ms
        state.appended_ms += ms
        state.appends.append((at, ms))
        if not state.updated:
            state.early.append(index)
    elif kind == "input_audio_buffer.commit":
        buffered = state.appended_ms - state.committed_at_ms
        if buffered < MIN_COMMIT_MS:
            return flag(
                "",
                f"committed {buffered:.0f} ms of audio; the API needs at least 100 ms since the "
                "last commit (input_audio_buffer_commit_empty)",
                "client:commit-too-short",
            )
        state.committed_at_ms = state.appended_ms
    elif kind == "input_audio_buffer.clear":
        state.committed_at_ms = state.appended_ms
    return []

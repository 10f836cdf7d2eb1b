"""Scripts: what each committed turn transcribes to, and the faults a session injects.

Owns the script model (``Script``, ``Turn``, the fault classes) and the default script. The session
applies faults and ``mockrt.core.transcriber`` turns a script's turns into plans; this module only
describes them. The file format (keys, rules, wording) is ``mockrt.contract.scriptmodel``'s;
reading files is ``mockrt.contract.scriptfile``'s.
Pure: no I/O, no clocks, no randomness. Must never import aiohttp, websockets, asyncio, yaml or
jsonschema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from mockrt.core.exceptions import MockRTError
from mockrt.core.server_events import (
    ErrorObject,
    LogProb,
    TranscriptionError,
    UsageDuration,
    UsageTokens,
)

__all__ = [
    "Close",
    "concat_mismatch",
    "DEFAULT_SCRIPT",
    "Delay",
    "DeltaMode",
    "Deltas",
    "Drop",
    "Duplicate",
    "fault_copies",
    "Fault",
    "FieldPath",
    "InjectError",
    "Latency",
    "Match",
    "MAX_CLOSE_REASON_BYTES",
    "ModelUsage",
    "Pieces",
    "POINT_ALIASES",
    "Script",
    "ScriptError",
    "Turn",
    "TurnRequest",
    "TurnPoint",
]

DeltaMode = Literal["words", "characters", "whole"]
ModelUsage = Literal["auto", "tokens", "duration"]
# A point in a turn, "after the event named"; "completed" is after completed or failed.
TurnPoint = Literal[
    "committed", "item_added", "item_done", "first_delta", "last_delta", "completed"
]
POINT_ALIASES: dict[str, TurnPoint] = {
    "input_audio_buffer.committed": "committed",
    "conversation.item.added": "item_added",
    "conversation.item.created": "item_added",  # the beta persona's only item event
    "conversation.item.done": "item_done",
    "conversation.item.input_audio_transcription.delta": "first_delta",
    "conversation.item.input_audio_transcription.completed": "completed",
    "conversation.item.input_audio_transcription.failed": "completed",
}
MAX_CLOSE_REASON_BYTES = 123  # RFC 6455 §5.5: control frame payload <= 125 bytes, 2 for the code

FieldPath = tuple[str | int, ...]


class ScriptError(MockRTError):
    """A script that cannot be used; the message reads ``file:line: field: reason``."""

    def __init__(
        self,
        reason: str,
        *,
        source: str | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.reason, self.source, self.line, self.field = reason, source, line, field
        where = [] if source is None else [source if line is None else f"{source}:{line}"]
        super().__init__(": ".join([*where, *([field] if field else []), reason]))


# --- faults: parsed here, applied by the session -------------------------------------------------


@dataclass(frozen=True)
class InjectError:
    """Send an ``error`` event with ``error`` (its ``event_id`` is null) at a turn point of turn
    ``at_turn`` or after the ``after_event``-th server event."""

    error: ErrorObject
    after: TurnPoint = "committed"
    at_turn: int | None = None
    after_event: int | None = None


@dataclass(frozen=True)
class Drop:
    """Never send events of ``event_type`` (only those of turn ``turn`` when set)."""

    event_type: str
    turn: int | None = None


@dataclass(frozen=True)
class Duplicate:
    """Send events of ``event_type`` twice (only those of turn ``turn`` when set)."""

    event_type: str
    turn: int | None = None


@dataclass(frozen=True)
class Delay:
    """Hold events of ``event_type`` back by ``ms`` (only those of turn ``turn`` when set)."""

    event_type: str
    ms: int
    turn: int | None = None


@dataclass(frozen=True)
class Close:
    """Close the socket with ``code``/``reason`` at a point of turn ``at_turn`` or after the
    ``after_event``-th server event (1-based, ``session.created`` is the first)."""

    code: int
    reason: str = ""
    after_event: int | None = None
    at_turn: int | None = None
    after: TurnPoint = "committed"


Fault = InjectError | Drop | Duplicate | Delay | Close


def fault_copies(
    faults: Sequence[Fault], event_type: object, turn: int | None, delay_ms: float
) -> tuple[int, float]:
    """How many copies of an event of ``event_type`` (of turn ``turn``) are sent, and its delay
    after the drop, duplicate and delay faults: (0, …) when dropped."""
    copies = 1
    for fault in faults:
        if not isinstance(fault, Drop | Duplicate | Delay) or fault.event_type != event_type:
            continue
        if fault.turn is not None and fault.turn != turn:
            continue
        if isinstance(fault, Drop):
            return 0, delay_ms
        if isinstance(fault, Duplicate):
            copies = 2
        else:
            delay_ms += fault.ms
    return copies, delay_ms


@dataclass(frozen=True)
class TurnRequest:
    """A committed turn, as the session describes it to a ``Transcriber``."""

    index: int  # 1-based index of the committed turn in the session
    item_id: str
    duration_ms: float  # length of the committed audio
    speech_ms: float  # speech detected in it by VAD (== duration_ms when unknown)
    model: str | None  # audio.input.transcription.model of the session
    language: str | None
    include_logprobs: bool
    # True when a streaming model's turn asks at its first speech, before the commit
    # (mockrt.core.streaming): duration_ms is then the audio before that speech, speech_ms 0.
    streaming: bool = False


# --- the script model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Pieces:
    """Split the transcript into ``count`` near-equal pieces (fewer if it is shorter)."""

    count: int


Deltas = DeltaMode | Pieces | tuple[str, ...]


@dataclass(frozen=True)
class Latency:
    """Pacing in ms; ``None`` falls back to the script's, then to the module defaults."""

    first_delta_ms: int | None = None
    between_deltas_ms: int | None = None
    completed_ms: int | None = None


@dataclass(frozen=True)
class Match:
    """Bounds a committed turn must fit for a scripted turn to be used for it."""

    min_duration_ms: float | None = None
    max_duration_ms: float | None = None
    min_speech_ms: float | None = None
    max_speech_ms: float | None = None
    models: tuple[str, ...] | None = None

    def fits(self, request: TurnRequest) -> bool:
        def within(value: float, low: float | None, high: float | None) -> bool:
            return (low is None or value >= low) and (high is None or value <= high)

        return (
            within(request.duration_ms, self.min_duration_ms, self.max_duration_ms)
            and within(request.speech_ms, self.min_speech_ms, self.max_speech_ms)
            and (self.models is None or request.model in self.models)
        )


@dataclass(frozen=True)
class Turn:
    """One scripted turn. ``deltas=None``: per model; ``logprobs=None``: auto when asked;
    ``usage=None``: per model; ``failure`` set: the turn sends ``.failed``, no transcript."""

    transcript: str = ""
    deltas: Deltas | None = None
    latency: Latency = Latency()
    languages: tuple[str, ...] | None = None
    logprobs: tuple[tuple[LogProb, ...], ...] | None = None
    usage: UsageTokens | UsageDuration | None = None
    match: Match | None = None
    failure: TranscriptionError | None = None
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.deltas, tuple) and "".join(self.deltas) != self.transcript:
            raise ScriptError(concat_mismatch(self.deltas, self.transcript))


@dataclass(frozen=True)
class Script:
    """A whole script; ``DEFAULT_SCRIPT`` has no turns, so every turn gets the default text."""

    turns: tuple[Turn, ...] = ()
    faults: tuple[Fault, ...] = ()
    model_usage: ModelUsage = "auto"
    latency: Latency = Latency()
    source: str = "<script>"


DEFAULT_SCRIPT = Script()


def concat_mismatch(deltas: Sequence[str], transcript: str) -> str:
    joined = "".join(deltas)
    at = next(
        (i for i, (a, b) in enumerate(zip(joined, transcript, strict=False)) if a != b),
        min(len(joined), len(transcript)),
    )

    return (
        f"deltas concatenate to {joined!r}, not the transcript {transcript!r} "
        f"(they differ from character {at})"
    )

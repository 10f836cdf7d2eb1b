"""Scripts: what each committed turn transcribes to, and the faults a session injects.

Owns the script model (``Script``, ``Turn``, the fault classes), the default script, and
``ScriptedTranscriber``, which turns a ``TurnRequest`` into a ``TurnPlan`` (transcript, deltas,
logprobs, usage, languages, pacing). The session applies plans and faults; this module only
describes them. Reading and validating script files lives in ``mockrt.contract.scriptfile``.
Pure: no I/O, no clocks, no randomness. Must never import aiohttp, websockets, asyncio, yaml or
jsonschema.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from mockrt.core.events import ErrorObject, LogProb, TranscriptionError, UsageDuration, UsageTokens
from mockrt.core.exceptions import MockRTError

__all__ = [
    "DEFAULT_BETWEEN_DELTAS_MS",
    "DEFAULT_COMPLETED_MS",
    "DEFAULT_FIRST_DELTA_MS",
    "DEFAULT_LANGUAGE",
    "DEFAULT_SCRIPT",
    "DURATION_MODELS",
    "LANGUAGE_MODELS",
    "WHOLE_DELTA_MODELS",
    "Close",
    "Delay",
    "DeltaMode",
    "Deltas",
    "FieldPath",
    "Drop",
    "Duplicate",
    "Fault",
    "InjectError",
    "Latency",
    "MAX_CLOSE_REASON_BYTES",
    "Match",
    "ModelUsage",
    "POINT_ALIASES",
    "Pieces",
    "Script",
    "ScriptError",
    "ScriptedTranscriber",
    "Transcriber",
    "Turn",
    "TurnPlan",
    "TurnPoint",
    "TurnRequest",
    "auto_logprobs",
    "concat_mismatch",
    "default_transcript",
    "estimate_usage",
    "plan_turn",
    "split_deltas",
]

# protocol.md §7 [live-JP]: commit -> completed ~0.5-0.8 s; 300 + 30 a delta + 50 lands there.
DEFAULT_FIRST_DELTA_MS = 300
DEFAULT_BETWEEN_DELTAS_MS = 30
DEFAULT_COMPLETED_MS = 50
# protocol.md §5, §10 #6: usage {"type": "duration"} observed for gpt-live-transcribe, likely for
# whisper-1 and gpt-realtime-whisper; every other model reports tokens.
DURATION_MODELS = ("whisper-1", "gpt-live-transcribe", "gpt-realtime-whisper")
# completed.languages: "Returned by `gpt-transcribe`." [py3.51]; no evidence for other models.
LANGUAGE_MODELS = ("gpt-transcribe",)
# Beta guide: "For whisper-1 the delta event will contain the full turn transcript".
WHOLE_DELTA_MODELS = ("whisper-1",)
# What a language-reporting model detects when neither the turn nor the session names one.
DEFAULT_LANGUAGE = "en"

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


# --- requests and plans -------------------------------------------------------------------------


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


@dataclass(frozen=True)
class TurnPlan:
    """What the session sends for one turn. Deltas are due ``first_delta_ms`` after the commit,
    then every ``between_deltas_ms``; the final event (completed, or failed when ``failure`` is
    set and there are no deltas) ``completed_ms`` after the last delta: see the offsets below."""

    transcript: str
    deltas: tuple[str, ...]
    logprobs: tuple[tuple[LogProb, ...], ...] | None
    usage: UsageTokens | UsageDuration
    languages: tuple[str, ...] | None
    failure: TranscriptionError | None
    first_delta_ms: int
    between_deltas_ms: int
    completed_ms: int
    faults: tuple[Fault, ...] = ()

    def __post_init__(self) -> None:
        if "".join(self.deltas) != self.transcript:
            raise ScriptError(concat_mismatch(self.deltas, self.transcript))
        if self.logprobs is not None and len(self.logprobs) != len(self.deltas):
            raise ScriptError(
                f"{len(self.logprobs)} logprobs entries for {len(self.deltas)} deltas"
            )

    @property
    def delta_offsets_ms(self) -> tuple[int, ...]:
        """When each delta is due, in ms after the commit."""
        step = self.between_deltas_ms
        return tuple(self.first_delta_ms + i * step for i in range(len(self.deltas)))

    @property
    def final_offset_ms(self) -> int:
        """When completed (or failed) is due, in ms after the commit."""
        offsets = self.delta_offsets_ms
        return (offsets[-1] if offsets else self.first_delta_ms) + self.completed_ms


class Transcriber(Protocol):
    """Decides what a committed turn transcribes to."""

    def transcribe(self, request: TurnRequest) -> TurnPlan: ...


class ScriptedTranscriber:
    """The default ``Transcriber``: one per session, consuming ``script.turns``.

    A request takes the first not-yet-used scripted turn, in script order, whose ``match`` fits
    it (a turn without ``match`` fits anything). A turn that did not fit stays available for a
    later request; when no turn fits, or the script has run out, the default text applies.
    """

    def __init__(self, script: Script = DEFAULT_SCRIPT) -> None:
        self.script = script
        self._used = [False] * len(script.turns)

    def transcribe(self, request: TurnRequest) -> TurnPlan:
        for position, turn in enumerate(self.script.turns):
            if not self._used[position] and (turn.match is None or turn.match.fits(request)):
                self._used[position] = True
                return plan_turn(request, turn, self.script)
        return plan_turn(request, None, self.script)

    @property
    def unused_turns(self) -> list[int]:
        """0-based positions in ``script.turns`` (as in ``turns[i]``) never consumed."""
        return [i for i, used in enumerate(self._used) if not used]


def plan_turn(request: TurnRequest, turn: Turn | None, script: Script = DEFAULT_SCRIPT) -> TurnPlan:
    """The plan for ``request`` from a scripted ``turn``, or from the default text if None."""
    turn = turn or Turn(transcript=default_transcript(request))
    failed = turn.failure is not None
    transcript = "" if failed else turn.transcript
    mode = turn.deltas
    if mode is None:
        mode = "whole" if request.model in WHOLE_DELTA_MODELS else "words"
    deltas = split_deltas(transcript, mode)
    logprobs = None
    if request.include_logprobs and not failed:
        logprobs = turn.logprobs if turn.logprobs is not None else auto_logprobs(deltas)
    languages = None
    if request.model in LANGUAGE_MODELS and not failed:
        languages = turn.languages
        if languages is None:
            languages = (request.language or DEFAULT_LANGUAGE,)

    def pick(name: str, default: int) -> int:
        value: int | None = getattr(turn.latency, name)
        if value is None:
            value = getattr(script.latency, name)
        return default if value is None else value

    return TurnPlan(
        transcript=transcript,
        deltas=deltas,
        logprobs=logprobs,
        usage=turn.usage or estimate_usage(request, transcript, script.model_usage),
        languages=languages,
        failure=turn.failure,
        first_delta_ms=pick("first_delta_ms", DEFAULT_FIRST_DELTA_MS),
        between_deltas_ms=pick("between_deltas_ms", DEFAULT_BETWEEN_DELTAS_MS),
        completed_ms=pick("completed_ms", DEFAULT_COMPLETED_MS),
        faults=tuple(_bind(fault, request.index) for fault in turn.faults),
    )


def _bind(fault: Fault, index: int) -> Fault:
    """A turn-level fault, bound to the session turn that consumed it."""
    if isinstance(fault, InjectError | Close):
        return dataclasses.replace(fault, at_turn=index)
    return dataclasses.replace(fault, turn=index)


# --- text helpers -------------------------------------------------------------------------------

_WORDS = re.compile(r"\s*\S+|\s+")  # each word with its leading whitespace; trailing space alone
_OUTPUT_TOKENS = re.compile(r"\w+|[^\w\s]")


def default_transcript(request: TurnRequest) -> str:
    """``"turn 1: 1.24 s of speech"``: deterministic, and says what the mock heard. A turn with
    no speech in it transcribes to ``""``, as silence-only commits do live [live-JP]."""
    if request.speech_ms <= 0:
        return ""
    return f"turn {request.index}: {request.speech_ms / 1000:.2f} s of speech"


def split_deltas(text: str, mode: Deltas) -> tuple[str, ...]:
    """The deltas of ``text``; they always concatenate to ``text`` and are never empty."""
    if isinstance(mode, tuple):
        if "".join(mode) != text:
            raise ScriptError(concat_mismatch(mode, text))
        return mode
    if isinstance(mode, Pieces):
        count = min(mode.count, len(text))
        if count == 0:
            return ()
        size, extra = divmod(len(text), count)
        bounds = [i * size + min(i, extra) for i in range(count + 1)]
        return tuple(text[a:b] for a, b in zip(bounds, bounds[1:], strict=False))
    if mode == "words":
        return tuple(_WORDS.findall(text))
    if mode == "characters":
        return tuple(text)
    return (text,) if text else ()


def auto_logprobs(deltas: Sequence[str]) -> tuple[tuple[LogProb, ...], ...]:
    """One logprob per delta, its value a hash of the token mapped into [-2.0, 0.0)."""
    return tuple((_auto_logprob(delta),) for delta in deltas)


def _auto_logprob(token: str) -> LogProb:
    raw = token.encode()
    digest = int.from_bytes(hashlib.blake2b(raw, digest_size=8).digest(), "big")
    return LogProb(token=token, bytes=list(raw), logprob=-(digest % 2_000_000 + 1) / 1_000_000)


def estimate_usage(
    request: TurnRequest, transcript: str, model_usage: ModelUsage = "auto"
) -> UsageTokens | UsageDuration:
    """Usage per model family (protocol.md §5): duration = ceil of the committed seconds."""
    kind = model_usage
    if kind == "auto":
        kind = "duration" if request.model in DURATION_MODELS else "tokens"
    ms = round(request.duration_ms, 3)  # 1000.0000001 ms of float drift is still 1 s
    if kind == "duration":
        return UsageDuration(seconds=math.ceil(ms / 1000))
    # An estimate, not OpenAI's tokenizer: 10 audio tokens per second of audio, no prompt text,
    # one output token per word or punctuation mark.
    audio = math.ceil(ms / 100)
    output = len(_OUTPUT_TOKENS.findall(transcript))
    return UsageTokens(
        input_tokens=audio,
        output_tokens=output,
        total_tokens=audio + output,
        input_token_details={"audio_tokens": audio, "text_tokens": 0},
    )


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

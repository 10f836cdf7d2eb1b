"""The transcriber: what a committed turn transcribes to, with its pacing.

Owns ``ScriptedTranscriber``, which turns a ``TurnRequest`` into a ``TurnPlan`` (transcript,
deltas, logprobs, usage, languages, pacing) from a ``Script``, the per-model tables that shape a
plan, and the text helpers (delta splitting, usage estimates). Pure: no I/O, no clocks, no
randomness. Must never import aiohttp, websockets, asyncio, yaml or jsonschema.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from mockrt.core.script import (
    DEFAULT_SCRIPT,
    Close,
    Deltas,
    Fault,
    InjectError,
    ModelUsage,
    Pieces,
    Script,
    ScriptError,
    Turn,
    TurnRequest,
    concat_mismatch,
)
from mockrt.core.server_events import LogProb, TranscriptionError, UsageDuration, UsageTokens

__all__ = [
    "auto_logprobs",
    "DEFAULT_BETWEEN_DELTAS_MS",
    "DEFAULT_COMPLETED_MS",
    "DEFAULT_FIRST_DELTA_MS",
    "DEFAULT_LANGUAGE",
    "default_transcript",
    "DURATION_MODELS",
    "estimate_usage",
    "LANGUAGE_MODELS",
    "plan_turn",
    "ScriptedTranscriber",
    "split_deltas",
    "Transcriber",
    "TurnPlan",
    "WHOLE_DELTA_MODELS",
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

# --- requests and plans -------------------------------------------------------------------------


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
    # How to estimate usage again for the committed audio, or None when the script fixed it.
    usage_basis: ModelUsage | None = None

    def __post_init__(self) -> None:
        if "".join(self.deltas) != self.transcript:
            raise ScriptError(concat_mismatch(self.deltas, self.transcript))
        if self.logprobs is not None and len(self.logprobs) != len(self.deltas):
            raise ScriptError(
                f"{len(self.logprobs)} logprobs entries for {len(self.deltas)} deltas"
            )

    def for_commit(self, request: TurnRequest) -> TurnPlan:
        """This plan for the audio ``request`` commits (a plan made before the commit, by a
        streaming turn, has its usage estimated again)."""
        if self.usage_basis is None:
            return self
        usage = estimate_usage(request, self.transcript, self.usage_basis)
        return dataclasses.replace(self, usage=usage)

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
        usage_basis=script.model_usage if turn.usage is None else None,
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
    no speech in it transcribes to ``""``, as silence-only commits do live [live-JP]. A streaming
    turn's text is fixed at its first speech, before its length is known: ``"turn 1: speech from
    0.55 s"`` (where the speech began in the buffer)."""
    if request.streaming:
        return f"turn {request.index}: speech from {request.duration_ms / 1000:.2f} s"
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

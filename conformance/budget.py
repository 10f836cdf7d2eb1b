"""The live budget: what a run against the live API costs, printed before it starts.

One home for the price table. Source: https://openai.com/api/pricing/ and
https://platform.openai.com/docs/pricing (transcription, "estimated cost per minute"), as
published 2025-03 for gpt-4o-transcribe, gpt-4o-mini-transcribe and whisper-1. The 2026 models
(gpt-transcribe, gpt-live-transcribe, gpt-realtime-whisper) have no price this suite could
confirm: UNCONFIRMED, estimated at the highest known per-minute price so the estimate errs high.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from conformance.casefile import Case
from conformance.runner import audio_seconds

__all__ = ["PRICES_SEEN", "PRICE_PER_MINUTE", "PRICE_SOURCE", "Budget", "estimate"]

PRICE_SOURCE = "https://openai.com/api/pricing/"
PRICES_SEEN = "2025-03"
# US$ per minute of input audio.
PRICE_PER_MINUTE: dict[str, float] = {
    "gpt-4o-transcribe": 0.006,
    "gpt-4o-mini-transcribe": 0.003,
    "whisper-1": 0.006,
}
_UNKNOWN_MODEL_PRICE = max(PRICE_PER_MINUTE.values())


@dataclass(frozen=True)
class Budget:
    cases: int
    connections: int
    audio_seconds: float
    dollars: float

    def __str__(self) -> str:
        return (
            f"live budget: {self.cases} case(s), at most {self.connections} connection(s), "
            f"{self.audio_seconds:.1f} s of audio, about ${self.dollars:.4f} "
            f"(per-minute prices from {PRICE_SOURCE}, seen {PRICES_SEEN}; models without a "
            f"published price counted at ${_UNKNOWN_MODEL_PRICE}/min)"
        )


def _models(case: Case) -> set[str]:
    found: set[str] = set()

    def walk(value: object) -> None:
        if isinstance(value, dict):
            model = value.get("model")
            if isinstance(model, str) and ("transcribe" in model or "whisper" in model):
                found.add(str(model))
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(list(case.steps))
    return found


def estimate(cases: Iterable[Case], max_audio_seconds: float | None = None) -> Budget:
    """Connections (alternatives included, as the worst case), audio seconds (capped at
    ``max_audio_seconds``) and dollars: audio minutes times the dearest model a case names."""
    chosen = list(cases)
    seconds = 0.0
    dollars = 0.0
    connections = 0
    for case in chosen:
        steps = [case.steps, *(a["steps"] for a in case.alternatives)]
        connections += sum(max(1, sum(1 for s in st if "connect" in s)) for st in steps)
        needed = audio_seconds(case)
        if max_audio_seconds is not None and seconds + needed > max_audio_seconds:
            continue
        seconds += needed
        prices = [PRICE_PER_MINUTE.get(m, _UNKNOWN_MODEL_PRICE) for m in _models(case)]
        dollars += needed / 60 * max(prices or [_UNKNOWN_MODEL_PRICE])
    return Budget(len(chosen), connections, seconds, dollars)

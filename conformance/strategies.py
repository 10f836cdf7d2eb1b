"""Hypothesis strategies for the conformance suite: valid client events drawn from the JSON
Schemas (hypothesis-jsonschema over schemas/), mutated events (a required key dropped, an
unknown key added, a value of the wrong type or null), audio chunkings and session
configurations. Needs the ``test`` extra (hypothesis, hypothesis-jsonschema).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from conformance.invariants import default_schemas_dir
from mockrt.contract import schema
from mockrt.contract.sdkinstances import bundle

__all__ = [
    "CLIENT_TYPES",
    "MODELS",
    "audio_chunks",
    "client_events",
    "event_schema",
    "mutated_events",
    "session_configs",
]

CLIENT_TYPES = (
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
)
# docs/protocol.md §2.1: the transcription models; the last two take no turn detection.
MODELS = (
    "whisper-1",
    "gpt-4o-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-transcribe",
    "gpt-live-transcribe",
    "gpt-realtime-whisper",
)
_VADLESS = ("gpt-live-transcribe", "gpt-realtime-whisper")


@cache
def event_schema(kind: str, persona: str = "ga", directory: Path | None = None) -> dict[str, Any]:
    """The bundled (self-contained) client schema of one event type."""
    docs = schema.load(directory if directory is not None else default_schemas_dir())
    lookup = {str(doc["$id"]): doc for doc in docs.values()}
    bundled: dict[str, Any] = bundle(docs[f"{persona}/client/{kind}.json"], lookup)
    return bundled


def client_events(kinds: tuple[str, ...] = CLIENT_TYPES) -> st.SearchStrategy[dict[str, Any]]:
    """Client events valid against schemas/ (an append's audio is any string there)."""
    drawn: list[st.SearchStrategy[Any]] = [from_schema(event_schema(kind)) for kind in kinds]
    return st.one_of(drawn).filter(lambda event: isinstance(event, dict))


def _mutate(event: dict[str, Any], how: str, key: str, value: Any) -> dict[str, Any]:
    out = dict(event)
    if how == "drop" and len(out) > 1:
        out.pop(sorted(k for k in out if k != "type")[0] if len(out) > 1 else "type", None)
    elif how == "unknown":
        out[f"x_{key}"] = value
    elif how == "retype":
        target = sorted(out)[len(key) % len(out)]
        out[target] = [value] if not isinstance(out[target], list) else {"v": value}
    elif how == "null":
        out[sorted(out)[len(key) % len(out)]] = None
    return out


def mutated_events() -> st.SearchStrategy[dict[str, Any]]:
    """Schema-valid events broken in one way each; the server must answer with an error (or,
    for a harmless change, keep going) and never drop the connection."""
    return st.builds(
        _mutate,
        client_events(("input_audio_buffer.commit", "input_audio_buffer.clear", "session.update")),
        st.sampled_from(["drop", "unknown", "retype", "null"]),
        st.text("abcdefgh", min_size=1, max_size=6),
        st.one_of(st.integers(), st.text(max_size=5), st.booleans()),
    )


@st.composite
def audio_chunks(draw: st.DrawFn, max_ms: int = 600) -> list[int]:
    """Chunk sizes in bytes (whole 16-bit samples) of up to ``max_ms`` of 24 kHz audio."""
    total = draw(st.integers(0, max_ms)) * 48
    sizes: list[int] = []
    while total > 0:
        size = min(total, 2 * draw(st.integers(1, 4800)))
        sizes.append(size)
        total -= size
    return sizes


@st.composite
def session_configs(draw: st.DrawFn) -> dict[str, Any]:
    """A ``session`` for a GA transcription ``session.update`` that the live API accepts."""
    model = draw(st.sampled_from(MODELS))
    audio: dict[str, Any] = {"transcription": {"model": model}}
    if draw(st.booleans()):
        audio["format"] = draw(
            st.sampled_from(
                [
                    {"type": "audio/pcm", "rate": 24000},
                    {"type": "audio/pcmu"},
                    {"type": "audio/pcma"},
                ]
            )
        )
    if model in _VADLESS:
        audio["turn_detection"] = None
    else:
        audio["turn_detection"] = draw(
            st.sampled_from(
                [
                    None,
                    {"type": "server_vad"},
                    {"type": "server_vad", "threshold": 0.6, "silence_duration_ms": 300},
                    {"type": "semantic_vad", "eagerness": "high"},
                ]
            )
        )
    if draw(st.booleans()):
        audio["noise_reduction"] = draw(st.sampled_from([None, {"type": "near_field"}]))
    session: dict[str, Any] = {"type": "transcription", "audio": {"input": audio}}
    if draw(st.booleans()):
        session["include"] = ["item.input_audio_transcription.logprobs"]
    return session

"""Options: the places where live behaviour is unknown or era-dependent, made selectable.

Every default names its source; tests and users override them per server or per session.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mockrt.core.vad import VadConfig

__all__ = ["MODEL_WITH_INTENT", "VADLESS_MODELS", "ModelWithIntent", "Options"]


# protocol.md §2.1: these models reject turn detection ("VAD is not supported"); the one home of
# the list (``Options.vadless_models`` defaults to it; diagnosis imports it).
VADLESS_MODELS: tuple[str, ...] = ("gpt-live-transcribe", "gpt-realtime-whisper")


ModelWithIntent = Literal["after-update", "must-not-provide", "at-handshake"]
# protocol.md §11: the three recorded answers to ?intent=transcription&model=X, by name, with
# their sources; which one the live API gives today is UNCONFIRMED. The CLI's help prints these.
MODEL_WITH_INTENT: dict[ModelWithIntent, str] = {
    "after-update": (
        'the socket opens; the transcription session.update gets invalid_model \'Model "X" is '
        "not supported in transcription mode.', then close 4000 "
        "invalid_request_error.invalid_model (livekit/agents-js issue 1756 and PR 1767, "
        "2026-06; a comment in livekit-plugins-openai 1.8.9 says the same)"
    ),
    "must-not-provide": (
        "right after the upgrade an error frame invalid_model 'You must not provide a model "
        "parameter for transcription sessions.' (openai/openai-python issue 2652, 2025-09), "
        "then close 4000 (the close is UNCONFIRMED)"
    ),
    "at-handshake": (
        'right after the upgrade the invalid_model error \'Model "X" is not supported in '
        "transcription mode.', then close 4000 (a proxy's tests against the live API, 2026-09)"
    ),
}


def _server_vad(threshold: float, prefix: int, silence: int) -> dict[str, Any]:
    return {
        "type": "server_vad",
        "threshold": threshold,
        "prefix_padding_ms": prefix,
        "silence_duration_ms": silence,
    }


@dataclass(frozen=True)
class Options:
    """Behaviour switches of the mock, with the live API's observed values as defaults."""

    # evidence/agents-runner-on-transcription.json uses "… update event …" (2026-01); a later
    # variant drops "event" (protocol.md §6): "event" | "later".
    rule_wording: Literal["event", "later"] = "event"
    # ?intent=transcription&model=X: one of MODEL_WITH_INTENT (protocol.md §11); which one
    # live gives today is UNCONFIRMED. The default has two independent sources.
    model_with_intent: ModelWithIntent = "after-update"
    # protocol.md §2.3 detection rule: realtime-only keys inside a type "transcription" session
    # count as a realtime update ("rule"); openai/codex PR #14635 saw "unknown parameter" for
    # `tools` there ("unknown_parameter").
    realtime_keys: Literal["rule", "unknown_parameter"] = "rule"
    # protocol.md §9.2 [live-JP]: default turn detection of a new transcription session.
    default_turn_detection: dict[str, Any] | None = field(
        default_factory=lambda: _server_vad(0.5, 300, 200)
    )
    # evidence/agents-runner-on-transcription.json: a session minted with a client secret that
    # set no turn detection showed threshold 0.7, silence 500.
    minted_turn_detection: dict[str, Any] | None = field(
        default_factory=lambda: _server_vad(0.7, 300, 500)
    )
    # SDK docstrings (ServerVad): threshold 0.5, prefix 300 ms, silence 500 ms when a client
    # sets server_vad without them. UNCONFIRMED that live fills these exact values.
    server_vad_fill: dict[str, Any] = field(default_factory=lambda: _server_vad(0.5, 300, 500))
    # protocol.md §1.7 / §7: expires_at = created + 3600; session_expired after 60 minutes.
    session_seconds: int = 3600
    # Models without turn detection (VADLESS_MODELS above).
    vadless_models: tuple[str, ...] = VADLESS_MODELS
    # Models that send deltas while audio arrives (protocol.md §2.1, §5.3): the same two.
    streaming_models: tuple[str, ...] = VADLESS_MODELS
    # AudioTranscription: `languages` "Supported by gpt-transcribe and gpt-live-transcribe".
    languages_models: tuple[str, ...] = ("gpt-transcribe", "gpt-live-transcribe")
    # AudioTranscription docstring: "Prompt is not supported with gpt-realtime-whisper".
    no_prompt_models: tuple[str, ...] = ("gpt-realtime-whisper",)
    # The realtime model a `?model=` conversation session reports when none is given.
    realtime_model: str = "gpt-realtime"
    # [py3.51] "up to a maximum of 15 MiB" per input_audio_buffer.append.
    max_append_bytes: int = 15 * 1024 * 1024
    # [live-JP]: a commit needs at least 100 ms of audio since the previous commit.
    min_commit_ms: float = 100.0
    # Turn detection knobs that are not on the wire: frame length, minimum speech, and the
    # threshold -> energy mapping (mockrt/vad.py: voiced when level >= floor + t*(ceiling-floor)).
    vad: VadConfig = field(default_factory=VadConfig)

"""What a committed turn reads from its session's configuration, for either kind of session.

A transcription session (``TranscriptionSession``, validated when updated) and a realtime
(conversation) session (``RealtimeSession``, kept loose: ``sessionconf.apply_realtime_update``
merges its updates as given) both carry ``audio.input.transcription`` and ``include``
(openai.types.realtime ``realtime_transcription_session_create_request.py`` and
``realtime_session_create_request.py``, ``realtime_audio_config_input.py``). ``transcription_of``
reads them from either, so the input audio buffer commits on both; that a conversation
session's commit gives the events a transcription session's gives is UNCONFIRMED (no live capture;
protocol.md §2.3, from the SDK types above).
Must never import aiohttp or websockets, nor the session or the turn logic.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from mockrt.core.session_objects import (
    LOGPROBS,
    AudioTranscription,
    RealtimeSession,
    TranscriptionOut,
    TranscriptionSession,
)

__all__ = ["transcription_of"]


def transcription_of(
    config: TranscriptionSession | RealtimeSession,
) -> tuple[TranscriptionOut | None, bool]:
    """The session's input audio transcription (None: off, so no transcript) and whether
    ``include`` asks for its logprobs."""
    if isinstance(config, TranscriptionSession):
        return config.audio.input.transcription, LOGPROBS in (config.include or ())
    extra: dict[str, Any] = config.model_extra or {}
    include = extra.get("include")
    logprobs = isinstance(include, list) and LOGPROBS in include
    audio = extra.get("audio")
    audio_input = audio.get("input") if isinstance(audio, dict) else None
    wire = audio_input.get("transcription") if isinstance(audio_input, dict) else None
    if wire is None:
        # realtime_audio_config_input.py: transcription "defaults to off"
        return None, logprobs
    try:
        tr = AudioTranscription.model_validate(wire)
    except ValidationError:
        # The mock does not check a realtime session's updates; live would have refused one
        # that sets a transcription like this, leaving it off (the default). UNCONFIRMED.
        return None, logprobs
    return TranscriptionOut.of(tr), logprobs

"""Client events: the four a transcription session models, one discriminated union.

Field names and Literal values follow ``openai.types.realtime`` (openai 3.x, GA). Must never
import aiohttp or websockets.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from mockrt.core.session_objects import SessionRequest
from mockrt.core.wire import DEFERRED, ClientModel

__all__ = [
    "CLIENT_EVENTS",
    "ClientEvent",
    "InputAudioBufferAppend",
    "InputAudioBufferClear",
    "InputAudioBufferCommit",
    "SessionUpdate",
]

# --- client events ------------------------------------------------------------------------------


class SessionUpdate(ClientModel):
    """``session.update``; ``event_id`` is echoed in errors, never in ``session.updated``."""

    type: Literal["session.update"]
    session: SessionRequest
    event_id: str | None = None


class InputAudioBufferAppend(ClientModel):
    """``input_audio_buffer.append``: base64 audio, at most 15 MiB; never acknowledged."""

    type: Literal["input_audio_buffer.append"]
    audio: str
    event_id: str | None = None


class InputAudioBufferCommit(ClientModel):
    """``input_audio_buffer.commit``."""

    type: Literal["input_audio_buffer.commit"]
    event_id: str | None = None


class InputAudioBufferClear(ClientModel):
    """``input_audio_buffer.clear``."""

    type: Literal["input_audio_buffer.clear"]
    event_id: str | None = None


ClientEvent = Annotated[
    SessionUpdate | InputAudioBufferAppend | InputAudioBufferCommit | InputAudioBufferClear,
    Field(discriminator="type"),
]
CLIENT_EVENTS: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent, config=DEFERRED)

"""Server events: every event a transcription session sends, one discriminated union.

Field names, Literal values and optionality follow ``openai.types.realtime`` (openai 3.x, GA);
where the live API was observed to differ, protocol.md is followed and the field says so.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, TypeAdapter

from mockrt.core.session_objects import AnySession
from mockrt.core.wire import DEFERRED, ServerModel, omit_none

__all__ = [
    "ConversationItemAdded",
    "ConversationItemCreated",
    "ConversationItemDone",
    "ErrorEvent",
    "ErrorObject",
    "InputAudioBufferCleared",
    "InputAudioBufferCommitted",
    "InputAudioBufferSpeechStarted",
    "InputAudioBufferSpeechStopped",
    "InputAudioBufferTimeoutTriggered",
    "InputAudioContent",
    "InputAudioTranscriptionCompleted",
    "InputAudioTranscriptionDelta",
    "InputAudioTranscriptionFailed",
    "LogProb",
    "SERVER_EVENTS",
    "ServerEvent",
    "SessionCreated",
    "SessionUpdated",
    "TranscriptionError",
    "TranscriptionLanguage",
    "UsageDuration",
    "UsageTokens",
    "UserAudioItem",
]

# --- server events --------------------------------------------------------------------------------


class SessionCreated(ServerModel):
    """ "Emitted automatically when a new connection is established as the first server event."."""

    type: Literal["session.created"] = "session.created"
    event_id: str
    session: AnySession


class SessionUpdated(ServerModel):
    """Reply to ``session.update``: the full effective session; never the client's event_id."""

    type: Literal["session.updated"] = "session.updated"
    event_id: str
    session: AnySession


class ErrorObject(ServerModel):
    """openai.types.realtime.RealtimeError; ``event_id`` is the offending client event's id."""

    type: str
    code: str | None
    message: str
    param: str | None
    event_id: str | None


class ErrorEvent(ServerModel):
    type: Literal["error"] = "error"
    event_id: str
    error: ErrorObject


class InputAudioBufferCommitted(ServerModel):
    type: Literal["input_audio_buffer.committed"] = "input_audio_buffer.committed"
    event_id: str
    previous_item_id: str | None
    item_id: str


class InputAudioBufferCleared(ServerModel):
    type: Literal["input_audio_buffer.cleared"] = "input_audio_buffer.cleared"
    event_id: str


class InputAudioBufferSpeechStarted(ServerModel):
    """``audio_start_ms`` includes ``prefix_padding_ms`` (SDK docstring)."""

    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"
    event_id: str
    audio_start_ms: int
    item_id: str


class InputAudioBufferSpeechStopped(ServerModel):
    """``audio_end_ms`` includes the silence duration (SDK docstring)."""

    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"
    event_id: str
    audio_end_ms: int
    item_id: str


class InputAudioBufferTimeoutTriggered(ServerModel):
    """server_vad ``idle_timeout_ms`` elapsed without speech (SDK docstring)."""

    type: Literal["input_audio_buffer.timeout_triggered"] = "input_audio_buffer.timeout_triggered"
    event_id: str
    audio_start_ms: int
    audio_end_ms: int
    item_id: str


class InputAudioContent(ServerModel):
    """A user item's audio part; audio bytes are omitted on the wire ("except for audio data")."""

    type: Literal["input_audio"] = "input_audio"
    transcript: str | None = None


class UserAudioItem(ServerModel):
    """RealtimeConversationItemUserMessage as ``conversation.item.added/done`` carry it."""

    id: str
    object: Literal["realtime.item"] = "realtime.item"
    type: Literal["message"] = "message"
    status: Literal["completed", "incomplete", "in_progress"] = "completed"
    role: Literal["user"] = "user"
    content: list[InputAudioContent]


class ConversationItemAdded(ServerModel):
    type: Literal["conversation.item.added"] = "conversation.item.added"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class ConversationItemDone(ServerModel):
    type: Literal["conversation.item.done"] = "conversation.item.done"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class ConversationItemCreated(ServerModel):
    """Beta persona's item event after ``committed``."""

    type: Literal["conversation.item.created"] = "conversation.item.created"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class LogProb(ServerModel):
    """openai.types.realtime.LogProbProperties."""

    token: str
    bytes: list[int]
    logprob: float


class UsageTokens(ServerModel):
    type: Literal["tokens"] = "tokens"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: dict[str, int] | None = Field(default=None, exclude_if=omit_none)


class UsageDuration(ServerModel):
    """Live gpt-live-transcribe: ``seconds`` = ceil of the committed buffer length [live-JP],
    sent as an integer (``6``, not ``6.0``)."""

    type: Literal["duration"] = "duration"
    seconds: int | float


class TranscriptionLanguage(ServerModel):
    code: str


class InputAudioTranscriptionDelta(ServerModel):
    type: Literal["conversation.item.input_audio_transcription.delta"] = (
        "conversation.item.input_audio_transcription.delta"
    )
    event_id: str
    item_id: str
    content_index: int = 0
    delta: str
    logprobs: list[LogProb] | None = Field(default=None, exclude_if=omit_none)


class InputAudioTranscriptionCompleted(ServerModel):
    type: Literal["conversation.item.input_audio_transcription.completed"] = (
        "conversation.item.input_audio_transcription.completed"
    )
    event_id: str
    item_id: str
    content_index: int = 0
    transcript: str
    usage: Annotated[UsageTokens | UsageDuration, Field(discriminator="type")]
    logprobs: list[LogProb] | None = Field(default=None, exclude_if=omit_none)
    languages: list[TranscriptionLanguage] | None = Field(default=None, exclude_if=omit_none)


class TranscriptionError(ServerModel):
    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None


class InputAudioTranscriptionFailed(ServerModel):
    type: Literal["conversation.item.input_audio_transcription.failed"] = (
        "conversation.item.input_audio_transcription.failed"
    )
    event_id: str
    item_id: str
    content_index: int = 0
    error: TranscriptionError


ServerEvent = Annotated[
    SessionCreated
    | SessionUpdated
    | ErrorEvent
    | InputAudioBufferCommitted
    | InputAudioBufferCleared
    | InputAudioBufferSpeechStarted
    | InputAudioBufferSpeechStopped
    | InputAudioBufferTimeoutTriggered
    | ConversationItemAdded
    | ConversationItemDone
    | ConversationItemCreated
    | InputAudioTranscriptionDelta
    | InputAudioTranscriptionCompleted
    | InputAudioTranscriptionFailed,
    Field(discriminator="type"),
]
SERVER_EVENTS: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent, config=DEFERRED)

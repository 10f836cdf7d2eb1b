"""Wire models: one pydantic model per event type, one union per direction.

Field names, Literal values and optionality follow ``openai.types.realtime`` (openai 3.x, GA);
where the live API was observed to differ, protocol.md is followed and the field says so.
Client models are strict (unknown keys are errors, no coercion), as the live server is. Server
models are what mockrt emits. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

__all__ = [
    "AudioInputOut",
    "AudioOut",
    "NoiseReductionOut",
    "SemanticVadOut",
    "ServerVadOut",
    "TranscriptionOut",
    "TRANSCRIPTION_MODELS",
    "LOGPROBS",
    "AnySession",
    "SessionRequest",
    "AudioFormat",
    "AudioPCM",
    "AudioPCMA",
    "AudioPCMU",
    "AudioTranscription",
    "ClientEvent",
    "CLIENT_EVENTS",
    "ConversationItemAdded",
    "dump",
    "ConversationItemCreated",
    "ConversationItemDone",
    "ErrorEvent",
    "ErrorObject",
    "InputAudioBufferAppend",
    "InputAudioBufferClear",
    "InputAudioBufferCleared",
    "InputAudioBufferCommit",
    "InputAudioBufferCommitted",
    "InputAudioBufferSpeechStarted",
    "InputAudioBufferSpeechStopped",
    "InputAudioBufferTimeoutTriggered",
    "InputAudioTranscriptionCompleted",
    "InputAudioTranscriptionDelta",
    "InputAudioTranscriptionFailed",
    "InputAudioContent",
    "LogProb",
    "NoiseReduction",
    "RealtimeSession",
    "RealtimeSessionRequest",
    "SemanticVad",
    "ServerEvent",
    "SERVER_EVENTS",
    "ServerVad",
    "SessionCreated",
    "SessionUpdate",
    "SessionUpdated",
    "TranscriptionError",
    "TranscriptionLanguage",
    "TranscriptionSession",
    "TranscriptionSessionAudio",
    "TranscriptionSessionAudioInput",
    "TranscriptionSessionRequest",
    "TurnDetection",
    "UsageDuration",
    "UsageTokens",
    "UserAudioItem",
]

TRANSCRIPTION_MODELS = (
    # openai.types.realtime.AudioTranscription.model (openai 3.57)
    "whisper-1",
    "gpt-transcribe",
    "gpt-live-transcribe",
    "gpt-4o-mini-transcribe",
    "gpt-4o-mini-transcribe-2025-12-15",
    "gpt-4o-transcribe",
    "gpt-4o-transcribe-diarize",
    "gpt-realtime-whisper",
)

LOGPROBS = "item.input_audio_transcription.logprobs"


def _omit_none(value: object) -> bool:
    return value is None


class _Client(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class _Server(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- audio formats, shared by both directions --------------------------------------------------


class AudioPCM(_Client):
    """``audio/pcm``: 16-bit little-endian mono; "Only a 24kHz sample rate is supported."."""

    type: Literal["audio/pcm"]
    rate: Literal[24000] = 24000


class AudioPCMU(_Client):
    """``audio/pcmu``: G.711 μ-law, 8 kHz."""

    type: Literal["audio/pcmu"]


class AudioPCMA(_Client):
    """``audio/pcma``: G.711 A-law, 8 kHz."""

    type: Literal["audio/pcma"]


AudioFormat = Annotated[AudioPCM | AudioPCMU | AudioPCMA, Field(discriminator="type")]


# --- the transcription session request (session.update.session, client_secrets.session) --------


class NoiseReduction(_Client):
    """openai.types.realtime.realtime_transcription_session_audio_input.NoiseReduction."""

    type: Literal["near_field", "far_field"] | None = None
    strength: float | None = None


class AudioTranscription(_Client):
    """openai.types.realtime.AudioTranscription."""

    model: str | None = None
    language: str | None = None
    languages: list[str] | None = None
    prompt: str | None = None
    keywords: list[str] | None = None
    delay: Literal["minimal", "low", "medium", "high", "xhigh"] | None = None


class ServerVad(_Client):
    """realtime_transcription_session_audio_input_turn_detection.ServerVad."""

    type: Literal["server_vad"]
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    prefix_padding_ms: int | None = Field(default=None, ge=0)
    silence_duration_ms: int | None = Field(default=None, ge=0)
    idle_timeout_ms: int | None = Field(default=None, ge=0)
    create_response: bool | None = None
    interrupt_response: bool | None = None


class SemanticVad(_Client):
    """realtime_transcription_session_audio_input_turn_detection.SemanticVad."""

    type: Literal["semantic_vad"]
    eagerness: Literal["low", "medium", "high", "auto"] | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None


TurnDetection = Annotated[ServerVad | SemanticVad, Field(discriminator="type")]


class TranscriptionSessionAudioInput(_Client):
    """RealtimeTranscriptionSessionAudioInput: absent keeps, ``null`` clears."""

    format: AudioFormat | None = None
    noise_reduction: NoiseReduction | None = None
    transcription: AudioTranscription | None = None
    turn_detection: TurnDetection | None = None


class TranscriptionSessionAudio(_Client):
    """RealtimeTranscriptionSessionAudio: there is no ``audio.output`` in transcription mode."""

    input: TranscriptionSessionAudioInput | None = None


class TranscriptionSessionRequest(_Client):
    """RealtimeTranscriptionSessionCreateRequest."""

    type: Literal["transcription"]
    audio: TranscriptionSessionAudio | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None


class RealtimeSessionRequest(BaseModel):
    """RealtimeSessionCreateRequest, loosely: mockrt only needs to tell it apart."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Literal["realtime"]


SessionRequest = Annotated[
    TranscriptionSessionRequest | RealtimeSessionRequest, Field(discriminator="type")
]


# --- client events ------------------------------------------------------------------------------


class SessionUpdate(_Client):
    """``session.update``; ``event_id`` is echoed in errors, never in ``session.updated``."""

    type: Literal["session.update"]
    session: SessionRequest
    event_id: str | None = None


class InputAudioBufferAppend(_Client):
    """``input_audio_buffer.append``: base64 audio, at most 15 MiB; never acknowledged."""

    type: Literal["input_audio_buffer.append"]
    audio: str
    event_id: str | None = None


class InputAudioBufferCommit(_Client):
    """``input_audio_buffer.commit``."""

    type: Literal["input_audio_buffer.commit"]
    event_id: str | None = None


class InputAudioBufferClear(_Client):
    """``input_audio_buffer.clear``."""

    type: Literal["input_audio_buffer.clear"]
    event_id: str | None = None


ClientEvent = Annotated[
    SessionUpdate | InputAudioBufferAppend | InputAudioBufferCommit | InputAudioBufferClear,
    Field(discriminator="type"),
]
CLIENT_EVENTS: TypeAdapter[ClientEvent] = TypeAdapter(ClientEvent)

# --- the session object the server sends --------------------------------------------------------


class TranscriptionOut(_Server):
    """Echo of ``audio.input.transcription``: ``language`` and ``prompt`` always present
    ([live-JP]: ``"language":null``, ``"prompt":null``); ``delay`` is not echoed [live-JP]."""

    model: str | None = None
    language: str | None = None
    languages: list[str] | None = Field(default=None, exclude_if=_omit_none)
    prompt: str | None = None
    keywords: list[str] | None = Field(default=None, exclude_if=_omit_none)


class NoiseReductionOut(_Server):
    """Echo of ``noise_reduction``; evidence shows ``{"type": "far_field"}`` without strength."""

    type: Literal["near_field", "far_field"] | None = None
    strength: float | None = Field(default=None, exclude_if=_omit_none)


class ServerVadOut(_Server):
    """Echo of ``server_vad``; the observed default is 0.5 / 300 / 200 [live-JP]."""

    type: Literal["server_vad"] = "server_vad"
    threshold: float
    prefix_padding_ms: int
    silence_duration_ms: int
    idle_timeout_ms: int | None = Field(default=None, exclude_if=_omit_none)
    create_response: bool | None = Field(default=None, exclude_if=_omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=_omit_none)


class SemanticVadOut(_Server):
    """Echo of ``semantic_vad``."""

    type: Literal["semantic_vad"] = "semantic_vad"
    eagerness: Literal["low", "medium", "high", "auto"] = "auto"
    create_response: bool | None = Field(default=None, exclude_if=_omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=_omit_none)


class AudioInputOut(_Server):
    format: AudioFormat
    noise_reduction: NoiseReductionOut | None
    transcription: TranscriptionOut | None
    turn_detection: Annotated[ServerVadOut | SemanticVadOut, Field(discriminator="type")] | None


class AudioOut(_Server):
    input: AudioInputOut


class TranscriptionSession(_Server):
    """RealtimeTranscriptionSessionCreateResponse, as ``session.created`` carries it (§2.2)."""

    type: Literal["transcription"] = "transcription"
    object: Literal["realtime.transcription_session"] = "realtime.transcription_session"
    id: str
    expires_at: int
    audio: AudioOut
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None


class RealtimeSession(BaseModel):
    """RealtimeSessionCreateResponse (conversation sessions), kept loose: fields pass through."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: Literal["realtime"] = "realtime"
    object: Literal["realtime.session"] = "realtime.session"
    id: str
    expires_at: int


AnySession = Annotated[TranscriptionSession | RealtimeSession, Field(discriminator="type")]


# --- server events --------------------------------------------------------------------------------


class SessionCreated(_Server):
    """ "Emitted automatically when a new connection is established as the first server event."."""

    type: Literal["session.created"] = "session.created"
    event_id: str
    session: AnySession


class SessionUpdated(_Server):
    """Reply to ``session.update``: the full effective session; never the client's event_id."""

    type: Literal["session.updated"] = "session.updated"
    event_id: str
    session: AnySession


class ErrorObject(_Server):
    """openai.types.realtime.RealtimeError; ``event_id`` is the offending client event's id."""

    type: str
    code: str | None
    message: str
    param: str | None
    event_id: str | None


class ErrorEvent(_Server):
    type: Literal["error"] = "error"
    event_id: str
    error: ErrorObject


class InputAudioBufferCommitted(_Server):
    type: Literal["input_audio_buffer.committed"] = "input_audio_buffer.committed"
    event_id: str
    previous_item_id: str | None
    item_id: str


class InputAudioBufferCleared(_Server):
    type: Literal["input_audio_buffer.cleared"] = "input_audio_buffer.cleared"
    event_id: str


class InputAudioBufferSpeechStarted(_Server):
    """``audio_start_ms`` includes ``prefix_padding_ms`` (SDK docstring)."""

    type: Literal["input_audio_buffer.speech_started"] = "input_audio_buffer.speech_started"
    event_id: str
    audio_start_ms: int
    item_id: str


class InputAudioBufferSpeechStopped(_Server):
    """``audio_end_ms`` includes the silence duration (SDK docstring)."""

    type: Literal["input_audio_buffer.speech_stopped"] = "input_audio_buffer.speech_stopped"
    event_id: str
    audio_end_ms: int
    item_id: str


class InputAudioBufferTimeoutTriggered(_Server):
    """server_vad ``idle_timeout_ms`` elapsed without speech (SDK docstring)."""

    type: Literal["input_audio_buffer.timeout_triggered"] = "input_audio_buffer.timeout_triggered"
    event_id: str
    audio_start_ms: int
    audio_end_ms: int
    item_id: str


class InputAudioContent(_Server):
    """A user item's audio part; audio bytes are omitted on the wire ("except for audio data")."""

    type: Literal["input_audio"] = "input_audio"
    transcript: str | None = None


class UserAudioItem(_Server):
    """RealtimeConversationItemUserMessage as ``conversation.item.added/done`` carry it."""

    id: str
    object: Literal["realtime.item"] = "realtime.item"
    type: Literal["message"] = "message"
    status: Literal["completed", "incomplete", "in_progress"] = "completed"
    role: Literal["user"] = "user"
    content: list[InputAudioContent]


class ConversationItemAdded(_Server):
    type: Literal["conversation.item.added"] = "conversation.item.added"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class ConversationItemDone(_Server):
    type: Literal["conversation.item.done"] = "conversation.item.done"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class ConversationItemCreated(_Server):
    """Beta persona's item event after ``committed``."""

    type: Literal["conversation.item.created"] = "conversation.item.created"
    event_id: str
    previous_item_id: str | None
    item: UserAudioItem


class LogProb(_Server):
    """openai.types.realtime.LogProbProperties."""

    token: str
    bytes: list[int]
    logprob: float


class UsageTokens(_Server):
    type: Literal["tokens"] = "tokens"
    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_token_details: dict[str, int] | None = Field(default=None, exclude_if=_omit_none)


class UsageDuration(_Server):
    """Live gpt-live-transcribe: ``seconds`` = ceil of the committed buffer length [live-JP],
    sent as an integer (``6``, not ``6.0``)."""

    type: Literal["duration"] = "duration"
    seconds: int | float


class TranscriptionLanguage(_Server):
    code: str


class InputAudioTranscriptionDelta(_Server):
    type: Literal["conversation.item.input_audio_transcription.delta"] = (
        "conversation.item.input_audio_transcription.delta"
    )
    event_id: str
    item_id: str
    content_index: int = 0
    delta: str
    logprobs: list[LogProb] | None = Field(default=None, exclude_if=_omit_none)


class InputAudioTranscriptionCompleted(_Server):
    type: Literal["conversation.item.input_audio_transcription.completed"] = (
        "conversation.item.input_audio_transcription.completed"
    )
    event_id: str
    item_id: str
    content_index: int = 0
    transcript: str
    usage: Annotated[UsageTokens | UsageDuration, Field(discriminator="type")]
    logprobs: list[LogProb] | None = Field(default=None, exclude_if=_omit_none)
    languages: list[TranscriptionLanguage] | None = Field(default=None, exclude_if=_omit_none)


class TranscriptionError(_Server):
    type: str | None = None
    code: str | None = None
    message: str | None = None
    param: str | None = None


class InputAudioTranscriptionFailed(_Server):
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
SERVER_EVENTS: TypeAdapter[ServerEvent] = TypeAdapter(ServerEvent)


def dump(event: BaseModel) -> dict[str, Any]:
    """The event as the JSON object sent on the wire."""
    return event.model_dump(mode="json")

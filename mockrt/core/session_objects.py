"""Session objects: what ``session.update.session`` (and a client_secrets body) may carry, and
the session the server sends back in ``session.created``/``session.updated``.

Field names, Literal values and optionality follow ``openai.types.realtime`` (openai 3.x, GA);
where the live API was observed to differ, protocol.md is followed and the field says so.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from mockrt.core.wire import CLEARS, ClientModel, ServerModel, omit_none

__all__ = [
    "AnySession",
    "AudioFormat",
    "AudioInputOut",
    "AudioOut",
    "AudioPCM",
    "AudioPCMA",
    "AudioPCMU",
    "AudioTranscription",
    "LOGPROBS",
    "NoiseReduction",
    "NoiseReductionOut",
    "RealtimeSession",
    "RealtimeSessionRequest",
    "SemanticVad",
    "SemanticVadOut",
    "ServerVad",
    "ServerVadOut",
    "SessionRequest",
    "TRANSCRIPTION_MODELS",
    "TranscriptionOut",
    "TranscriptionSession",
    "TranscriptionSessionAudio",
    "TranscriptionSessionAudioInput",
    "TranscriptionSessionRequest",
    "TurnDetection",
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


# --- audio formats, shared by both directions --------------------------------------------------


class AudioPCM(ClientModel):
    """``audio/pcm``: 16-bit little-endian mono; "Only a 24kHz sample rate is supported."."""

    type: Literal["audio/pcm"]
    rate: Literal[24000] = 24000


class AudioPCMU(ClientModel):
    """``audio/pcmu``: G.711 μ-law, 8 kHz."""

    type: Literal["audio/pcmu"]


class AudioPCMA(ClientModel):
    """``audio/pcma``: G.711 A-law, 8 kHz."""

    type: Literal["audio/pcma"]


AudioFormat = Annotated[AudioPCM | AudioPCMU | AudioPCMA, Field(discriminator="type")]


# --- the transcription session request (session.update.session, client_secrets.session) --------


class NoiseReduction(ClientModel):
    """openai.types.realtime.realtime_transcription_session_audio_input.NoiseReduction."""

    type: Literal["near_field", "far_field"] | None = None
    strength: float | None = None


class AudioTranscription(ClientModel):
    """openai.types.realtime.AudioTranscription."""

    model: str | None = None
    # echoed as null when unset [live-JP]; null clears it (protocol.md §11)
    language: Annotated[str | None, CLEARS] = None
    # livekit-plugins-openai 1.8.9: live refuses languages null (and [])
    languages: list[str] | None = None
    prompt: str | None = None
    keywords: list[str] | None = None
    delay: Literal["minimal", "low", "medium", "high", "xhigh"] | None = None


class ServerVad(ClientModel):
    """realtime_transcription_session_audio_input_turn_detection.ServerVad."""

    type: Literal["server_vad"]
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    prefix_padding_ms: int | None = Field(default=None, ge=0)
    silence_duration_ms: int | None = Field(default=None, ge=0)
    idle_timeout_ms: Annotated[int | None, CLEARS] = Field(default=None, ge=0)
    create_response: bool | None = None
    interrupt_response: bool | None = None


class SemanticVad(ClientModel):
    """realtime_transcription_session_audio_input_turn_detection.SemanticVad."""

    type: Literal["semantic_vad"]
    eagerness: Literal["low", "medium", "high", "auto"] | None = None
    create_response: bool | None = None
    interrupt_response: bool | None = None


TurnDetection = Annotated[ServerVad | SemanticVad, Field(discriminator="type")]


class TranscriptionSessionAudioInput(ClientModel):
    """RealtimeTranscriptionSessionAudioInput: absent keeps, ``null`` clears where ``CLEARS``
    says so (``mockrt.core.nullability``): turn detection is ``Optional`` in the SDK's params; the
    API reference says noise reduction and transcription "can be set to null to turn off"."""

    format: AudioFormat | None = None
    noise_reduction: Annotated[NoiseReduction | None, CLEARS] = None
    transcription: Annotated[AudioTranscription | None, CLEARS] = None
    turn_detection: Annotated[TurnDetection | None, CLEARS] = None


class TranscriptionSessionAudio(ClientModel):
    """RealtimeTranscriptionSessionAudio: there is no ``audio.output`` in transcription mode."""

    input: TranscriptionSessionAudioInput | None = None


class TranscriptionSessionRequest(ClientModel):
    """RealtimeTranscriptionSessionCreateRequest."""

    type: Literal["transcription"]
    audio: TranscriptionSessionAudio | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None


class RealtimeSessionRequest(BaseModel):
    """RealtimeSessionCreateRequest, loosely: mockrt only needs to tell it apart."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: Literal["realtime"]


SessionRequest = Annotated[
    TranscriptionSessionRequest | RealtimeSessionRequest, Field(discriminator="type")
]


# --- the session object the server sends --------------------------------------------------------


class TranscriptionOut(ServerModel):
    """Echo of ``audio.input.transcription``: ``language`` and ``prompt`` always present
    ([live-JP]: ``"language":null``, ``"prompt":null``); ``delay`` is not echoed [live-JP]."""

    model: str | None = None
    language: str | None = None
    languages: list[str] | None = Field(default=None, exclude_if=omit_none)
    prompt: str | None = None
    keywords: list[str] | None = Field(default=None, exclude_if=omit_none)
    # kept for the streaming model's pacing (mockrt.core.streaming), never echoed [live-JP]
    delay: SkipJsonSchema[Literal["minimal", "low", "medium", "high", "xhigh"] | None] = Field(
        default=None, exclude=True
    )

    @classmethod
    def of(cls, tr: AudioTranscription) -> TranscriptionOut:
        """The session's transcription once ``tr`` is applied: every field as requested."""
        return cls(
            model=tr.model,
            language=tr.language,
            languages=tr.languages,
            prompt=tr.prompt,
            keywords=tr.keywords,
            delay=tr.delay,
        )


class NoiseReductionOut(ServerModel):
    """Echo of ``noise_reduction``; evidence shows ``{"type": "far_field"}`` without strength."""

    type: Literal["near_field", "far_field"] | None = None
    strength: float | None = Field(default=None, exclude_if=omit_none)


class ServerVadOut(ServerModel):
    """Echo of ``server_vad``; the observed default is 0.5 / 300 / 200 [live-JP]."""

    type: Literal["server_vad"] = "server_vad"
    threshold: float
    prefix_padding_ms: int
    silence_duration_ms: int
    idle_timeout_ms: int | None = Field(default=None, exclude_if=omit_none)
    create_response: bool | None = Field(default=None, exclude_if=omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=omit_none)


class SemanticVadOut(ServerModel):
    """Echo of ``semantic_vad``."""

    type: Literal["semantic_vad"] = "semantic_vad"
    eagerness: Literal["low", "medium", "high", "auto"] = "auto"
    create_response: bool | None = Field(default=None, exclude_if=omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=omit_none)


class AudioInputOut(ServerModel):
    format: AudioFormat
    noise_reduction: NoiseReductionOut | None
    transcription: TranscriptionOut | None
    turn_detection: Annotated[ServerVadOut | SemanticVadOut, Field(discriminator="type")] | None


class AudioOut(ServerModel):
    input: AudioInputOut


class TranscriptionSession(ServerModel):
    """RealtimeTranscriptionSessionCreateResponse, as ``session.created`` carries it (§2.2)."""

    type: Literal["transcription"] = "transcription"
    object: Literal["realtime.transcription_session"] = "realtime.transcription_session"
    id: str
    expires_at: int
    audio: AudioOut
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None


class RealtimeSession(BaseModel):
    """RealtimeSessionCreateResponse (conversation sessions), kept loose: fields pass through."""

    model_config = ConfigDict(extra="allow", frozen=True, defer_build=True)

    type: Literal["realtime"] = "realtime"
    object: Literal["realtime.session"] = "realtime.session"
    id: str
    expires_at: int


AnySession = Annotated[TranscriptionSession | RealtimeSession, Field(discriminator="type")]

"""The beta persona's wire models: the retired ``transcription_session.*`` shapes.

Field names, Literal values and optionality follow ``openai.types.beta.realtime`` (openai 3.x still
ships them) and protocol.md §1.5 and §3; the GA models of ``mockrt.core`` are reused where
the beta shape is the same. Client models are strict like the GA ones. Two pure conversions let the
one core serve both personas: ``ga_request_from_beta`` turns a beta update into the GA
``session.update.session`` dict, ``beta_session_from_ga`` renders the GA session in beta shape.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast, get_args

from pydantic import BaseModel, Field, TypeAdapter

from mockrt.core.client_events import (
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
)
from mockrt.core.server_events import (
    ConversationItemCreated,
    ErrorEvent,
    InputAudioBufferCleared,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
)
from mockrt.core.session_objects import SemanticVadOut, ServerVadOut, TranscriptionSession
from mockrt.core.wire import DEFERRED, ClientModel, ServerModel, omit_none

__all__ = [
    "BETA_AUDIO_FORMATS",
    "BETA_CLIENT_EVENTS",
    "BETA_SESSION_REQUEST",
    "BETA_SERVER_EVENTS",
    "BETA_TRANSCRIPTION_MODELS",
    "BetaAudioFormat",
    "BetaClientEvent",
    "BetaClientSecret",
    "BetaClientSecretConfig",
    "BetaClientSecretExpiresAt",
    "BetaInputAudioTranscription",
    "BetaNoiseReduction",
    "BetaNoiseReductionOut",
    "BetaSemanticVadOut",
    "BetaServerEvent",
    "BetaServerVadOut",
    "BetaTranscriptionOut",
    "BetaTranscriptionSession",
    "BetaTranscriptionSessionRequest",
    "BetaTurnDetection",
    "TranscriptionSessionCreateRequest",
    "TranscriptionSessionCreateResponse",
    "TranscriptionSessionCreated",
    "TranscriptionSessionUpdate",
    "TranscriptionSessionUpdated",
    "beta_session_from_ga",
    "ga_request_from_beta",
]

# openai.types.beta.realtime.transcription_session_update.SessionInputAudioTranscription.model
BetaModel = Literal["gpt-4o-transcribe", "gpt-4o-mini-transcribe", "whisper-1"]
BETA_TRANSCRIPTION_MODELS: tuple[str, ...] = get_args(BetaModel)

BetaAudioFormat = Literal["pcm16", "g711_ulaw", "g711_alaw"]

# protocol.md §3: "The beta input_audio_format maps to GA audio.input.format". The one home of
# the beta format table: the way back (GA -> beta) is derived from it.
BETA_AUDIO_FORMATS: dict[str, dict[str, Any]] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_GA_TO_BETA_FORMAT: dict[str, BetaAudioFormat] = {
    ga["type"]: cast(BetaAudioFormat, beta) for beta, ga in BETA_AUDIO_FORMATS.items()
}

Eagerness = Literal["low", "medium", "high", "auto"]
Modality = Literal["text", "audio"]


def _both_modalities() -> list[Modality]:
    return ["audio", "text"]


# --- the beta session request (transcription_session.update.session, REST body) -------------------


class BetaClientSecretExpiresAt(ClientModel):
    """``client_secret.expires_at``: "Configuration for the ephemeral token expiration."."""

    anchor: Literal["created_at"] | None = Field(
        default=None, description='"Only `created_at` is currently supported."'
    )
    seconds: int | None = Field(
        default=None, ge=10, le=7200, description='"Select a value between `10` and `7200`."'
    )


class BetaClientSecretConfig(ClientModel):
    """``client_secret``: "Configuration options for the generated client secret."."""

    expires_at: BetaClientSecretExpiresAt | None = None


class BetaNoiseReduction(ClientModel):
    """``input_audio_noise_reduction``: "This can be set to `null` to turn off."."""

    type: Literal["near_field", "far_field"] | None = None


class BetaInputAudioTranscription(ClientModel):
    """``input_audio_transcription``: "The client can optionally set the language and prompt
    for transcription"."""

    model: BetaModel | None = None
    language: str | None = None
    prompt: str | None = None


class BetaTurnDetection(ClientModel):
    """``turn_detection``, one object for both modes as in the SDK: ``threshold``,
    ``prefix_padding_ms`` and ``silence_duration_ms`` are "Used only for `server_vad` mode",
    ``eagerness`` is "Used only for `semantic_vad` mode"."""

    type: Literal["server_vad", "semantic_vad"] | None = None
    threshold: float | None = Field(default=None, ge=0.0, le=1.0)
    prefix_padding_ms: int | None = Field(default=None, ge=0)
    silence_duration_ms: int | None = Field(default=None, ge=0)
    eagerness: Eagerness | None = None
    create_response: bool | None = Field(
        default=None, description='"Not available for transcription sessions."'
    )
    interrupt_response: bool | None = Field(
        default=None, description='"Not available for transcription sessions."'
    )


class BetaTranscriptionSessionRequest(ClientModel):
    """The beta request: "Realtime transcription session object configuration."."""

    input_audio_format: BetaAudioFormat | None = Field(
        default=None,
        description='"For `pcm16`, input audio must be 16-bit PCM at a 24kHz sample rate, '
        'single channel (mono), and little-endian byte order."',
    )
    input_audio_transcription: BetaInputAudioTranscription | None = None
    input_audio_noise_reduction: BetaNoiseReduction | None = None
    turn_detection: BetaTurnDetection | None = None
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None
    client_secret: BetaClientSecretConfig | None = None
    modalities: list[Modality] | None = None


class TranscriptionSessionUpdate(ClientModel):
    """``transcription_session.update``: "Send this event to update a transcription session."."""

    type: Literal["transcription_session.update"]
    session: BetaTranscriptionSessionRequest
    event_id: str | None = None


# --- the beta session object the server sends -----------------------------------------------------


class BetaTranscriptionOut(ServerModel):
    """Echo of ``input_audio_transcription``; the beta docs example echoes ``"prompt": ""``."""

    model: BetaModel | None = None
    language: str | None = None
    prompt: str = ""


class BetaNoiseReductionOut(ServerModel):
    type: Literal["near_field", "far_field"] | None = None


class BetaServerVadOut(ServerModel):
    """Beta docs example: ``{"type":"server_vad","threshold":0.5,"prefix_padding_ms":300,
    "silence_duration_ms":200}``."""

    type: Literal["server_vad"] = "server_vad"
    threshold: float
    prefix_padding_ms: int
    silence_duration_ms: int
    create_response: bool | None = Field(default=None, exclude_if=omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=omit_none)


class BetaSemanticVadOut(ServerModel):
    type: Literal["semantic_vad"] = "semantic_vad"
    eagerness: Eagerness = "auto"
    create_response: bool | None = Field(default=None, exclude_if=omit_none)
    interrupt_response: bool | None = Field(default=None, exclude_if=omit_none)


class BetaClientSecret(ServerModel):
    """The REST answer's key: "Ephemeral key returned by the API."."""

    value: str
    expires_at: int


class BetaTranscriptionSession(ServerModel):
    """The beta transcription session object (protocol.md §1.5). ``client_secret`` is null over
    the WebSocket: "This property is not present when a session is updated via the WebSocket
    API" (the beta docs example shows ``"client_secret": null``)."""

    id: str
    object: Literal["realtime.transcription_session"] = "realtime.transcription_session"
    modalities: list[Modality] = Field(default_factory=_both_modalities)
    turn_detection: (
        Annotated[BetaServerVadOut | BetaSemanticVadOut, Field(discriminator="type")] | None
    )
    input_audio_format: BetaAudioFormat
    input_audio_transcription: BetaTranscriptionOut | None
    input_audio_noise_reduction: BetaNoiseReductionOut | None = Field(
        default=None, exclude_if=omit_none
    )
    include: list[Literal["item.input_audio_transcription.logprobs"]] | None = None
    client_secret: BetaClientSecret | None = None
    expires_at: int | None = Field(default=None, exclude_if=omit_none)


class TranscriptionSessionCreated(ServerModel):
    """First server event of a beta transcription connection (protocol.md §3; not in the SDK's
    beta union, but the Agents SDK waits for it)."""

    type: Literal["transcription_session.created"] = "transcription_session.created"
    event_id: str
    session: BetaTranscriptionSession


class TranscriptionSessionUpdated(ServerModel):
    """Reply to ``transcription_session.update``: "A new Realtime transcription session
    configuration."."""

    type: Literal["transcription_session.updated"] = "transcription_session.updated"
    event_id: str
    session: BetaTranscriptionSession


# --- beta REST: POST /v1/realtime/transcription_sessions ------------------------------------------

TranscriptionSessionCreateRequest = BetaTranscriptionSessionRequest


class TranscriptionSessionCreateResponse(BetaTranscriptionSession):
    """The REST answer: the session with ``client_secret: {value, expires_at}``."""

    client_secret: BetaClientSecret


# --- unions ---------------------------------------------------------------------------------------

BetaClientEvent = Annotated[
    TranscriptionSessionUpdate
    | InputAudioBufferAppend
    | InputAudioBufferCommit
    | InputAudioBufferClear,
    Field(discriminator="type"),
]
BETA_CLIENT_EVENTS: TypeAdapter[BetaClientEvent] = TypeAdapter(BetaClientEvent, config=DEFERRED)
# the body of the beta ``POST /v1/realtime/transcription_sessions`` (mockrt.core.handshake)
BETA_SESSION_REQUEST: TypeAdapter[BetaTranscriptionSessionRequest] = TypeAdapter(
    BetaTranscriptionSessionRequest
)

BetaServerEvent = Annotated[
    TranscriptionSessionCreated
    | TranscriptionSessionUpdated
    | ErrorEvent
    | InputAudioBufferCommitted
    | InputAudioBufferCleared
    | InputAudioBufferSpeechStarted
    | InputAudioBufferSpeechStopped
    | ConversationItemCreated
    | InputAudioTranscriptionDelta
    | InputAudioTranscriptionCompleted
    | InputAudioTranscriptionFailed,
    Field(discriminator="type"),
]
BETA_SERVER_EVENTS: TypeAdapter[BetaServerEvent] = TypeAdapter(BetaServerEvent, config=DEFERRED)


# --- conversions ----------------------------------------------------------------------------------

_SERVER_VAD_KEYS = (
    "threshold",
    "prefix_padding_ms",
    "silence_duration_ms",
    "create_response",
    "interrupt_response",
)
_SEMANTIC_VAD_KEYS = ("eagerness", "create_response", "interrupt_response")


def _set_fields(model: BaseModel) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude_unset=True)


def ga_request_from_beta(request: BetaTranscriptionSessionRequest) -> dict[str, Any]:
    """The GA ``session.update.session`` dict equivalent to a beta request.

    Only keys the client set appear, so the GA partial merge applies unchanged; an explicit
    ``null`` stays ``null``. ``client_secret`` and ``modalities`` have no GA counterpart in a
    ``session.update`` and are dropped. A turn detection without ``type`` becomes ``server_vad``
    (the beta default; UNCONFIRMED), and keys the SDK documents as "Used only for" the other mode
    are dropped.
    """
    given = request.model_fields_set
    audio_input: dict[str, Any] = {}
    if "input_audio_format" in given:
        fmt = request.input_audio_format
        audio_input["format"] = None if fmt is None else dict(BETA_AUDIO_FORMATS[fmt])
    if "input_audio_transcription" in given:
        tr = request.input_audio_transcription
        audio_input["transcription"] = None if tr is None else _set_fields(tr)
    if "input_audio_noise_reduction" in given:
        nr = request.input_audio_noise_reduction
        audio_input["noise_reduction"] = None if nr is None else _set_fields(nr)
    if "turn_detection" in given:
        td = request.turn_detection
        audio_input["turn_detection"] = None if td is None else _ga_turn_detection(td)
    session: dict[str, Any] = {"type": "transcription"}
    if audio_input:
        session["audio"] = {"input": audio_input}
    if "include" in given:
        session["include"] = None if request.include is None else list(request.include)
    return session


def _ga_turn_detection(td: BetaTurnDetection) -> dict[str, Any]:
    fields = _set_fields(td)
    kind = fields.pop("type", None) or "server_vad"
    keys = _SERVER_VAD_KEYS if kind == "server_vad" else _SEMANTIC_VAD_KEYS
    return {"type": kind, **{k: v for k, v in fields.items() if k in keys}}


def beta_session_from_ga(
    session: TranscriptionSession,
    *,
    client_secret: BetaClientSecret | None = None,
    modalities: tuple[Modality, ...] = ("audio", "text"),
) -> BetaTranscriptionSession:
    """The GA transcription session rendered as the beta session object.

    ``client_secret`` is given only for the REST answer. Raises ``ValueError`` when the session
    uses a transcription model the beta shape cannot name (a caller mistake: beta requests only
    accept ``BETA_TRANSCRIPTION_MODELS``).
    """
    audio_input = session.audio.input
    tr = audio_input.transcription
    transcription: BetaTranscriptionOut | None = None
    if tr is not None:
        if tr.model is not None and tr.model not in BETA_TRANSCRIPTION_MODELS:
            raise ValueError(f"transcription model {tr.model!r} has no beta form")
        transcription = BetaTranscriptionOut.model_validate(
            {"model": tr.model, "language": tr.language, "prompt": tr.prompt or ""}
        )
    nr = audio_input.noise_reduction
    td = audio_input.turn_detection
    turn_detection: BetaServerVadOut | BetaSemanticVadOut | None = None
    if isinstance(td, ServerVadOut):
        turn_detection = BetaServerVadOut(
            threshold=td.threshold,
            prefix_padding_ms=td.prefix_padding_ms,
            silence_duration_ms=td.silence_duration_ms,
            create_response=td.create_response,
            interrupt_response=td.interrupt_response,
        )
    elif isinstance(td, SemanticVadOut):
        turn_detection = BetaSemanticVadOut(
            eagerness=td.eagerness,
            create_response=td.create_response,
            interrupt_response=td.interrupt_response,
        )
    return BetaTranscriptionSession(
        id=session.id,
        modalities=list(modalities),
        turn_detection=turn_detection,
        input_audio_format=_GA_TO_BETA_FORMAT[audio_input.format.type],
        input_audio_transcription=transcription,
        input_audio_noise_reduction=None if nr is None else BetaNoiseReductionOut(type=nr.type),
        include=session.include,
        client_secret=client_secret,
        expires_at=session.expires_at,
    )

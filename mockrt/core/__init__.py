"""The sans-I/O protocol core: session, lifecycle table, validation, session config, audio, VAD,
turns, scripts (model and transcriber), wire models, errors, ids, journal, personas, beta and the
warm-up of the wire models.

Imports no aiohttp, websockets, asyncio, yaml or jsonschema (tests/test_purity.py).

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "appendlog": "FrameLog",
    "audio": (
        "AudioFormatSpec dbfs_to_power decode_base64 decoded_length FORMATS FULL_SCALE SILENCE_DBFS"
    ),
    "beta": (
        "BETA_AUDIO_FORMATS BETA_CLIENT_EVENTS BETA_SERVER_EVENTS BETA_SESSION_REQUEST "
        "beta_session_from_ga "
        "BETA_TRANSCRIPTION_MODELS BetaAudioFormat BetaClientEvent BetaClientSecret "
        "BetaClientSecretConfig BetaClientSecretExpiresAt BetaInputAudioTranscription "
        "BetaNoiseReduction BetaNoiseReductionOut BetaSemanticVadOut BetaServerEvent "
        "BetaServerVadOut BetaTranscriptionOut BetaTranscriptionSession "
        "BetaTranscriptionSessionRequest BetaTurnDetection ga_request_from_beta "
        "TranscriptionSessionCreated TranscriptionSessionCreateRequest "
        "TranscriptionSessionCreateResponse TranscriptionSessionUpdate "
        "TranscriptionSessionUpdated"
    ),
    "client_events": (
        "CLIENT_EVENTS ClientEvent InputAudioBufferAppend InputAudioBufferClear "
        "InputAudioBufferCommit SessionUpdate"
    ),
    "effects": "ClientRef Effect Emit Fire Reject violation_of",
    "energy": (
        "alaw_table frames_dbfs frames_energy frames_power rms_dbfs to_linear16 total_energy "
        "ulaw_table"
    ),
    "errors": (
        "audio_too_large beta_api_shape_disabled BETA_CLOSE_REASON binary_frame commit_empty "
        "empty_array ErrorDetail INVALID_MODEL_CLOSE_REASON invalid_base64 invalid_json "
        "invalid_type invalid_value "
        "language_and_languages Message MESSAGES missing_required_parameter "
        "model_not_supported_in_transcription model_parameter_for_transcription not_an_object "
        "null_not_allowed "
        "out_of_range partial_sample prompt_not_supported realtime_update_on_transcription Rule "
        "server_error session_expired Status supported_values transcription_update_on_realtime "
        "turn_detection_not_supported unknown_event_type unknown_parameter "
        "unsupported_in_transcription"
    ),
    "error_texts": "message_status not_verbatim_table pattern status_note",
    "exceptions": "InvalidState MockRTError",
    "fastpath": "b64_chars decode_append FastAppend strict_object",
    "handshake": (
        "CloseAfterUpgrade create_beta_transcription_session "
        "create_client_secret decide HttpReject KeyStore MintedKey offered_key Open"
    ),
    "ids": "CountingIds Ids RandomIds",
    "journal": "AudioRef CloseRecord Entries Entry Journal read_jsonl Violation",
    "summary": "describe summarize",
    "machine": "CLIENT_INPUTS next_state SERVER_INPUTS State TRANSITIONS",
    "nullability": "json_type_name null_clears null_error",
    "options": "MODEL_WITH_INTENT ModelWithIntent Options VADLESS_MODELS",
    "outbox": "Outbox",
    "persona": "BETA GA Persona PERSONAS",
    "scrub": (
        "add_secrets append_form client_frame_form escape_controls finite_copy "
        "KEEP_REJECTED_CHARS redact strict_json"
    ),
    "script": (
        "Close concat_mismatch DEFAULT_SCRIPT Delay DeltaMode Deltas Drop Duplicate Fault "
        "fault_copies FieldPath InjectError Latency Match MAX_CLOSE_REASON_BYTES ModelUsage Pieces "
        "POINT_ALIASES Script ScriptError Turn TurnPoint TurnRequest"
    ),
    "server_events": (
        "ConversationItemAdded ConversationItemCreated ConversationItemDone ErrorEvent "
        "ErrorObject InputAudioBufferCleared InputAudioBufferCommitted "
        "InputAudioBufferSpeechStarted InputAudioBufferSpeechStopped "
        "InputAudioBufferTimeoutTriggered InputAudioContent InputAudioTranscriptionCompleted "
        "InputAudioTranscriptionDelta InputAudioTranscriptionFailed LogProb SERVER_EVENTS "
        "ServerEvent SessionCreated SessionUpdated TranscriptionError TranscriptionLanguage "
        "UsageDuration UsageTokens UserAudioItem"
    ),
    "session": "Session",
    "session_objects": (
        "AnySession AudioFormat AudioInputOut AudioOut AudioPCM AudioPCMA AudioPCMU "
        "AudioTranscription LOGPROBS NoiseReduction NoiseReductionOut RealtimeSession "
        "RealtimeSessionRequest SemanticVad SemanticVadOut ServerVad ServerVadOut SessionRequest "
        "TRANSCRIPTION_MODELS TranscriptionOut TranscriptionSession TranscriptionSessionAudio "
        "TranscriptionSessionAudioInput TranscriptionSessionRequest TurnDetection"
    ),
    "sessionconf": (
        "apply_realtime_update apply_update check_request default_realtime_session "
        "default_session INT_MAX validate_session_request"
    ),
    "transcriber": (
        "auto_logprobs DEFAULT_BETWEEN_DELTAS_MS DEFAULT_COMPLETED_MS DEFAULT_FIRST_DELTA_MS "
        "DEFAULT_LANGUAGE default_transcript DURATION_MODELS estimate_usage LANGUAGE_MODELS "
        "plan_turn ScriptedTranscriber split_deltas Transcriber TurnPlan WHOLE_DELTA_MODELS"
    ),
    "streaming": "DEFAULT_DELAY DELAY_MS MS_PER_CHARACTER SpeechMeter StreamingTurn",
    "turn_config": "transcription_of",
    "turn_events": "delta_event point_faults",
    "turns": "InputAudio",
    "vad": (
        "IdleTimeout SEMANTIC_EAGERNESS SpeechStarted SpeechStopped TurnDetector VadConfig VadEvent"
    ),
    "validation": (
        "Accepted is_realtime_session json_kind non_finite_path parse_client_text "
        "REALTIME_ONLY_KEYS Rejected session_type_error validation_error_detail"
    ),
    "warmup": "IMPORT_AHEAD warm_up_steps",
    "wire": (
        "CLEARS ClientModel DEFERRED dump dumped_once NullClears omit_none ServerModel "
        "session_event shared_text"
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

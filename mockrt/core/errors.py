"""The error catalogue: every error the mock sends, with type, code, param and message.

Each entry says where its text comes from: VERBATIM (seen on the live API, protocol.md §6 or
../shared/evidence), REST (the wording of OpenAI's REST errors, reused where the realtime text is
unknown) or INVENTED (no live text known; a clear OpenAI-style message). Must never import
aiohttp or websockets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mockrt.core.server_events import ErrorEvent, ErrorObject

__all__ = [
    "BETA_CLOSE_REASON",
    "ErrorDetail",
    "Rule",
    "audio_too_large",
    "beta_api_shape_disabled",
    "binary_frame",
    "commit_empty",
    "invalid_base64",
    "invalid_json",
    "invalid_type",
    "invalid_value",
    "language_and_languages",
    "missing_required_parameter",
    "model_not_supported_in_transcription",
    "model_parameter_for_transcription",
    "not_an_object",
    "out_of_range",
    "partial_sample",
    "prompt_not_supported",
    "realtime_update_on_transcription",
    "server_error",
    "session_expired",
    "supported_values",
    "transcription_update_on_realtime",
    "turn_detection_not_supported",
    "unknown_event_type",
    "unknown_parameter",
    "unsupported_in_transcription",
]

INVALID_REQUEST = "invalid_request_error"


class Rule(StrEnum):
    """The rule an error enforces; journaled with the error and explained by diagnosis."""

    REALTIME_UPDATE_ON_TRANSCRIPTION = "realtime-update-on-transcription-session"
    TRANSCRIPTION_UPDATE_ON_REALTIME = "transcription-update-on-realtime-session"
    INVALID_JSON = "frame-not-json"
    BINARY_FRAME = "frame-binary"
    NOT_AN_OBJECT = "frame-not-an-object"
    UNKNOWN_EVENT_TYPE = "event-type-unknown"
    UNSUPPORTED_IN_TRANSCRIPTION = "event-not-in-transcription-mode"
    UNKNOWN_PARAMETER = "unknown-parameter"
    MISSING_PARAMETER = "missing-required-parameter"
    INVALID_VALUE = "invalid-value"
    INVALID_TYPE = "invalid-type"
    OUT_OF_RANGE = "value-out-of-range"
    MODEL_RULE = "model-specific-rule"
    COMMIT_EMPTY = "commit-too-small"
    INVALID_AUDIO = "invalid-audio"
    AUDIO_TOO_LARGE = "audio-too-large"
    BETA_SHAPE = "beta-api-shape"
    MODEL_WITH_INTENT = "model-with-transcription-intent"
    SESSION_EXPIRED = "session-expired"
    SERVER_ERROR = "server-error"


@dataclass(frozen=True)
class ErrorDetail:
    """The ``error`` object of an ``error`` event, plus the rule it enforces."""

    message: str
    code: str | None
    param: str | None
    rule: Rule
    type: str = INVALID_REQUEST

    def wire(self, client_event_id: str | None) -> dict[str, object]:
        """The ``error`` object as sent: ``error.event_id`` echoes the client's event_id."""
        return {
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "param": self.param,
            "event_id": client_event_id,
        }

    def event(self, event_id: str, client_event_id: str | None) -> ErrorEvent:
        """The ``error`` event carrying ``wire(client_event_id)``."""
        return ErrorEvent(
            event_id=event_id, error=ErrorObject.model_validate(self.wire(client_event_id))
        )


def _quote(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def supported_values(values: Sequence[object]) -> str:
    """``'a', 'b', and 'c'`` as the live API lists them (protocol.md §6, [live-JP])."""
    quoted = [_quote(v) for v in values]
    if len(quoted) == 1:
        return quoted[0]
    if len(quoted) == 2:
        return f"{quoted[0]} and {quoted[1]}"
    return ", ".join(quoted[:-1]) + ", and " + quoted[-1]


# --- the transcription-session rule ------------------------------------------------------------

# VERBATIM: ../shared/evidence/agents-runner-on-transcription.json (2026-01 wording, default).
RULE_MESSAGE = "Passing a realtime session update event to a transcription session is not allowed."
# VERBATIM: protocol.md §6, later wording (drops "event"); selectable with rule_wording="later".
RULE_MESSAGE_LATER = "Passing a realtime session update to a transcription session is not allowed."


def realtime_update_on_transcription(wording: str = "event") -> ErrorDetail:
    # VERBATIM: evidence shows code invalid_parameter and param "" (empty string, not null).
    message = RULE_MESSAGE_LATER if wording == "later" else RULE_MESSAGE
    return ErrorDetail(message, "invalid_parameter", "", Rule.REALTIME_UPDATE_ON_TRANSCRIPTION)


def transcription_update_on_realtime() -> ErrorDetail:
    # VERBATIM message (protocol.md §6 [3p]); code/param mirror the confirmed inverse rule.
    return ErrorDetail(
        "Passing a transcription session update event to a realtime session is not allowed.",
        "invalid_parameter",
        "",
        Rule.TRANSCRIPTION_UPDATE_ON_REALTIME,
    )


# --- schema errors (wording of protocol.md §6 where known, REST otherwise) ---------------------


def unknown_parameter(param: str) -> ErrorDetail:
    # VERBATIM form: "Unknown parameter: 'session.totally_made_up_field'." [probe-Az #1]
    return ErrorDetail(
        f"Unknown parameter: '{param}'.", "unknown_parameter", param, Rule.UNKNOWN_PARAMETER
    )


def missing_required_parameter(param: str) -> ErrorDetail:
    # VERBATIM form: "Missing required parameter: 'session.type'." [probe-Az #2]
    return ErrorDetail(
        f"Missing required parameter: '{param}'.",
        "missing_required_parameter",
        param,
        Rule.MISSING_PARAMETER,
    )


def invalid_value(param: str, value: object, supported: Iterable[object]) -> ErrorDetail:
    # VERBATIM form: "Invalid value: 'bogus'. Supported values are: 'minimal', ..., and 'xhigh'."
    listed = supported_values(list(supported))
    message = f"Invalid value: {_quote(value)}. Supported values are: {listed}."
    return ErrorDetail(message, "invalid_value", param, Rule.INVALID_VALUE)


def unknown_event_type(event_type: str, supported: Sequence[str]) -> ErrorDetail:
    # VERBATIM form [probe-Az #3]: invalid_value on param `type`; the list's text UNCONFIRMED.
    detail = invalid_value("type", event_type, supported)
    return ErrorDetail(detail.message, detail.code, detail.param, Rule.UNKNOWN_EVENT_TYPE)


def invalid_type(param: str, expected: str, got: str) -> ErrorDetail:
    # REST: "Invalid type for 'x': expected a string, but got an integer instead."
    return ErrorDetail(
        f"Invalid type for '{param}': expected {expected}, but got {got} instead.",
        "invalid_type",
        param,
        Rule.INVALID_TYPE,
    )


def out_of_range(param: str, kind: str, above: bool, limit: object, got: object) -> ErrorDetail:
    # REST: "Invalid 'x': decimal above maximum value. Expected a value <= 1, but got 2 instead."
    side, word, op = ("above", "maximum", "<=") if above else ("below", "minimum", ">=")
    return ErrorDetail(
        f"Invalid '{param}': {kind} {side} {word} value. Expected a value {op} {limit}, "
        f"but got {got} instead.",
        f"{kind}_{side}_{'max' if above else 'min'}_value",
        param,
        Rule.OUT_OF_RANGE,
    )


# --- frames -------------------------------------------------------------------------------------


def invalid_json(detail: str) -> ErrorDetail:
    # INVENTED code (protocol.md §10 #4: unknown); the sentence is REST's for an unparsable body.
    return ErrorDetail(
        f"We could not parse the JSON body of your request. ({detail})",
        "invalid_json",
        None,
        Rule.INVALID_JSON,
    )


def binary_frame() -> ErrorDetail:
    # INVENTED: live text unknown; every client sends events as JSON text frames.
    return ErrorDetail(
        "Binary WebSocket frames are not supported. Send each client event as a JSON text frame.",
        "invalid_json",
        None,
        Rule.BINARY_FRAME,
    )


def not_an_object(got: str) -> ErrorDetail:
    # INVENTED, REST-style: a client event must be a JSON object.
    return ErrorDetail(
        f"Invalid type for client event: expected an object, but got {got} instead.",
        "invalid_type",
        None,
        Rule.NOT_AN_OBJECT,
    )


def unsupported_in_transcription(event_type: str) -> ErrorDetail:
    # INVENTED: protocol.md §4 / §10 #3 — live reaction unknown; transcription mode has no
    # conversation or responses ("the model will not generate responses" [guide]).
    return ErrorDetail(
        f"Invalid value: '{event_type}'. This event is not supported in transcription sessions.",
        "invalid_value",
        "type",
        Rule.UNSUPPORTED_IN_TRANSCRIPTION,
    )


# --- model-specific rules ------------------------------------------------------------------------


def turn_detection_not_supported() -> ErrorDetail:
    # VERBATIM message (protocol.md §2.1, §6); code invalid_value per [3p].
    return ErrorDetail(
        "Turn detection is not supported for this transcription model.",
        "invalid_value",
        "session.audio.input.turn_detection",
        Rule.MODEL_RULE,
    )


def prompt_not_supported(model: str) -> ErrorDetail:
    # INVENTED wording from the SDK docstring: "Prompt is not supported with gpt-realtime-whisper".
    return ErrorDetail(
        f"Prompt is not supported with {model} in GA Realtime sessions.",
        "invalid_value",
        "session.audio.input.transcription.prompt",
        Rule.MODEL_RULE,
    )


def language_and_languages() -> ErrorDetail:
    # INVENTED wording; [live-JP]: `languages` cannot be combined with `language`.
    return ErrorDetail(
        "Only one of 'language' and 'languages' may be set.",
        "invalid_value",
        "session.audio.input.transcription.languages",
        Rule.MODEL_RULE,
    )


# --- audio ---------------------------------------------------------------------------------------


def commit_empty(buffered_ms: float) -> ErrorDetail:
    # VERBATIM [live-JP]: two decimals, param null.
    return ErrorDetail(
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        f"audio, but buffer only has {buffered_ms:.2f}ms of audio.",
        "input_audio_buffer_commit_empty",
        None,
        Rule.COMMIT_EMPTY,
    )


def invalid_base64() -> ErrorDetail:
    # INVENTED (protocol.md §10 #4): live text unknown.
    return ErrorDetail(
        "Invalid 'audio'. Expected base64-encoded audio bytes.",
        "invalid_value",
        "audio",
        Rule.INVALID_AUDIO,
    )


def partial_sample(n_bytes: int, sample_bytes: int) -> ErrorDetail:
    # INVENTED: live text unknown.
    return ErrorDetail(
        f"Invalid 'audio': {n_bytes} bytes is not a whole number of {sample_bytes}-byte samples.",
        "invalid_value",
        "audio",
        Rule.INVALID_AUDIO,
    )


def audio_too_large(n_bytes: int, limit: int) -> ErrorDetail:
    # INVENTED text; the 15 MiB limit is documented [py3.51 input_audio_buffer_append_event].
    return ErrorDetail(
        f"Invalid 'audio': {n_bytes} bytes exceeds the maximum of {limit} bytes (15 MiB) per "
        "input_audio_buffer.append event.",
        "invalid_value",
        "audio",
        Rule.AUDIO_TOO_LARGE,
    )


# --- connection -----------------------------------------------------------------------------------

# VERBATIM close reason (protocol.md §1.6).
BETA_CLOSE_REASON = "invalid_request_error.beta_api_shape_disabled"


def beta_api_shape_disabled() -> ErrorDetail:
    # VERBATIM (protocol.md §1.6): followed by close 4000.
    return ErrorDetail(
        "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.",
        "beta_api_shape_disabled",
        None,
        Rule.BETA_SHAPE,
    )


def model_not_supported_in_transcription(model: str) -> ErrorDetail:
    # VERBATIM form (protocol.md §1.1, §6: 'Model "X" is not supported in transcription mode');
    # trailing period assumed. Followed by close 4000 (most recent era).
    return ErrorDetail(
        f'Model "{model}" is not supported in transcription mode.',
        "invalid_model",
        None,
        Rule.MODEL_WITH_INTENT,
    )


def model_parameter_for_transcription() -> ErrorDetail:
    # VERBATIM (protocol.md §6, older era): sent at the handshake.
    return ErrorDetail(
        "You must not provide a model parameter for transcription sessions.",
        "invalid_model",
        None,
        Rule.MODEL_WITH_INTENT,
    )


def server_error() -> ErrorDetail:
    # VERBATIM short form "The server had an error" (protocol.md §6 [3p]); the rest is REST's.
    return ErrorDetail(
        "The server had an error while processing your request. Sorry about that!",
        None,
        None,
        Rule.SERVER_ERROR,
        type="server_error",
    )


def session_expired(minutes: int) -> ErrorDetail:
    # VERBATIM (protocol.md §1.7) for 60 minutes.
    return ErrorDetail(
        f"Your session hit the maximum duration of {minutes} minutes.",
        "session_expired",
        None,
        Rule.SESSION_EXPIRED,
    )

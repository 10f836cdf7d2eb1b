"""The error catalogue: every error the mock sends, with type, code, param and message.

``MESSAGES`` is the catalogue as data: per message its rule, code, param and text (templates with
``{fields}``), whether the text is VERBATIM (seen on the live API: protocol.md §6 or
tests/data/evidence), UNCONFIRMED (a known form or a public wording, e.g. OpenAI's REST errors,
not confirmed word for word on the realtime socket) or INVENTED (no live text known; a clear
OpenAI-style message), and its source. The typed functions below fill a message's fields; callers
never build an ``ErrorDetail`` by hand. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from mockrt.core.server_events import ErrorEvent, ErrorObject

# fmt: off
__all__ = [
    "BETA_CLOSE_REASON", "INVALID_MODEL_CLOSE_REASON", "MESSAGES", "ErrorDetail", "Message",
    "Rule", "Status", "audio_too_large", "beta_api_shape_disabled", "binary_frame",
    "commit_empty", "empty_array", "invalid_base64", "invalid_json", "invalid_type",
    "invalid_value", "language_and_languages", "missing_required_parameter",
    "model_not_supported_in_transcription", "model_parameter_for_transcription",
    "not_an_object", "null_not_allowed", "out_of_range", "partial_sample",
    "prompt_not_supported", "realtime_update_on_transcription", "server_error",
    "session_expired", "supported_values", "transcription_update_on_realtime",
    "turn_detection_not_supported", "unknown_event_type", "unknown_parameter",
    "unsupported_in_transcription",
]
# fmt: on

INVALID_REQUEST = "invalid_request_error"
# VERBATIM close reasons (protocol.md §1.6, §11).
BETA_CLOSE_REASON = "invalid_request_error.beta_api_shape_disabled"
INVALID_MODEL_CLOSE_REASON = "invalid_request_error.invalid_model"


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


class Status(StrEnum):
    """How far a message's text is known to be the live API's."""

    VERBATIM = "verbatim"  # seen on the live API, word for word
    UNCONFIRMED = "unconfirmed"  # a known form or public wording, not confirmed on the socket
    INVENTED = "invented"  # no live text known


@dataclass(frozen=True)
class ErrorDetail:
    """The ``error`` object of an ``error`` event, plus the rule it enforces."""

    message: str
    code: str | None
    param: str | None
    rule: Rule
    type: str = INVALID_REQUEST
    # how far the text is the live API's; journaled, shown by the inspector and diagnose
    status: Status = Status.VERBATIM

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


@dataclass(frozen=True)
class Message:
    """One row of the catalogue; ``code``, ``param`` and ``text`` are ``str.format``
    templates."""

    rule: Rule
    code: str | None
    param: str | None
    text: str
    status: Status
    source: str
    type: str = INVALID_REQUEST

    def detail(self, **fields: object) -> ErrorDetail:
        code = None if self.code is None else self.code.format(**fields)
        param = None if self.param is None else self.param.format(**fields)
        return ErrorDetail(
            self.text.format(**fields), code, param, self.rule, self.type, self.status
        )


_TD = "session.audio.input.turn_detection"
_TR = "session.audio.input.transcription"
_REST = "REST wording, reused where the realtime text is unknown"
# fmt: off
MESSAGES: dict[str, Message] = {
    # --- the transcription-session rule (code invalid_parameter, param "": not null) ---
    "realtime_update_on_transcription": Message(
        Rule.REALTIME_UPDATE_ON_TRANSCRIPTION, "invalid_parameter", "",
        "Passing a realtime session update event to a transcription session is not allowed.",
        Status.VERBATIM,
        "tests/data/evidence/agents-runner-on-transcription.json (2026-01 wording, default)"),
    "realtime_update_on_transcription_later": Message(
        Rule.REALTIME_UPDATE_ON_TRANSCRIPTION, "invalid_parameter", "",
        "Passing a realtime session update to a transcription session is not allowed.",
        Status.VERBATIM, "protocol.md §6, later wording (drops 'event'); rule_wording='later'"),
    "transcription_update_on_realtime": Message(
        Rule.TRANSCRIPTION_UPDATE_ON_REALTIME, "invalid_parameter", "",
        "Passing a transcription session update event to a realtime session is not allowed.",
        Status.VERBATIM, "protocol.md §6 [3p]; code and param mirror the confirmed inverse rule"),
    # --- schema errors ---
    "unknown_parameter": Message(
        Rule.UNKNOWN_PARAMETER, "unknown_parameter", "{param}", "Unknown parameter: '{param}'.",
        Status.VERBATIM,
        "protocol.md §6 [probe-Az #1]: Unknown parameter: 'session.totally_made_up_field'."),
    "missing_required_parameter": Message(
        Rule.MISSING_PARAMETER, "missing_required_parameter", "{param}",
        "Missing required parameter: '{param}'.",
        Status.VERBATIM,
        "protocol.md §6 [probe-Az #2]: Missing required parameter: 'session.type'."),
    "invalid_value": Message(
        Rule.INVALID_VALUE, "invalid_value", "{param}",
        "Invalid value: {value}. Supported values are: {supported}.",
        Status.VERBATIM,
        "protocol.md §6: Invalid value: 'bogus'. Supported values are: 'minimal', ..."),
    "unknown_event_type": Message(
        Rule.UNKNOWN_EVENT_TYPE, "invalid_value", "type",
        "Invalid value: {value}. Supported values are: {supported}.",
        Status.UNCONFIRMED,
        "protocol.md §6 [probe-Az #3]: invalid_value on param type; the list's text unknown"),
    "invalid_type": Message(
        Rule.INVALID_TYPE, "invalid_type", "{param}",
        "Invalid type for '{param}': expected {expected}, but got {got} instead.",
        Status.UNCONFIRMED, _REST),
    "null_not_allowed": Message(
        Rule.INVALID_TYPE, "invalid_type", "{param}",
        "Invalid type for '{param}': expected {expected}, got null.",
        Status.VERBATIM,
        "livekit/agents PR 3444 (2025-09-17), live: \"Invalid type for 'session.audio.input."
        "turn_detection.create_response': expected boolean, got null\"; type names other than "
        "boolean follow JSON Schema (assumed); protocol.md §11"),
    "empty_array": Message(
        Rule.INVALID_VALUE, "empty_array", "{param}",
        "Invalid '{param}': empty array. Expected an array with minimum length 1, but got an "
        "empty array instead.",
        Status.UNCONFIRMED,
        "livekit-plugins-openai 1.8.9 comment: live refuses languages [] (protocol.md §11); the "
        "text is REST's for an empty array"),
    "out_of_range": Message(
        Rule.OUT_OF_RANGE, "{kind}_{side}_{bound}_value", "{param}",
        "Invalid '{param}': {kind} {side} {word} value. Expected a value {op} {limit}, "
        "but got {got} instead.", Status.UNCONFIRMED, _REST),
    # --- frames ---
    "invalid_json": Message(
        Rule.INVALID_JSON, "invalid_json", None,
        "We could not parse the JSON body of your request. ({detail})",
        Status.INVENTED,
        "protocol.md §10 #4: code unknown; the sentence is REST's for an unparsable body"),
    "binary_frame": Message(
        Rule.BINARY_FRAME, "invalid_json", None,
        "Binary WebSocket frames are not supported. Send each client event as a JSON text frame.",
        Status.INVENTED, "live text unknown; every client sends events as JSON text frames"),
    "not_an_object": Message(
        Rule.NOT_AN_OBJECT, "invalid_type", None,
        "Invalid type for client event: expected an object, but got {got} instead.",
        Status.INVENTED, "REST-style: a client event must be a JSON object"),
    "unsupported_in_transcription": Message(
        Rule.UNSUPPORTED_IN_TRANSCRIPTION, "invalid_value", "type",
        "Invalid value: '{event_type}'. This event is not supported in transcription sessions.",
        Status.INVENTED,
        "protocol.md §4, §10 #3: live reaction unknown; transcription mode has no responses"),
    # --- model-specific rules ---
    "turn_detection_not_supported": Message(
        Rule.MODEL_RULE, "invalid_value", _TD,
        "Turn detection is not supported for this transcription model.",
        Status.VERBATIM, "protocol.md §2.1, §6; code invalid_value per [3p]"),
    "prompt_not_supported": Message(
        Rule.MODEL_RULE, "invalid_value", f"{_TR}.prompt",
        "Prompt is not supported with {model} in GA Realtime sessions.",
        Status.INVENTED,
        "from the SDK docstring: Prompt is not supported with gpt-realtime-whisper"),
    "language_and_languages": Message(
        Rule.MODEL_RULE, "invalid_value", f"{_TR}.languages",
        "Only one of 'language' and 'languages' may be set.",
        Status.INVENTED, "[live-JP]: languages cannot be combined with language"),
    # --- audio ---
    "commit_empty": Message(
        Rule.COMMIT_EMPTY, "input_audio_buffer_commit_empty", None,
        "Error committing input audio buffer: buffer too small. Expected at least 100ms of "
        "audio, but buffer only has {buffered_ms:.2f}ms of audio.",
        Status.VERBATIM, "[live-JP]: two decimals, param null"),
    "invalid_base64": Message(
        Rule.INVALID_AUDIO, "invalid_value", "audio",
        "Invalid 'audio'. Expected base64-encoded audio bytes.",
        Status.INVENTED, "protocol.md §10 #4: live text unknown"),
    "partial_sample": Message(
        Rule.INVALID_AUDIO, "invalid_value", "audio",
        "Invalid 'audio': {n_bytes} bytes is not a whole number of {sample_bytes}-byte samples.",
        Status.INVENTED, "live text unknown"),
    "audio_too_large": Message(
        Rule.AUDIO_TOO_LARGE, "invalid_value", "audio",
        "Invalid 'audio': {n_bytes} bytes exceeds the maximum of {limit} bytes (15 MiB) per "
        "input_audio_buffer.append event.",
        Status.INVENTED,
        "text invented; the 15 MiB limit is documented [py3.51 input_audio_buffer_append]"),
    # --- connection ---
    "beta_api_shape_disabled": Message(
        Rule.BETA_SHAPE, "beta_api_shape_disabled", None,
        "The Realtime Beta API is no longer supported. Please use /v1/realtime for the GA API.",
        Status.VERBATIM, "protocol.md §1.6: followed by close 4000"),
    "model_not_supported_in_transcription": Message(
        Rule.MODEL_WITH_INTENT, "invalid_model", None,
        'Model "{model}" is not supported in transcription mode.',
        Status.VERBATIM,
        "livekit/agents-js issue 1756 (2026-06): the answer to the transcription session.update "
        "when the URL has ?model=, then close 4000 invalid_request_error.invalid_model; "
        "protocol.md §11"),
    "model_parameter_for_transcription": Message(
        Rule.MODEL_WITH_INTENT, "invalid_model", None,
        "You must not provide a model parameter for transcription sessions.",
        Status.VERBATIM,
        "openai/openai-python issue 2652 (2025-09): an error frame right after connecting, "
        "param and error.event_id null; protocol.md §11"),
    "server_error": Message(
        Rule.SERVER_ERROR, None, None,
        "The server had an error while processing your request. Sorry about that!",
        Status.UNCONFIRMED,
        "protocol.md §6 [3p]: 'The server had an error' verbatim; the rest is REST's",
        type="server_error"),
    "session_expired": Message(
        Rule.SESSION_EXPIRED, "session_expired", None,
        "Your session hit the maximum duration of {minutes} minutes.",
        Status.VERBATIM, "protocol.md §1.7, for 60 minutes"),
}
# fmt: on


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


# --- the typed ways to fill a message ----------------------------------------------------------


def realtime_update_on_transcription(wording: str = "event") -> ErrorDetail:
    later = "_later" if wording == "later" else ""
    return MESSAGES[f"realtime_update_on_transcription{later}"].detail()


def transcription_update_on_realtime() -> ErrorDetail:
    return MESSAGES["transcription_update_on_realtime"].detail()


def unknown_parameter(param: str) -> ErrorDetail:
    return MESSAGES["unknown_parameter"].detail(param=param)


def missing_required_parameter(param: str) -> ErrorDetail:
    return MESSAGES["missing_required_parameter"].detail(param=param)


def invalid_value(param: str, value: object, supported: Iterable[object]) -> ErrorDetail:
    listed = supported_values(list(supported))
    return MESSAGES["invalid_value"].detail(param=param, value=_quote(value), supported=listed)


def unknown_event_type(event_type: str, supported: Sequence[str]) -> ErrorDetail:
    listed = supported_values(list(supported))
    return MESSAGES["unknown_event_type"].detail(value=_quote(event_type), supported=listed)


def invalid_type(param: str, expected: str, got: str) -> ErrorDetail:
    return MESSAGES["invalid_type"].detail(param=param, expected=expected, got=got)


def null_not_allowed(param: str, expected: str) -> ErrorDetail:
    return MESSAGES["null_not_allowed"].detail(param=param, expected=expected)


def empty_array(param: str) -> ErrorDetail:
    return MESSAGES["empty_array"].detail(param=param)


def out_of_range(param: str, kind: str, above: bool, limit: object, got: object) -> ErrorDetail:
    side, word, op, bound = (
        ("above", "maximum", "<=", "max") if above else ("below", "minimum", ">=", "min")
    )
    return MESSAGES["out_of_range"].detail(
        param=param, kind=kind, side=side, word=word, op=op, bound=bound, limit=limit, got=got
    )


def invalid_json(detail: str) -> ErrorDetail:
    return MESSAGES["invalid_json"].detail(detail=detail)


def binary_frame() -> ErrorDetail:
    return MESSAGES["binary_frame"].detail()


def not_an_object(got: str) -> ErrorDetail:
    return MESSAGES["not_an_object"].detail(got=got)


def unsupported_in_transcription(event_type: str) -> ErrorDetail:
    return MESSAGES["unsupported_in_transcription"].detail(event_type=event_type)


def turn_detection_not_supported() -> ErrorDetail:
    return MESSAGES["turn_detection_not_supported"].detail()


def prompt_not_supported(model: str) -> ErrorDetail:
    return MESSAGES["prompt_not_supported"].detail(model=model)


def language_and_languages() -> ErrorDetail:
    return MESSAGES["language_and_languages"].detail()


def commit_empty(buffered_ms: float) -> ErrorDetail:
    return MESSAGES["commit_empty"].detail(buffered_ms=buffered_ms)


def invalid_base64() -> ErrorDetail:
    return MESSAGES["invalid_base64"].detail()


def partial_sample(n_bytes: int, sample_bytes: int) -> ErrorDetail:
    return MESSAGES["partial_sample"].detail(n_bytes=n_bytes, sample_bytes=sample_bytes)


def audio_too_large(n_bytes: int, limit: int) -> ErrorDetail:
    return MESSAGES["audio_too_large"].detail(n_bytes=n_bytes, limit=limit)


def beta_api_shape_disabled() -> ErrorDetail:
    return MESSAGES["beta_api_shape_disabled"].detail()


def model_not_supported_in_transcription(model: str) -> ErrorDetail:
    return MESSAGES["model_not_supported_in_transcription"].detail(model=model)


def model_parameter_for_transcription() -> ErrorDetail:
    return MESSAGES["model_parameter_for_transcription"].detail()


def server_error() -> ErrorDetail:
    return MESSAGES["server_error"].detail()


def session_expired(minutes: int) -> ErrorDetail:
    return MESSAGES["session_expired"].detail(minutes=minutes)

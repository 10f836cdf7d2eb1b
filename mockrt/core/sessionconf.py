"""The session object: defaults, partial merge of updates, model-specific rules.

``session.update`` semantics [py3.51 session_update_event.py]: "Only the fields that are present in
the session.update are updated … To clear a field like turn_detection, pass null." A rejected update
changes nothing: ``apply_update`` checks the whole request (``check_request``: nulls on fields that
cannot be null, ranges) and builds the turn detector's config before it returns a new session, so
a session either gets the new config or an error with nothing applied. Must never import aiohttp or
websockets.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import TypeAdapter, ValidationError

from mockrt.core import errors
from mockrt.core.errors import ErrorDetail
from mockrt.core.nullability import null_clears, null_error
from mockrt.core.options import Options
from mockrt.core.session_objects import (
    TRANSCRIPTION_MODELS,
    AudioInputOut,
    AudioOut,
    AudioPCM,
    AudioTranscription,
    NoiseReduction,
    NoiseReductionOut,
    RealtimeSession,
    RealtimeSessionRequest,
    SemanticVad,
    SemanticVadOut,
    ServerVad,
    ServerVadOut,
    SessionRequest,
    TranscriptionOut,
    TranscriptionSession,
    TranscriptionSessionRequest,
)
from mockrt.core.vad import VadConfig
from mockrt.core.validation import session_type_error, validation_error_detail
from mockrt.core.wire import DEFERRED

__all__ = [
    "INT_MAX",
    "apply_realtime_update",
    "apply_update",
    "check_request",
    "default_realtime_session",
    "default_session",
    "validate_session_request",
]

TurnDetectionOut = ServerVadOut | SemanticVadOut
_TURN_DETECTION: TypeAdapter[TurnDetectionOut] = TypeAdapter(TurnDetectionOut, config=DEFERRED)
_SESSION_REQUEST: TypeAdapter[SessionRequest] = TypeAdapter(SessionRequest, config=DEFERRED)


def _turn_detection_out(wire: dict[str, Any] | None) -> TurnDetectionOut | None:
    return None if wire is None else _TURN_DETECTION.validate_python(wire)


def default_session(
    session_id: str, expires_at: int, options: Options, *, minted: bool = False
) -> TranscriptionSession:
    """A new transcription session with the live defaults (protocol.md §9.2)."""
    turn_detection = options.minted_turn_detection if minted else options.default_turn_detection
    return TranscriptionSession(
        id=session_id,
        expires_at=expires_at,
        audio=AudioOut(
            input=AudioInputOut(
                format=AudioPCM(type="audio/pcm", rate=24000),
                noise_reduction=None,
                transcription=None,
                turn_detection=_turn_detection_out(turn_detection),
            )
        ),
        include=None,
    )


def validate_session_request(
    data: object, transcription: bool | None, options: Options, prefix: str = "session"
) -> TranscriptionSessionRequest | RealtimeSessionRequest | ErrorDetail:
    """Validate a session object given outside a ``session.update`` (client_secrets body)."""
    if transcription is not None:
        error = session_type_error(data, transcription=transcription, options=options)
        if error is not None:
            return error
    try:
        return _SESSION_REQUEST.validate_python(data)
    except ValidationError as exc:
        return validation_error_detail(exc, data, prefix)


def _merge_turn_detection(
    current: TurnDetectionOut | None, update: ServerVad | SemanticVad, options: Options
) -> TurnDetectionOut:
    # what the client set, in declaration order (a null only where it clears the field)
    cls, fields_set = type(update), update.__pydantic_fields_set__
    given = {
        k: v
        for k, v in update.__dict__.items()
        if k in fields_set and (v is not None or null_clears(cls, k))
    }
    vad = type(update) is ServerVad  # exact model types: cheaper than isinstance
    kept = ServerVadOut if vad else SemanticVadOut
    if type(current) is kept and _same_items(current.__dict__, given):
        return current  # {**current, **given} would validate to an equal object
    if vad:
        base = (
            current.model_dump()
            if isinstance(current, ServerVadOut)
            else dict(options.server_vad_fill)
        )
        return ServerVadOut.model_validate({**base, **given})
    base = current.model_dump() if isinstance(current, SemanticVadOut) else {"eagerness": "auto"}
    return SemanticVadOut.model_validate({**base, **given})


def _same(a: object, b: object) -> bool:
    """True when ``a`` and ``b`` are the same on the wire: equal, of one type, and (floats) of
    one sign (``0.0 == -0.0``, but they are written differently). Nothing non-finite reaches a
    session (``mockrt.core.validation``)."""
    if type(a) is not type(b) or a != b:
        return False
    if isinstance(a, float) and isinstance(b, float):
        return math.copysign(1.0, a) == math.copysign(1.0, b)
    return True


def _same_items(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """True when every item of ``new`` is in ``old``, the same on the wire (``_same``)."""
    if not new.items() <= old.items():
        return False
    for key, value in new.items():
        if not _same(old[key], value):
            return False
    return True


# UNCONFIRMED: the SDK types these ``int`` with no maximum; the OpenAPI ``integer`` of the REST
# API is 32-bit, and the REST wording for a larger value is the ``*_above_max_value`` one.
INT_MAX = 2**31 - 1
_TD = "session.audio.input.turn_detection"


def check_request(request: TranscriptionSessionRequest) -> ErrorDetail | None:
    """The first error in what the request sets, beyond its types and nulls
    (``mockrt.core.nullability``): numbers out of the documented (or 32-bit) ranges."""
    audio_input = request.audio.input if request.audio is not None else None
    td = audio_input.turn_detection if audio_input is not None else None
    if td is None:
        return None
    if type(td) is not ServerVad:
        return None
    for key in ("prefix_padding_ms", "silence_duration_ms", "idle_timeout_ms"):
        value = getattr(td, key)
        if value is not None and value > INT_MAX:
            return errors.out_of_range(f"{_TD}.{key}", "integer", True, INT_MAX, value)
    if td.idle_timeout_ms is not None and td.idle_timeout_ms < 1:
        # UNCONFIRMED minimum: a timeout of 0 ms cannot elapse "without speech"; live unknown.
        return errors.out_of_range(
            f"{_TD}.idle_timeout_ms", "integer", False, 1, td.idle_timeout_ms
        )
    return None


def _turn_detector_error(session: TranscriptionSession, options: Options) -> ErrorDetail | None:
    """Build the VAD config the session will run with, so nothing fails once applied."""
    td = session.audio.input.turn_detection
    if td is None:
        return None
    try:
        VadConfig.from_turn_detection(td.model_dump(mode="json"), base=options.vad)
    except (ValueError, OverflowError):
        # A range check above missed a value the detector cannot run with: refused, as live
        # refuses what it cannot use. UNCONFIRMED wording (the REST one for a bad value).
        return errors.invalid_type(_TD, "a turn detection the server can run", "an object")
    return None


def apply_update(
    current: TranscriptionSession,
    request: TranscriptionSessionRequest,
    options: Options,
    *,
    null_rule: bool = True,
    current_runs: bool = False,
) -> TranscriptionSession | ErrorDetail:
    """The session after ``request`` is merged in, or the error that rejects it (and then
    nothing of the request is applied). ``null_rule``: a GA request, where null clears only
    nullable fields (protocol.md §11); a request converted from the retired beta shape keeps the
    beta rule, null clears (a null the session cannot hold keeps the current value).
    ``current_runs``: the turn detector already runs with ``current``'s turn detection (a live
    session's), so an update that keeps it (the same object, ``_merge``) needs no new check."""
    if null_rule:
        error = null_error(request, "session")
        if error is not None:
            return error
    error = check_request(request)
    if error is not None:
        return error
    updated = _merge(current, request, options)
    if isinstance(updated, TranscriptionSession) and not (
        current_runs and updated.audio.input.turn_detection is current.audio.input.turn_detection
    ):
        error = _turn_detector_error(updated, options)
        if error is not None:
            return error
    return updated


def _merge(
    current: TranscriptionSession, request: TranscriptionSessionRequest, options: Options
) -> TranscriptionSession | ErrorDetail:
    """The merged session; a part the request leaves as it was stays the same object, and so
    does the whole session when nothing changes (no copy, the reply's dump can be reused)."""
    audio_input = current.audio.input
    fmt, nr_out = audio_input.format, audio_input.noise_reduction
    tr_out, td_out = audio_input.transcription, audio_input.turn_detection
    explicit_turn_detection = False
    requested = request.audio.input if request.audio is not None else None
    if requested is not None:
        given = requested.__pydantic_fields_set__
        if "format" in given:
            new_format = requested.format or AudioPCM(type="audio/pcm", rate=24000)
            # a type string and a rate integer: equal is the same on the wire
            if not (type(new_format) is type(fmt) and new_format.__dict__ == fmt.__dict__):
                fmt = new_format
        if "noise_reduction" in given:
            nr_out = _merge_noise_reduction(nr_out, requested.noise_reduction)
        if "transcription" in given:
            tr = requested.transcription
            if tr is not None:
                error = _check_transcription(
                    tr.model, tr.language, tr.languages, tr.prompt, options
                )
                if error is not None:
                    return error
            tr_out = _merge_transcription(tr_out, tr)
        if "turn_detection" in given:
            td = requested.turn_detection
            explicit_turn_detection = td is not None
            td_out = None if td is None else _merge_turn_detection(td_out, td, options)
    model = tr_out.model if tr_out else None
    if model in options.vadless_models and td_out is not None:
        if explicit_turn_detection:
            return errors.turn_detection_not_supported()
        # LiveKit omits turn_detection for these models and works live (protocol.md §8.3), so
        # an inherited default is dropped rather than rejected. UNCONFIRMED echo.
        td_out = None
    new_input = audio_input
    if not (
        fmt is audio_input.format
        and nr_out is audio_input.noise_reduction
        and tr_out is audio_input.transcription
        and td_out is audio_input.turn_detection
    ):
        new_input = audio_input.model_copy(
            update={
                "format": fmt,
                "noise_reduction": nr_out,
                "transcription": tr_out,
                "turn_detection": td_out,
            }
        )
    session_changes: dict[str, Any] = {}
    if new_input is not audio_input:
        session_changes["audio"] = AudioOut(input=new_input)
    if "include" in request.__pydantic_fields_set__ and not _same(request.include, current.include):
        session_changes["include"] = request.include
    return current.model_copy(update=session_changes) if session_changes else current


def _merge_noise_reduction(
    base: NoiseReductionOut | None, nr: NoiseReduction | None
) -> NoiseReductionOut | None:
    if nr is None:
        return None
    # "Omitting strength from a session update preserves the current strength."
    kind = nr.type if "type" in nr.__pydantic_fields_set__ else (base and base.type)
    strength = nr.strength if "strength" in nr.__pydantic_fields_set__ else (base and base.strength)
    if base is not None and _same(base.type, kind) and _same(base.strength, strength):
        return base
    return NoiseReductionOut(type=kind, strength=strength)


def _merge_transcription(
    base: TranscriptionOut | None, tr: AudioTranscription | None
) -> TranscriptionOut | None:
    """UNCONFIRMED: a transcription object replaces the previous one as a whole."""
    if tr is None:
        return None
    values = (tr.model, tr.language, tr.languages, tr.prompt, tr.keywords, tr.delay)
    # strings, lists of strings or None: equal is the same on the wire
    if base is not None and values == (
        base.model,
        base.language,
        base.languages,
        base.prompt,
        base.keywords,
        base.delay,
    ):
        return base
    return TranscriptionOut.of(tr)


def _check_transcription(
    model: str | None,
    language: str | None,
    languages: list[str] | None,
    prompt: str | None,
    options: Options,
) -> ErrorDetail | None:
    param = "session.audio.input.transcription"
    if model is not None and model not in TRANSCRIPTION_MODELS:
        # UNCONFIRMED wording for an unknown transcription model; the SDK lists these values.
        return errors.invalid_value(f"{param}.model", model, TRANSCRIPTION_MODELS)
    if languages is not None and not languages:
        # livekit-plugins-openai 1.8.9: live refuses an empty list (protocol.md §11)
        return errors.empty_array(f"{param}.languages")
    if language is not None and languages is not None:
        return errors.language_and_languages()
    if languages is not None and model not in options.languages_models:
        # UNCONFIRMED code; "languages parameter not supported" paraphrased in protocol.md §6.
        return errors.invalid_value(f"{param}.model", model, options.languages_models)
    if prompt and model in options.no_prompt_models:
        return errors.prompt_not_supported(model or "")
    return None


def default_realtime_session(session_id: str, expires_at: int, model: str) -> RealtimeSession:
    """A conversation session, shaped like the API reference example (protocol.md §1.4)."""
    return RealtimeSession.model_validate(
        {
            "id": session_id,
            "expires_at": expires_at,
            "model": model,
            "output_modalities": ["audio"],
            "instructions": "",
            "tools": [],
            "tool_choice": "auto",
            "max_output_tokens": "inf",
            "tracing": None,
            "truncation": "auto",
            "prompt": None,
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "transcription": None,
                    "noise_reduction": None,
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.5,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 200,
                        "idle_timeout_ms": None,
                        "create_response": True,
                        "interrupt_response": True,
                    },
                },
                "output": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "voice": "alloy",
                    "speed": 1.0,
                },
            },
            "include": None,
        }
    )


def _deep_merge(base: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def apply_realtime_update(current: RealtimeSession, update: dict[str, Any]) -> RealtimeSession:
    """Conversation sessions are modelled loosely: the update is deep-merged as given."""
    merged = _deep_merge(current.model_dump(), update)
    merged.update(
        type="realtime", object="realtime.session", id=current.id, expires_at=current.expires_at
    )
    return RealtimeSession.model_validate(merged)

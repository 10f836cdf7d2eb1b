"""Client frame -> validated event, or the error the live API sends for it.

The fast path is one ``validate_json`` (parse and validate at once, perf-notes.md); only a frame
that fails it is parsed again to find the first violation and word it as the live API does.
Pydantic errors map onto the live codes: ``unknown_parameter``, ``missing_required_parameter``,
``invalid_value``, ``invalid_type``, ``*_above_max_value``. ``NaN``/``Infinity`` are not JSON
(``invalid_json``) and a number too large for a double (``1e400``) is refused as ``invalid_type``,
so nothing non-finite reaches a session. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import functools
import json
import math
import re
import typing
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from mockrt.core import errors
from mockrt.core.client_events import (
    CLIENT_EVENTS,
    ClientEvent,
    InputAudioBufferAppend,
    SessionUpdate,
)
from mockrt.core.errors import ErrorDetail
from mockrt.core.fastpath import strict_object
from mockrt.core.options import Options
from mockrt.core.persona import GA, Persona

__all__ = [
    "Accepted",
    "REALTIME_ONLY_KEYS",
    "Rejected",
    "is_realtime_session",
    "json_kind",
    "non_finite_path",
    "parse_client_text",
    "session_type_error",
    "validation_error_detail",
]

# protocol.md §2.3 detection rule: any of these keys marks a realtime (conversation) session.
REALTIME_ONLY_KEYS = (
    "model",
    "output_modalities",
    "instructions",
    "tools",
    "tool_choice",
    "voice",
    "max_output_tokens",
    "tracing",
    "truncation",
    "prompt",
    "reasoning",
)


@dataclass(slots=True)  # made for every frame: a frozen dataclass's __init__ costs ~8x
class Accepted:
    event: ClientEvent
    raw: dict[str, Any] | None  # the frame's JSON when the slow path parsed it
    strict: bool = False  # the text is strict JSON (``strict_object``): the journal keeps it


@dataclass(frozen=True)
class Rejected:
    error: ErrorDetail
    raw: Any  # the parsed JSON, or the text when it is not JSON
    event_type: str | None
    event_id: str | None


_KINDS = (
    (bool, "a boolean"),  # before int: a bool is an int
    (int, "an integer"),
    (float, "a decimal"),
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
)


def json_kind(value: object) -> str:
    """REST-style name of a JSON value's type: "a string", "an integer", "null", ..."""
    if value is None:
        return "null"
    return next((name for kind, name in _KINDS if isinstance(value, kind)), "a value")


def is_realtime_session(session: object, keys_count: bool = True) -> bool:
    """True when a ``session.update.session`` is realtime-shaped (protocol.md §2.3); with
    ``keys_count`` false only ``type: "realtime"`` (or no type) with realtime keys counts."""
    if not isinstance(session, dict):
        return False
    if session.get("type") == "realtime":
        return True
    if not keys_count and session.get("type") == "transcription":
        return False
    if session.keys() & REALTIME_ONLY_KEYS:
        return True
    audio = session.get("audio")
    return isinstance(audio, dict) and "output" in audio


def session_type_error(
    session: object, *, transcription: bool, options: Options
) -> ErrorDetail | None:
    """The session-type rule, decided here only (protocol.md §2.3): the error for a session
    object of the other kind than the session it is sent to — a realtime session on a
    transcription session, or a transcription session on a realtime one — else None. Every path
    that can meet it (``session.update`` parsed fast or slow, a client_secrets body) asks here.
    """
    keys_count = options.realtime_keys == "rule"
    if transcription:
        if is_realtime_session(session, keys_count):
            return errors.realtime_update_on_transcription(options.rule_wording)
        return None
    if isinstance(session, dict) and session.get("type") == "transcription":
        return errors.transcription_update_on_realtime()
    return None


def parse_client_text(
    text: str, *, transcription: bool, options: Options, persona: Persona = GA
) -> Accepted | Rejected:
    """Parse and validate one client text frame for a session of the given kind."""
    adapter: TypeAdapter[Any] = CLIENT_EVENTS
    beta_update: type | None = None
    if persona is not GA:
        adapter, beta_update = _beta_client_events()
    try:
        # the core validator itself: TypeAdapter.validate_json's wrapper adds ~25% to an append
        event = adapter.validator.validate_json(text)
    except ValidationError:
        pass
    else:
        kind = type(event)  # exact types: cheaper than isinstance on a model class
        if kind is InputAudioBufferAppend:  # one the append fast path left: no raw form needed
            return Accepted(event, None)
        # strict JSON holds no NaN, no 1e400 and no lone surrogate: nothing left to walk
        strict = strict_object(text) is not None
        if kind is not SessionUpdate and kind is not beta_update:
            return Accepted(event, None, strict)
        if not strict and _has_non_finite(event.session):
            pass  # the slow path words the error (only session updates carry numbers)
        elif kind is SessionUpdate:
            # The validated session's type is all the rule needs (its keys passed the model).
            shape = {"type": event.session.type}
            error = session_type_error(shape, transcription=transcription, options=options)
            if error is not None:
                return Rejected(error, json.loads(text), event.type, event.event_id)
            return Accepted(event, None, strict)
        else:
            return Accepted(event, None, strict)
    return _slow_path(
        text, transcription=transcription, options=options, persona=persona, adapter=adapter
    )


@functools.cache
def _beta_client_events() -> tuple[TypeAdapter[Any], type]:
    """The beta persona's client events and its update event: ``mockrt.core.beta`` loads with
    the first beta session, not with every server (issue 15)."""
    from mockrt.core.beta import BETA_CLIENT_EVENTS, TranscriptionSessionUpdate

    return BETA_CLIENT_EVENTS, TranscriptionSessionUpdate


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)  # built once: 25 µs a frame


def non_finite_path(value: Any) -> str | None:
    """The dotted path (``session.audio.input.noise_reduction.strength``) of the first
    non-finite number in parsed JSON, or None; iterative, so any nesting depth is safe."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            return path
        if isinstance(node, dict):
            items = [(f"{path}.{k}" if path else str(k), v) for k, v in node.items()]
        elif isinstance(node, list):
            items = [(f"{path}[{i}]", v) for i, v in enumerate(node)]
        else:
            continue
        stack.extend(reversed(items))
    return None


def _has_non_finite(model: BaseModel) -> bool:
    """True when a validated model holds a non-finite number (``NaN``, or ``1e400``, which
    ``validate_json`` reads as infinity). Only fields whose type can hold a float are visited,
    and the extra keys of a model that allows them; nothing is dumped (a session update's check
    costs about a microsecond instead of a dump and a walk of the whole session)."""
    for name in _float_fields(type(model)):
        value = getattr(model, name)
        if value is not None and _holds_non_finite(value):
            return True
    extra = model.__pydantic_extra__
    return bool(extra) and non_finite_path(extra) is not None


def _holds_non_finite(value: object) -> bool:
    if isinstance(value, float):
        return not math.isfinite(value)
    if isinstance(value, BaseModel):
        return _has_non_finite(value)
    if isinstance(value, dict):
        return non_finite_path(value) is not None
    if isinstance(value, list | tuple):
        return any(_holds_non_finite(item) for item in value)
    return False


@functools.cache
def _float_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``cls`` whose type can hold a float, at any depth, in declaration order."""
    return tuple(
        name for name, field in cls.model_fields.items() if _may_hold_float(field.annotation)
    )


def _may_hold_float(annotation: Any) -> bool:
    if annotation is Any or annotation is object:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False  # a literal float is finite
    if origin is typing.Annotated:
        return _may_hold_float(typing.get_args(annotation)[0])
    if origin is not None:  # a union, list, tuple or dict: any of its member or item types
        return any(_may_hold_float(arg) for arg in typing.get_args(annotation))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation.model_config.get("extra") == "allow" or bool(_float_fields(annotation))
    if isinstance(annotation, type):
        return issubclass(annotation, float | dict | list | tuple)
    return True  # a type variable, a forward reference: look


def _slow_path(
    text: str,
    *,
    transcription: bool,
    options: Options,
    persona: Persona,
    adapter: TypeAdapter[Any],
) -> Accepted | Rejected:
    try:
        raw = _DECODER.decode(text)
    except (ValueError, RecursionError) as exc:
        return Rejected(errors.invalid_json(str(exc)), text, None, None)
    if not isinstance(raw, dict):
        return Rejected(errors.not_an_object(json_kind(raw)), raw, None, None)
    event_id = raw.get("event_id") if isinstance(raw.get("event_id"), str) else None
    event_type = raw.get("type")
    if "type" not in raw:
        return Rejected(errors.missing_required_parameter("type"), raw, None, event_id)
    if not isinstance(event_type, str):
        return Rejected(
            errors.invalid_type("type", "a string", json_kind(event_type)), raw, None, event_id
        )
    if event_type not in persona.client_event_types:
        supported = persona.client_event_types
        return Rejected(errors.unknown_event_type(event_type, supported), raw, event_type, event_id)
    infinite = non_finite_path(raw)
    if infinite is not None:
        # UNCONFIRMED wording: a literal like 1e400 overflows a double; refused, never echoed.
        refused = errors.invalid_type(
            infinite, "a finite number", "a number too large to represent"
        )
        return Rejected(refused, raw, event_type, event_id)
    if event_type == "session.update" and persona is GA and isinstance(raw.get("session"), dict):
        error = session_type_error(raw["session"], transcription=transcription, options=options)
        if error is not None:
            return Rejected(error, raw, event_type, event_id)
        if not transcription and raw["session"].get("type") == "realtime":
            # Conversation sessions are only modelled far enough to tell them apart.
            return Accepted(
                CLIENT_EVENTS.validate_python({**raw, "session": {"type": "realtime"}}), raw
            )
    if event_type not in persona.modelled:
        return Rejected(errors.unsupported_in_transcription(event_type), raw, event_type, event_id)
    try:
        event = adapter.validate_python(raw)
    except ValidationError as exc:
        return Rejected(validation_error_detail(exc, raw), raw, event_type, event_id)
    return Accepted(event, raw)  # pragma: no cover - validate_json would have accepted it


def _param(loc: Sequence[int | str], raw: Any) -> str:
    """Dotted param for a pydantic ``loc``: tags of discriminated unions are dropped by walking
    the input, list indexes become ``[i]`` (REST style: ``messages[0].content``)."""
    parts: list[str] = []
    node = raw
    for key in loc:
        if isinstance(key, int) and isinstance(node, list) and key < len(node):
            parts[-1:] = [f"{parts[-1]}[{key}]"] if parts else [f"[{key}]"]
            node = node[key]
        elif isinstance(node, dict) and key in node:
            parts.append(str(key))
            node = node[key]
        elif isinstance(node, dict) and isinstance(key, str) and not _is_tag(key):
            parts.append(key)  # a missing key: the walk ends here
            node = None
    return ".".join(parts)


def _is_tag(key: str) -> bool:
    return key in _TAGS


# Discriminator values that pydantic inserts into ``loc`` for tagged unions.
_TAGS = frozenset(
    "server_vad semantic_vad audio/pcm audio/pcmu audio/pcma transcription realtime session.update "
    "transcription_session.update input_audio_buffer.append input_audio_buffer.commit "
    "input_audio_buffer.clear".split()
)

_EXPECTED = {
    "string_type": "a string",
    "int_type": "an integer",
    "int_from_float": "an integer",
    "float_type": "a decimal",
    "bool_type": "a boolean",
    "list_type": "an array",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dict_type": "an object",
    "model_class": "an object",
}

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'|(-?\d+(?:\.\d+)?)")


def _values(expected: str) -> list[object]:
    out: list[object] = []
    for quoted, number in _QUOTED.findall(expected):
        if quoted:
            out.append(quoted)
        elif number:
            out.append(int(number) if number.lstrip("-").isdigit() else float(number))
    return out


def validation_error_detail(exc: ValidationError, raw: Any, prefix: str = "") -> ErrorDetail:
    """The live-worded error for the first pydantic error of ``exc`` (``raw`` is the input)."""
    detail: ErrorDetails = exc.errors(include_url=False)[0]
    kind = detail["type"]
    param = _param(detail["loc"], raw)
    if prefix:
        param = f"{prefix}.{param}" if param else prefix
    ctx = detail.get("ctx", {})
    value = detail.get("input")
    if kind == "extra_forbidden":
        return errors.unknown_parameter(param)
    if kind == "missing":
        return errors.missing_required_parameter(param)
    if kind == "union_tag_not_found":
        return errors.missing_required_parameter(
            f"{param}.{ctx.get('discriminator', 'type')}".replace("'", "")
        )
    if kind == "union_tag_invalid":
        tag_param = f"{param}.{str(ctx.get('discriminator', 'type')).strip(chr(39))}"
        return errors.invalid_value(tag_param, ctx.get("tag"), _values(str(ctx["expected_tags"])))
    if kind == "literal_error":
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return errors.invalid_value(param, value, _values(str(ctx["expected"])))
        return errors.invalid_type(param, _literal_kind(str(ctx["expected"])), json_kind(value))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        above = kind.startswith("less")
        limit = ctx.get("le", ctx.get("lt", ctx.get("ge", ctx.get("gt"))))
        number_kind = "decimal" if isinstance(limit, float) else "integer"
        if isinstance(limit, float) and limit.is_integer():
            limit = int(limit)
        return errors.out_of_range(param, number_kind, above, limit, value)
    return errors.invalid_type(param, _EXPECTED.get(kind, "a valid value"), json_kind(value))


def _literal_kind(expected: str) -> str:
    return (
        "an integer" if _values(expected) and isinstance(_values(expected)[0], int) else "a string"
    )

"""``null`` in a session object: a value, not an omission (protocol.md §11).

The live API clears a field set to ``null`` only where its type allows ``null`` (the SDK's
request params type them ``Optional``: ``turn_detection``, ``idle_timeout_ms``; the API reference
adds ``noise_reduction`` and ``transcription``, and ``transcription.language`` is echoed as
``null``); anywhere else ``null`` is a type error, ``invalid_type`` "Invalid type for
'session.audio.input.turn_detection.create_response': expected boolean, got null." (livekit/agents
PR 3444, 2025-09-17).

Which fields may be ``null`` is read from the request models themselves: a field whose
``Annotated`` metadata holds ``mockrt.core.wire.CLEARS`` may be ``null``; every other field
refuses it. The models keep ``X | None = None`` so that an absent field and a present one can be
told apart (``model_fields_set``); ``null_error`` is the one place the rule is applied, after
validation.
tests/test_nullability.py checks the markers against the SDK's params. Must never import aiohttp
or websockets.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, Literal, Union

from pydantic import BaseModel

from mockrt.core import errors
from mockrt.core.errors import ErrorDetail
from mockrt.core.wire import NullClears

__all__ = ["json_type_name", "null_clears", "null_error"]


def null_clears(model: type[BaseModel], name: str) -> bool:
    """True when ``null`` on field ``name`` of ``model`` clears it."""
    return any(isinstance(m, NullClears) for m in model.model_fields[name].metadata)


_SCALAR, _MODEL, _MAYBE_MODEL = 0, 1, 2  # what a field holds besides null


@functools.cache
def _fields(cls: type[BaseModel]) -> tuple[tuple[str, bool, int], ...]:
    """``(name, null clears it, what it holds)`` of each field of ``cls``, in declaration order:
    only a field that can hold a model is looked into."""
    return tuple(
        (name, null_clears(cls, name), _holds(field.annotation))
        for name, field in cls.model_fields.items()
    )


def _holds(annotation: Any) -> int:
    """``_MODEL`` when every type but ``None`` in ``annotation`` is a model, ``_SCALAR`` when
    none can be, else ``_MAYBE_MODEL``."""
    if annotation is Any or annotation is object:
        return _MAYBE_MODEL
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _MODEL
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _holds(args[0])
    if origin in (Union, types.UnionType):
        kinds = {_holds(arg) for arg in args if arg is not type(None)}
        return kinds.pop() if len(kinds) == 1 else _MAYBE_MODEL
    if any(_holds(arg) != _SCALAR for arg in args):
        return _MAYBE_MODEL  # a list or dict of models: not looked into (nor was it before)
    return _SCALAR


def null_error(model: BaseModel, path: str) -> ErrorDetail | None:
    """The error for the first field set to ``null`` that may not be (``path``: the dotted
    param of ``model``, e.g. ``session``), or None. Fields are visited in declaration order."""
    given = model.__pydantic_fields_set__
    for name, clears, holds in _fields(type(model)):
        if name not in given:
            continue
        value = getattr(model, name)
        if value is None:
            if not clears:
                annotation = type(model).model_fields[name].annotation
                return errors.null_not_allowed(f"{path}.{name}", json_type_name(annotation))
        elif holds == _MODEL or (holds == _MAYBE_MODEL and isinstance(value, BaseModel)):
            error = null_error(value, f"{path}.{name}")
            if error is not None:
                return error
    return None


_NAMES: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "object",
}


def json_type_name(annotation: Any) -> str:
    """The JSON Schema name of a field's type without ``None``: ``boolean``, ``string``, …
    (live said ``expected boolean``; the other names follow JSON Schema, UNCONFIRMED)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return json_type_name(typing.get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        kinds = [a for a in typing.get_args(annotation) if a is not type(None)]
        return json_type_name(kinds[0]) if kinds else "null"
    if origin is Literal:
        return json_type_name(type(typing.get_args(annotation)[0]))
    if origin is not None:
        return json_type_name(origin)
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return "object"
        for kind, name in _NAMES.items():
            if issubclass(annotation, kind):
                return name
    return "value"

"""The base of every wire model and the one way a server event becomes JSON.

Client models are strict (unknown keys are errors, no coercion), as the live server is; server
models are what mockrt emits. Every wire model and union adapter builds its validator on first
use (``defer_build``, ``DEFERRED``), not at import: ``mockrt serve`` starts without building the
models a session may never use (issue 15; ``mockrt.core.warmup`` builds the rest ahead).
Must never import aiohttp or websockets, nor any other mockrt module.

A session object is dumped once: every ``session.created``/``.updated`` carries the whole
session, and most updates leave it as it was (``mockrt.core.sessionconf`` then keeps the same
frozen object). Its JSON object, and its JSON text once ``mockrt.core.scrub.strict_json`` asks
for it a second time, are kept by the object's identity for as long as the object lives (a
finalizer drops them), so nothing grows with the number of updates or sessions.
"""

from __future__ import annotations

import functools
import json
import weakref
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict

__all__ = [
    "CLEARS",
    "DEFERRED",
    "ClientModel",
    "NullClears",
    "ServerModel",
    "dump",
    "dumped_once",
    "omit_none",
    "session_event",
    "shared_text",
]


@dataclass(frozen=True)
class NullClears:
    """``Annotated`` metadata of a client model field: ``null`` there clears the field; on any
    other field ``null`` is a type error (``mockrt.core.nullability``, protocol.md §11)."""


CLEARS = NullClears()

# The config of a union's ``TypeAdapter``: built on first use, like the models it holds.
DEFERRED = ConfigDict(defer_build=True)


def omit_none(value: object) -> bool:
    """``exclude_if`` for optional fields the live API leaves out when unset."""
    return value is None


class ClientModel(BaseModel):
    """A model of what a client sends: strict, unknown keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)


class ServerModel(BaseModel):
    """A model of what the server sends: unknown keys forbidden, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


def dump(event: BaseModel) -> dict[str, Any]:
    """The event as the JSON object sent on the wire; a ``session`` in it is dumped once per
    session object (``dumped_once``), the same JSON object as a whole dump would give."""
    if not _splices_session(type(event)):
        return event.model_dump(mode="json")
    session = event.__dict__["session"]
    if not isinstance(session, BaseModel):
        return event.model_dump(mode="json")
    out = event.model_dump(mode="json", exclude=_SESSION)
    out["session"] = dumped_once(session)
    return out


_SESSION = {"session"}  # never changed


def session_event(kind: str, event_id: str, session: BaseModel) -> dict[str, Any]:
    """``dump`` of a ``session.created``/``session.updated`` event (``kind``) built from its
    parts: what ``dump(SessionUpdated(event_id=…, session=…))`` gives, without building and
    dumping the event model, about 10 µs of every ``session.update`` (tests/test_update_reuse.py
    checks that they are equal)."""
    return {"type": kind, "event_id": event_id, "session": dumped_once(session)}


@functools.cache
def _splices_session(cls: type[BaseModel]) -> bool:
    """Whether ``cls`` dumps as its other fields followed by its ``session`` dumped on its own:
    ``session`` is its last field, with no alias, exclusion or serializer of its own."""
    fields = cls.model_fields
    if not fields or list(fields)[-1] != "session":
        return False
    field = fields["session"]
    decorators = cls.__pydantic_decorators__
    return (
        field.alias in (None, "session")
        and field.serialization_alias in (None, "session")
        and not field.exclude
        and field.exclude_if is None
        and not decorators.model_serializers
        and not decorators.field_serializers
    )


@dataclass
class _Dumped:
    wire: dict[str, Any]
    asked: bool = False  # the text was asked for once: kept from the second time on
    text: str | None = None  # the strict JSON text


_BY_MODEL: dict[int, _Dumped] = {}  # id(model) -> its dump, while the model lives
_BY_WIRE: dict[int, _Dumped] = {}  # id(dump) -> the same; the entry keeps the dump alive


def dumped_once(model: BaseModel) -> dict[str, Any]:
    """``model.model_dump(mode="json")`` of a frozen model, made once per object; callers must
    not change the dict (it is shared by every event that carries the object)."""
    key = id(model)
    known = _BY_MODEL.get(key)
    if known is not None:
        return known.wire
    wire = model.model_dump(mode="json")
    if not model.model_config.get("frozen"):
        return wire  # it may change: nothing to keep
    # the entries go when the model goes, before its id can name another object
    weakref.finalize(model, _forget, key, id(wire)).atexit = False
    _BY_MODEL[key] = _BY_WIRE[id(wire)] = _Dumped(wire)
    return wire


def _forget(model_key: int, wire_key: int) -> None:
    _BY_MODEL.pop(model_key, None)
    _BY_WIRE.pop(wire_key, None)


def shared_text(value: object) -> str | None:
    """The strict JSON text (compact, ASCII, no NaN) of a dict ``dumped_once`` made, made once
    and kept from its second use (a session that is never updated keeps no text); None for any
    other value, the first time, or when the dump cannot be strict JSON."""
    known = _BY_WIRE.get(id(value))
    if known is None or known.wire is not value:
        return None
    if not known.asked:
        known.asked = True
        return None
    if known.text is None:
        try:
            known.text = json.dumps(known.wire, separators=(",", ":"), allow_nan=False)
        except ValueError:
            return None
    return known.text

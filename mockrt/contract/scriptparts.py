"""The building blocks of the script file model (``mockrt.contract.scriptmodel``): a closed
object that words unknown keys and nulls, numbers as JSON Schema counts them, the shared enums
(server event types, turn points), pacing, usage, match bounds, error objects and the faults.

Rules JSON Schema can say are structure: closed objects, unions whose branch is picked from the
data (``Tag`` names start with ``=``, a pick of None is the union's worded error). Others are
validators raising ``fail(reason, *at)``, where ``at`` names the field below the error's location.
Must never import yaml, jsonschema, aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from mockrt.contract.schema import event_types
from mockrt.core import script as rt
from mockrt.core.server_events import ErrorObject

__all__ = [
    "fail",
    "shape",
    "worded",
    "Bound",
    "CloseAfterEvent",
    "CloseAtTurn",
    "CloseFault",
    "CloseFile",
    "Closed",
    "DelayFault",
    "DropFault",
    "DuplicateFault",
    "ErrorFile",
    "EventTypeName",
    "FailFile",
    "InjectAfterEvent",
    "InjectAtTurn",
    "InjectFault",
    "LatencyFile",
    "Ms",
    "NonEmpty",
    "PiecesFile",
    "Positive",
    "SHARED_ENUMS",
    "SessionDelay",
    "SessionDrop",
    "SessionDuplicate",
    "SessionFault",
    "TurnFault",
    "TurnIndex",
    "TurnPointName",
]

_CLOSE_CODES = (*range(1000, 1004), *range(1007, 1015))  # RFC 6455 §7.4: a server may send these
_PRIVATE_CODES = range(3000, 5000)
_KINDS = ("inject_error", "drop", "duplicate", "delay", "close")
if TYPE_CHECKING:
    EventType = str
    PointName = str
else:
    EventType = Literal[tuple({**event_types("ga", "server"), **event_types("beta", "server")})]
    PointName = Literal[(*get_args(rt.TurnPoint), *rt.POINT_ALIASES)]


def fail(reason: str, *at: str | int) -> PydanticCustomError:
    return PydanticCustomError("script", "{reason}", {"reason": reason, "at": at})


def _integral(value: object) -> object:
    """JSON Schema's integers include 5.0; YAML and JSON readers give a float for it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def worded(message: str, pick: Callable[[Any], str | None]) -> Discriminator:
    return Discriminator(pick, custom_error_type="script", custom_error_message=message)


def shape(**tags: type) -> Callable[[Any], str | None]:
    """Pick a union's branch by the JSON type of the data."""
    return lambda value: next((t for t, kind in tags.items() if isinstance(value, kind)), None)


Ms = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
TurnIndex = Annotated[
    int,
    Field(ge=1, description="1-based index of the committed turn in the session."),
    BeforeValidator(_integral),
]
Positive = Annotated[int, Field(ge=1), BeforeValidator(_integral)]
Bound = Annotated[float, Field(ge=0)]
NonEmpty = Annotated[str, Field(min_length=1)]
SHARED_ENUMS: dict[str, Any] = {  # rendered once, under $defs
    "event_type": Annotated[EventType, Field(description="A server event type mockrt can send.")],
    "turn_point": Annotated[
        PointName,
        Field(
            description="A point in a turn: after the event named. 'completed' is after the "
            "turn's last event (completed, or failed for a failing turn). Full event types are "
            "accepted as aliases."
        ),
    ],
}
EventTypeName = Annotated[EventType, WithJsonSchema({"shared": "event_type"})]
TurnPointName = Annotated[PointName, WithJsonSchema({"shared": "turn_point"})]
_STRING_OR_NULL = WithJsonSchema({"type": ["string", "null"]})


class Closed(BaseModel):
    """An object with known keys only; null is a wrong value, not an absent key."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    _nullable: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def _unknown(cls, key: str) -> str:
        return "unknown field; expected one of: " + ", ".join(cls.model_fields)

    @model_validator(mode="before")
    @classmethod
    def _keys(cls, data: Any) -> Any:
        for key, value in data.items() if isinstance(data, dict) else ():
            if key not in cls.model_fields:
                raise fail(cls._unknown(str(key)), str(key))
            if value is None and key not in cls._nullable:
                raise fail("null is not allowed here; leave the field out instead", key)
        return data


class LatencyFile(Closed):
    """Pacing in ms."""

    first_delta: Ms | None = Field(None, description="commit -> first delta (or -> failed)")
    between_deltas: Ms | None = Field(None, description="delta -> next delta")
    completed: Ms | None = Field(None, description="last delta -> completed")

    def core(self) -> rt.Latency:
        return rt.Latency(self.first_delta, self.between_deltas, self.completed)


class PiecesFile(Closed):
    pieces: Positive


class FailFile(Closed):
    """The error object of conversation.item.input_audio_transcription.failed."""

    type: str | None = None
    code: str | None = None
    message: str
    param: str | None = None


class ErrorFile(Closed):
    """The error object of an injected 'error' event."""

    _nullable = ("code", "param")
    type: str
    code: Annotated[str | None, _STRING_OR_NULL] = None
    message: str
    param: Annotated[str | None, _STRING_OR_NULL] = None


class CloseFile(Closed):
    code: Annotated[
        int,
        BeforeValidator(_integral),
        Field(
            json_schema_extra={
                "anyOf": [
                    {"enum": list(_CLOSE_CODES)},
                    {"minimum": _PRIVATE_CODES[0], "maximum": _PRIVATE_CODES[-1]},
                ]
            }
        ),
    ]
    reason: str = Field(
        "", description=f"At most {rt.MAX_CLOSE_REASON_BYTES} bytes of UTF-8 (RFC 6455 §5.5)."
    )

    @field_validator("code")
    @classmethod
    def _server_code(cls, code: int) -> int:
        if code not in _CLOSE_CODES and code not in _PRIVATE_CODES:
            raise fail(
                "a close code must be one a server may send: 1000-1003, 1007-1014 or 3000-4999 "
                "(RFC 6455 §7.4)"
            )
        return code

    @field_validator("reason")
    @classmethod
    def _short(cls, reason: str) -> str:
        size, most = len(reason.encode()), rt.MAX_CLOSE_REASON_BYTES
        if size > most:
            raise fail(f"{size} bytes of UTF-8; a close reason has at most {most} (RFC 6455 §5.5)")
        return reason


# --- faults: one key names the kind; session faults also say when (or which turn) -------------


class _Fault(Closed):
    def core(self) -> rt.Fault:
        given: dict[str, Any] = dict(self)
        turn, at_turn, after_event = (given.get(k) for k in ("turn", "at_turn", "after_event"))
        after = given.get("after", "committed")
        after = rt.POINT_ALIASES.get(after, after)
        if "inject_error" in given:
            error = ErrorObject(event_id=None, **given["inject_error"].model_dump())
            return rt.InjectError(error, after, at_turn, after_event)
        if "close" in given:
            close = given["close"]
            return rt.Close(close.code, close.reason, after_event, at_turn, after)
        if "delay" in given:
            return rt.Delay(given["delay"], given["ms"], turn)
        kind = rt.Drop if "drop" in given else rt.Duplicate
        return kind(given.get("drop") or given["duplicate"], turn)


class InjectFault(_Fault):
    inject_error: ErrorFile
    after: TurnPointName = "committed"


class CloseFault(_Fault):
    close: CloseFile
    after: TurnPointName = "committed"


class DropFault(_Fault):
    drop: EventTypeName


class DuplicateFault(_Fault):
    duplicate: EventTypeName


class DelayFault(_Fault):
    delay: EventTypeName
    ms: Ms


class InjectAtTurn(InjectFault):
    at_turn: TurnIndex


class InjectAfterEvent(_Fault):
    inject_error: ErrorFile
    after_event: Positive


class CloseAtTurn(CloseFault):
    at_turn: TurnIndex


class CloseAfterEvent(_Fault):
    close: CloseFile
    after_event: Positive


class SessionDrop(DropFault):
    turn: TurnIndex | None = None


class SessionDuplicate(DuplicateFault):
    turn: TurnIndex | None = None


class SessionDelay(DelayFault):
    turn: TurnIndex | None = None


def _kind(value: object) -> str | None:
    kinds = [k for k in _KINDS if k in value] if isinstance(value, dict) else []
    return f"={kinds[0]}" if len(kinds) == 1 else None


def _timing(value: object) -> str | None:
    keys = set(value) & {"at_turn", "after", "after_event"} if isinstance(value, dict) else set()
    return _TIMINGS.get(" ".join(sorted(keys)))


_TIMINGS = {"at_turn": "=at_turn", "after at_turn": "=at_turn", "after_event": "=after_event"}


_TIMING = worded(
    "set exactly one of 'at_turn' (with an optional 'after') or 'after_event'", _timing
)
_FAULT_KIND = worded("a fault has exactly one of: " + ", ".join(_KINDS), _kind)
SessionFault = Annotated[
    Annotated[
        Annotated[InjectAtTurn, Tag("=at_turn")] | Annotated[InjectAfterEvent, Tag("=after_event")],
        _TIMING,
        Tag("=inject_error"),
    ]
    | Annotated[SessionDrop, Tag("=drop")]
    | Annotated[SessionDuplicate, Tag("=duplicate")]
    | Annotated[SessionDelay, Tag("=delay")]
    | Annotated[
        Annotated[CloseAtTurn, Tag("=at_turn")] | Annotated[CloseAfterEvent, Tag("=after_event")],
        _TIMING,
        Tag("=close"),
    ],
    _FAULT_KIND,
]
TurnFault = Annotated[
    Annotated[InjectFault, Tag("=inject_error")]
    | Annotated[DropFault, Tag("=drop")]
    | Annotated[DuplicateFault, Tag("=duplicate")]
    | Annotated[DelayFault, Tag("=delay")]
    | Annotated[CloseFault, Tag("=close")],
    _FAULT_KIND,
    Field(description="Bound to the turn it sits in (no turn, at_turn or after_event)."),
]

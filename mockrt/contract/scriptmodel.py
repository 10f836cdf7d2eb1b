"""The script file format as pydantic models: the one source of its keys, constraints and wording.

A script file (YAML or JSON, snake_case keys) validates as ``ScriptFile``; ``ScriptFile.core()``
builds the core's runtime model (``mockrt.core.script.Script``), whose shape differs (shorthands
such as ``language``, one key per fault kind, event-type aliases, tokens defaulting to their
delta). ``script_json_schema()`` renders these models as ``mockrt/data/script.schema.json``
(generated, never edited; ``mockrt script schema --check`` compares). Rules JSON Schema can say
are structure here (closed objects, tagged unions whose tag is picked from the data); the others
(deltas that concatenate, logprobs per delta, min <= max, close reasons in bytes) are validators.
Every error is a ``PydanticCustomError`` or a pydantic error type that ``mockrt.contract.
scriptfile`` words; ``ctx["at"]`` names the field below the error's location. Must never import
yaml, jsonschema, aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    TypeAdapter,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from mockrt.contract.schema import DIALECT, event_types, render
from mockrt.core import script as rt
from mockrt.core.server_events import (
    ErrorObject,
    LogProb,
    TranscriptionError,
    UsageDuration,
    UsageTokens,
)
from mockrt.core.transcriber import split_deltas

__all__ = ["SCRIPT_SCHEMA_ID", "ScriptFile", "render_script_schema", "script_json_schema"]

SCRIPT_SCHEMA_ID = "urn:mockrt:script"
_EVENT_TYPES = tuple(dict.fromkeys([*event_types("ga", "server"), *event_types("beta", "server")]))
_CLOSE_CODES = (*range(1000, 1004), *range(1007, 1015))  # RFC 6455 §7.4: a server may send these
_PRIVATE_CODES = range(3000, 5000)
_CLOSE_MESSAGE = (
    "a close code must be one a server may send: 1000-1003, 1007-1014 or 3000-4999 (RFC 6455 §7.4)"
)
if TYPE_CHECKING:
    EventType = str
    PointName = str
else:
    EventType = Literal[_EVENT_TYPES]
    PointName = Literal[(*get_args(rt.TurnPoint), *rt.POINT_ALIASES)]


def _fail(reason: str, *at: str | int) -> PydanticCustomError:
    return PydanticCustomError("script", "{reason}", {"reason": reason, "at": at})


def _integral(value: object) -> object:
    """JSON Schema's integers include 5.0; YAML and JSON readers give a float for it."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


Ms = Annotated[int, Field(ge=0), BeforeValidator(_integral)]
Count = Ms
TurnIndex = Annotated[
    int,
    Field(ge=1, description="1-based index of the committed turn in the session."),
    BeforeValidator(_integral),
]
EventIndex = Annotated[int, Field(ge=1), BeforeValidator(_integral)]
NonEmpty = Annotated[str, Field(min_length=1)]
_SHARED: dict[str, Any] = {  # rendered once, under $defs
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


def _by_type(**tags: type) -> Any:
    """Pick a union's branch by the JSON type of the data (None: the union's own error)."""

    def pick(value: object) -> str | None:
        return next((tag for tag, kind in tags.items() if isinstance(value, kind)), None)

    return pick


class _Closed(BaseModel):
    """An object with known keys only; a null value counts as a wrong type, not as absent."""

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
                raise _fail(cls._unknown(str(key)), str(key))
            if value is None and key not in cls._nullable:
                raise _fail("null is not allowed here; leave the field out instead", key)
        return data


class LatencyFile(_Closed):
    """Pacing in ms."""

    first_delta: Ms | None = Field(
        None, description="commit -> first delta (or -> failed for a failing turn)"
    )
    between_deltas: Ms | None = Field(None, description="delta -> next delta")
    completed: Ms | None = Field(None, description="last delta -> completed")

    def core(self) -> rt.Latency:
        return rt.Latency(self.first_delta, self.between_deltas, self.completed)


_SHAPES: dict[str, type] = {"=pieces": dict, "=list": list}


class PiecesFile(_Closed):
    pieces: EventIndex


DELTAS_MESSAGE = "expected 'words', 'characters', 'whole', {pieces: n} or a list of strings"
Deltas = Annotated[
    Annotated[rt.DeltaMode, Tag("=mode")]
    | Annotated[PiecesFile, Tag("=pieces")]
    | Annotated[
        list[str],
        Tag("=list"),
        Field(description="Explicit deltas; they must concatenate to the transcript."),
    ],
    Discriminator(
        lambda v: "=mode" if v in get_args(rt.DeltaMode) else _by_type(**_SHAPES)(v),
        custom_error_type="script",
        custom_error_message=DELTAS_MESSAGE,
    ),
    Field(
        description="How the transcript is split into delta events. Default: 'words', or "
        "'whole' for whisper-1."
    ),
]


class LogprobFile(_Closed):
    token: str | None = Field(None, description="Defaults to the delta it belongs to.")
    logprob: Annotated[float, Field(le=0)]
    bytes: list[Annotated[int, Field(ge=0, le=255)]] | None = Field(
        None, description="Defaults to the UTF-8 bytes of the token."
    )

    def core(self, token: str) -> LogProb:
        token = token if self.token is None else self.token
        raw = list(token.encode()) if self.bytes is None else self.bytes
        return LogProb(token=token, bytes=raw, logprob=self.logprob)


LogprobEntry = Annotated[
    Annotated[LogprobFile, Tag("=one")]
    | Annotated[list[LogprobFile], Tag("=many"), Field(min_length=1)],
    Discriminator(
        _by_type(**{"=one": dict, "=many": list}),
        custom_error_type="script",
        custom_error_message="expected {token, logprob} or a list of them",
    ),
]
Logprobs = Annotated[
    Annotated[Literal["auto"], Tag("=auto")] | Annotated[list[LogprobEntry], Tag("=list")],
    Discriminator(
        lambda v: "=auto" if v == "auto" else _by_type(**{"=list": list})(v),
        custom_error_type="script",
        custom_error_message="expected 'auto' or a list with one {token, logprob} per delta",
    ),
    Field(
        description="'auto' (deterministic values from the text) or one entry per delta: a "
        "logprob, or a list of them whose tokens concatenate to the delta. Sent only when the "
        "session includes item.input_audio_transcription.logprobs."
    ),
]


class TokenDetailsFile(_Closed):
    audio_tokens: Count | None = None
    text_tokens: Count | None = None


class UsageTokensFile(_Closed):
    type: Literal["tokens"]
    input_tokens: Count
    output_tokens: Count
    total_tokens: Count | None = Field(
        None, description="Defaults to input_tokens + output_tokens."
    )
    input_token_details: TokenDetailsFile | None = None

    def core(self) -> UsageTokens:
        details = self.input_token_details
        return UsageTokens(
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            total_tokens=self.total_tokens or self.input_tokens + self.output_tokens,
            input_token_details=None if details is None else details.model_dump(exclude_none=True),
        )


class UsageDurationFile(_Closed):
    type: Literal["duration"]
    seconds: Annotated[float, Field(ge=0)]

    def core(self) -> UsageDuration:
        return UsageDuration(seconds=self.seconds)


Usage = Annotated[
    Annotated[UsageTokensFile, Tag("=tokens")] | Annotated[UsageDurationFile, Tag("=duration")],
    Discriminator(
        lambda v: (
            f"={v['type']}"
            if isinstance(v, dict) and v.get("type") in ("tokens", "duration")
            else None
        ),
        custom_error_type="script",
        custom_error_message="expected a mapping with type 'tokens' or 'duration'",
    ),
]


class MatchFile(_Closed):
    """The turn is used only for a committed turn that fits every given bound."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    min_duration_ms: Annotated[float, Field(ge=0)] | None = None
    max_duration_ms: Annotated[float, Field(ge=0)] | None = None
    min_speech_ms: Annotated[float, Field(ge=0)] | None = None
    max_speech_ms: Annotated[float, Field(ge=0)] | None = None
    model: (
        Annotated[
            Annotated[str, Tag("=one")] | Annotated[list[str], Tag("=many"), Field(min_length=1)],
            Discriminator(
                _by_type(**{"=one": str, "=many": list}),
                custom_error_type="script",
                custom_error_message="expected a model name or a list of them",
            ),
        ]
        | None
    ) = Field(None, description="audio.input.transcription.model of the session, one or several.")

    @model_validator(mode="after")
    def _bounds(self) -> MatchFile:
        if not self.model_fields_set:
            raise _fail("give at least one bound")
        for what in ("duration", "speech"):
            low, high = getattr(self, f"min_{what}_ms"), getattr(self, f"max_{what}_ms")
            if low is not None and high is not None and low > high:
                raise _fail(f"{low:g} is above max_{what}_ms {high:g}", f"min_{what}_ms")
        return self

    def core(self) -> rt.Match:
        models = (self.model,) if isinstance(self.model, str) else self.model
        return rt.Match(
            self.min_duration_ms,
            self.max_duration_ms,
            self.min_speech_ms,
            self.max_speech_ms,
            None if models is None else tuple(models),
        )


class FailFile(_Closed):
    """The error object of conversation.item.input_audio_transcription.failed."""

    type: str | None = None
    code: str | None = None
    message: str
    param: str | None = None


_STRING_OR_NULL = WithJsonSchema({"type": ["string", "null"]})


class ErrorFile(_Closed):
    """The error object of an injected 'error' event."""

    _nullable = ("code", "param")
    type: str
    code: Annotated[str | None, _STRING_OR_NULL] = None
    message: str
    param: Annotated[str | None, _STRING_OR_NULL] = None

    def core(self) -> ErrorObject:
        return ErrorObject(event_id=None, **self.model_dump())


class CloseFile(_Closed):
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
    reason: str = Field("", description="At most 123 bytes of UTF-8 (RFC 6455 §5.5).")

    @field_validator("code")
    @classmethod
    def _server_code(cls, code: int) -> int:
        if code not in _CLOSE_CODES and code not in _PRIVATE_CODES:
            raise _fail(_CLOSE_MESSAGE)
        return code

    @field_validator("reason")
    @classmethod
    def _short(cls, reason: str) -> str:
        size = len(reason.encode())
        if size > rt.MAX_CLOSE_REASON_BYTES:
            raise _fail(
                f"{size} bytes of UTF-8; a close reason has at most "
                f"{rt.MAX_CLOSE_REASON_BYTES} (RFC 6455 §5.5)"
            )
        return reason


# --- faults: one key names the kind; session faults also say when (or which turn) -------------


def _when(fault: BaseModel, name: str) -> Any:
    return getattr(fault, name, None)  # the session-level subclasses add at_turn/after_event/turn


class _At(_Closed):
    after: TurnPointName = "committed"

    @property
    def point(self) -> rt.TurnPoint:
        return rt.POINT_ALIASES.get(self.after) or self.after  # type: ignore[return-value]


class InjectFile(_At):
    inject_error: ErrorFile

    def core(self) -> rt.Fault:
        error = self.inject_error.core()
        return rt.InjectError(error, self.point, _when(self, "at_turn"), _when(self, "after_event"))


class CloseFaultFile(_At):
    close: CloseFile

    def core(self) -> rt.Fault:
        code, reason = self.close.code, self.close.reason
        at_turn, after_event = _when(self, "at_turn"), _when(self, "after_event")
        return rt.Close(code, reason, after_event, at_turn, self.point)


class DropFile(_Closed):
    drop: EventTypeName

    def core(self) -> rt.Fault:
        return rt.Drop(self.drop, _when(self, "turn"))


class DuplicateFile(_Closed):
    duplicate: EventTypeName

    def core(self) -> rt.Fault:
        return rt.Duplicate(self.duplicate, _when(self, "turn"))


class DelayFile(_Closed):
    delay: EventTypeName
    ms: Ms

    def core(self) -> rt.Fault:
        return rt.Delay(self.delay, self.ms, _when(self, "turn"))


class InjectAtTurn(InjectFile):
    at_turn: TurnIndex


class InjectAfterEvent(_Closed):
    inject_error: ErrorFile
    after_event: EventIndex

    def core(self) -> rt.Fault:
        return rt.InjectError(self.inject_error.core(), after_event=self.after_event)


class CloseAtTurn(CloseFaultFile):
    at_turn: TurnIndex


class CloseAfterEvent(_Closed):
    close: CloseFile
    after_event: EventIndex

    def core(self) -> rt.Fault:
        return rt.Close(self.close.code, self.close.reason, after_event=self.after_event)


class SessionDrop(DropFile):
    turn: TurnIndex | None = None


class SessionDuplicate(DuplicateFile):
    turn: TurnIndex | None = None


class SessionDelay(DelayFile):
    turn: TurnIndex | None = None


_KINDS = ("inject_error", "drop", "duplicate", "delay", "close")


def _kind(value: object) -> str | None:
    kinds = [k for k in _KINDS if k in value] if isinstance(value, dict) else []
    return f"={kinds[0]}" if len(kinds) == 1 else None


def _timing(value: object) -> str | None:
    if not isinstance(value, dict):
        return None
    at_turn, after_event = "at_turn" in value, "after_event" in value
    if at_turn and not after_event:
        return "=at_turn"
    return "=after_event" if after_event and not at_turn and "after" not in value else None


_TIMING = Discriminator(
    _timing,
    custom_error_type="script",
    custom_error_message="set exactly one of 'at_turn' (with an optional 'after') or 'after_event'",
)
InjectTimed = Annotated[
    Annotated[InjectAtTurn, Tag("=at_turn")] | Annotated[InjectAfterEvent, Tag("=after_event")],
    _TIMING,
]
CloseTimed = Annotated[
    Annotated[CloseAtTurn, Tag("=at_turn")] | Annotated[CloseAfterEvent, Tag("=after_event")],
    _TIMING,
]
_KIND_ERROR = {
    "custom_error_type": "script",
    "custom_error_message": "a fault has exactly one of: " + ", ".join(_KINDS),
}
SessionFault = Annotated[
    Annotated[InjectTimed, Tag("=inject_error")]
    | Annotated[SessionDrop, Tag("=drop")]
    | Annotated[SessionDuplicate, Tag("=duplicate")]
    | Annotated[SessionDelay, Tag("=delay")]
    | Annotated[CloseTimed, Tag("=close")],
    Discriminator(_kind, **_KIND_ERROR),
]
TurnFault = Annotated[
    Annotated[InjectFile, Tag("=inject_error")]
    | Annotated[DropFile, Tag("=drop")]
    | Annotated[DuplicateFile, Tag("=duplicate")]
    | Annotated[DelayFile, Tag("=delay")]
    | Annotated[CloseFaultFile, Tag("=close")],
    Discriminator(_kind, **_KIND_ERROR),
    Field(
        description="Like a session fault, bound to the turn it sits in (no turn, at_turn or "
        "after_event)."
    ),
]


# --- turns and the script --------------------------------------------------------------------


class _TurnBase(_Closed):
    latency_ms: LatencyFile | None = None
    match: MatchFile | None = None
    faults: list[TurnFault] = []

    def _common(self) -> dict[str, Any]:
        return {
            "latency": (self.latency_ms or LatencyFile()).core(),
            "match": None if self.match is None else self.match.core(),
            "faults": tuple(f.core() for f in self.faults),
        }


_ONE_LANGUAGE = ("language", "languages")


class TranscriptTurn(_TurnBase):
    """A turn that transcribes to ``transcript``."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": list(_ONE_LANGUAGE)}})

    transcript: str
    deltas: Deltas | None = None
    language: NonEmpty | None = Field(
        None,
        description="Reported as completed.languages [{code}] by models that return languages.",
    )
    languages: list[NonEmpty] | None = Field(
        None, description="Several codes, or [] for 'no language could be reliably detected'."
    )
    logprobs: Logprobs | None = None
    usage: Usage | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TranscriptTurn:
        if set(_ONE_LANGUAGE) <= self.model_fields_set:
            raise _fail("set 'language' or 'languages', not both")
        deltas = self._deltas()
        if isinstance(deltas, tuple) and "".join(deltas) != self.transcript:
            raise _fail(rt.concat_mismatch(deltas, self.transcript), "deltas")
        self._logprobs()
        return self

    def _deltas(self) -> rt.Deltas | None:
        if isinstance(self.deltas, PiecesFile):
            return rt.Pieces(self.deltas.pieces)
        return tuple(self.deltas) if isinstance(self.deltas, list) else self.deltas

    def _logprobs(self) -> tuple[tuple[LogProb, ...], ...] | None:
        if not isinstance(self.logprobs, list):
            return None
        deltas = self._deltas()
        if deltas is None:
            reason = "explicit logprobs need 'deltas' in the same turn (the default split "
            raise _fail(reason + "depends on the model)", "logprobs")
        split = split_deltas(self.transcript, deltas)
        if len(self.logprobs) != len(split):
            reason = f"{len(self.logprobs)} entries for {len(split)} deltas; give one per delta"
            raise _fail(reason, "logprobs")
        out = []
        for i, (entry, delta) in enumerate(zip(self.logprobs, split, strict=True)):
            if isinstance(entry, LogprobFile):
                probs, at = (entry.core(delta),), ("logprobs", i, "token")
            else:
                for j, item in enumerate(entry):
                    if item.token is None:
                        raise _fail("each logprob in a list needs its token", "logprobs", i, j)
                probs, at = tuple(item.core("") for item in entry), ("logprobs", i)
            tokens = "".join(p.token for p in probs)
            if tokens != delta:
                raise _fail(f"tokens {tokens!r} do not spell the delta {delta!r}", *at)
            out.append(probs)
        return tuple(out)

    def core(self) -> rt.Turn:
        language = None if self.language is None else [self.language]
        languages = language or self.languages
        return rt.Turn(
            transcript=self.transcript,
            deltas=self._deltas(),
            languages=None if languages is None else tuple(languages),
            logprobs=self._logprobs(),
            usage=None if self.usage is None else self.usage.core(),
            **self._common(),
        )


class FailingTurn(_TurnBase):
    """A turn that sends .failed with ``fail`` instead of a transcript."""

    fail: FailFile

    @classmethod
    def _unknown(cls, key: str) -> str:
        if key in TranscriptTurn.model_fields:
            return "not allowed in a turn with 'fail' (it sends .failed instead of a transcript)"
        return super()._unknown(key)

    def core(self) -> rt.Turn:
        return rt.Turn(failure=TranscriptionError(**self.fail.model_dump()), **self._common())


TurnFile = Annotated[
    Annotated[TranscriptTurn, Tag("=transcript")] | Annotated[FailingTurn, Tag("=fail")],
    Discriminator(
        lambda v: (
            "=fail"
            if "fail" in v
            else "=transcript"
            if "transcript" in v
            else None
            if isinstance(v, dict)
            else "=transcript"
        ),
        custom_error_type="script",
        custom_error_message="a turn needs 'transcript' (or 'fail')",
    ),
]


class ScriptFile(_Closed):
    """What the mock transcribes each committed turn to, how, and which faults it injects.
    Loaded by mockrt.contract.scriptfile.load_script; keys are snake_case."""

    model_usage: rt.ModelUsage = Field(
        "auto",
        description="How completed.usage is reported when a turn gives none: 'auto' per model "
        "family (duration for whisper-1, gpt-live-transcribe, gpt-realtime-whisper; tokens "
        "otherwise), or always 'tokens' / 'duration'.",
    )
    latency_ms: LatencyFile | None = Field(
        None,
        description="Default pacing for every turn (scripted or not); a turn's own latency_ms "
        "overrides it field by field.",
    )
    turns: list[TurnFile] = Field(
        [],
        description="Scripted turns, consumed in order by committed turns; when they run out, "
        "the default text applies.",
    )
    faults: list[SessionFault] = Field([], description="Session-level faults.")

    def core(self, source: str) -> rt.Script:
        return rt.Script(
            turns=tuple(t.core() for t in self.turns),
            faults=tuple(f.core() for f in self.faults),
            model_usage=self.model_usage,
            latency=(self.latency_ms or LatencyFile()).core(),
            source=source,
        )


# --- the generated JSON Schema ------------------------------------------------------------------


class _FileSchema(GenerateJsonSchema):
    """Optional keys are left out, never null (a nullable key says so with ``WithJsonSchema``)."""

    def nullable_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])


def script_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of script files, generated from ``ScriptFile``."""
    schema = ScriptFile.model_json_schema(schema_generator=_FileSchema)
    for name, shared in _SHARED.items():
        schema["$defs"][name] = TypeAdapter(shared).json_schema()
    head = {"$schema": DIALECT, "$id": SCRIPT_SCHEMA_ID, "title": "mockrt script"}
    return {**_tidy(schema), **head}


def _tidy(node: Any) -> Any:
    """Shared enums by reference, no titles on properties (as in schemas/)."""
    if isinstance(node, list):
        return [_tidy(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _tidy(v) for k, v in node.items()}
    if "shared" in out:
        out["$ref"] = "#/$defs/" + out.pop("shared")
    props = out.get("properties")
    if isinstance(props, dict):
        out["properties"] = {
            n: {k: v for k, v in p.items() if k != "title"} for n, p in props.items()
        }
    return out


def render_script_schema() -> str:
    """``mockrt/data/script.schema.json`` as it must read (sorted keys, two-space indent)."""
    return render(script_json_schema())

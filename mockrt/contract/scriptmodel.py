"""The script file format as pydantic models: the one home of its keys, rules and error wording.

A script file (YAML or JSON, snake_case keys) validates as ``ScriptFile``; ``ScriptFile.core()``
builds the core's runtime model (``mockrt.core.script.Script``), a different shape (``language``
shorthand, one key per fault kind, event-type aliases, tokens defaulting to their delta). The
building blocks (faults, usage, match, ...) are in ``mockrt.contract.scriptparts``.
``script_json_schema()`` renders the models as ``mockrt/data/script.schema.json`` (generated;
``mockrt script schema`` prints it, ``--check`` compares). Must never import yaml, jsonschema,
aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import ConfigDict, Field, JsonValue, Tag, TypeAdapter, model_validator
from pydantic.json_schema import GenerateJsonSchema

from mockrt.contract.schema import DIALECT, render
from mockrt.contract.scriptparts import (
    SHARED_ENUMS,
    Bound,
    Closed,
    FailFile,
    LatencyFile,
    Ms,
    NonEmpty,
    PiecesFile,
    SessionFault,
    TurnFault,
    fail,
    shape,
    worded,
)
from mockrt.core import script as rt
from mockrt.core.server_events import LogProb, TranscriptionError, UsageTokens
from mockrt.core.server_events import UsageDuration as Duration
from mockrt.core.transcriber import split_deltas

__all__ = [
    "FailingTurn",
    "LogprobFile",
    "MatchFile",
    "SCRIPT_SCHEMA_ID",
    "ScriptFile",
    "TokenDetailsFile",
    "TranscriptTurn",
    "UsageDurationFile",
    "UsageTokensFile",
    "render_script_schema",
    "script_json_schema",
]

SCRIPT_SCHEMA_ID = "urn:mockrt:script"
_DELTA_SHAPES: dict[str, type] = {"=pieces": dict, "=list": list}

Deltas = Annotated[
    Annotated[rt.DeltaMode, Tag("=mode")]
    | Annotated[PiecesFile, Tag("=pieces")]
    | Annotated[list[str], Tag("=list"), Field(description="They concatenate to the transcript.")],
    worded(
        "expected 'words', 'characters', 'whole', {pieces: n} or a list of strings",
        lambda v: "=mode" if v in get_args(rt.DeltaMode) else shape(**_DELTA_SHAPES)(v),
    ),
    Field(
        description="How the transcript is split into delta events. Default: 'words', or "
        "'whole' for whisper-1."
    ),
]


class LogprobFile(Closed):
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
    worded("expected {token, logprob} or a list of them", shape(**{"=one": dict, "=many": list})),
]
Logprobs = Annotated[
    Annotated[Literal["auto"], Tag("=auto")] | Annotated[list[LogprobEntry], Tag("=list")],
    worded(
        "expected 'auto' or a list with one {token, logprob} per delta",
        lambda v: "=auto" if v == "auto" else shape(**{"=list": list})(v),
    ),
    Field(
        description="'auto' (deterministic values from the text) or one entry per delta: a "
        "logprob, or a list of them whose tokens concatenate to the delta. Sent only when the "
        "session includes item.input_audio_transcription.logprobs."
    ),
]


_USAGE = ("tokens", "duration")


class TokenDetailsFile(Closed):
    audio_tokens: Ms | None = None
    text_tokens: Ms | None = None


class UsageTokensFile(Closed):
    type: Literal["tokens"]
    input_tokens: Ms
    output_tokens: Ms
    total_tokens: Ms | None = Field(None, description="Defaults to input + output tokens.")
    input_token_details: TokenDetailsFile | None = None

    def core(self) -> UsageTokens:
        given = self.model_dump(exclude_none=True)
        return UsageTokens(**{"total_tokens": self.input_tokens + self.output_tokens, **given})


class UsageDurationFile(Closed):
    type: Literal["duration"]
    seconds: Bound

    def core(self) -> Duration:
        return Duration(seconds=self.seconds)


Usage = Annotated[
    Annotated[UsageTokensFile, Tag("=tokens")] | Annotated[UsageDurationFile, Tag("=duration")],
    worded(
        "expected a mapping with type 'tokens' or 'duration'",
        lambda v: f"={v['type']}" if isinstance(v, dict) and v.get("type") in _USAGE else None,
    ),
]


class MatchFile(Closed):
    """The turn is used only for a committed turn that fits every given bound."""

    model_config = ConfigDict(json_schema_extra={"minProperties": 1})

    min_duration_ms: Bound | None = None
    max_duration_ms: Bound | None = None
    min_speech_ms: Bound | None = None
    max_speech_ms: Bound | None = None
    model: (
        Annotated[
            Annotated[str, Tag("=one")] | Annotated[list[str], Tag("=many"), Field(min_length=1)],
            worded(
                "expected a model name or a list of them", shape(**{"=one": str, "=many": list})
            ),
        ]
        | None
    ) = Field(None, description="audio.input.transcription.model of the session, one or several.")

    @model_validator(mode="after")
    def _bounds(self) -> MatchFile:
        if not self.model_fields_set:
            raise fail("give at least one bound")
        for what in ("duration", "speech"):
            low, high = getattr(self, f"min_{what}_ms"), getattr(self, f"max_{what}_ms")
            if low is not None and high is not None and low > high:
                raise fail(f"{low:g} is above max_{what}_ms {high:g}", f"min_{what}_ms")
        return self

    def core(self) -> rt.Match:
        models = [self.model] if isinstance(self.model, str) else self.model
        bounds = self.min_duration_ms, self.max_duration_ms, self.min_speech_ms, self.max_speech_ms
        return rt.Match(*bounds, None if models is None else tuple(models))


# --- turns and the script --------------------------------------------------------------------


class _TurnBase(Closed):
    latency_ms: LatencyFile | None = None
    match: MatchFile | None = None
    faults: list[TurnFault] = []

    def _common(self) -> dict[str, Any]:
        match = None if self.match is None else self.match.core()
        faults = tuple(f.core() for f in self.faults)
        return {
            "latency": (self.latency_ms or LatencyFile()).core(),
            "match": match,
            "faults": faults,
        }


_ONE_LANGUAGE: list[JsonValue] = ["language", "languages"]


class TranscriptTurn(_TurnBase):
    """A turn that transcribes to ``transcript``."""

    model_config = ConfigDict(json_schema_extra={"not": {"required": _ONE_LANGUAGE}})

    transcript: str
    deltas: Deltas | None = None
    language: NonEmpty | None = Field(
        None, description="Reported as completed.languages [{code}] by models that return them."
    )
    languages: list[NonEmpty] | None = Field(
        None, description="Several codes, or [] for 'no language could be reliably detected'."
    )
    logprobs: Logprobs = "auto"
    usage: Usage | None = None

    @model_validator(mode="after")
    def _consistent(self) -> TranscriptTurn:
        if all(k in self.model_fields_set for k in _ONE_LANGUAGE):
            raise fail("set 'language' or 'languages', not both")
        deltas = self._deltas()
        if isinstance(deltas, tuple) and "".join(deltas) != self.transcript:
            raise fail(rt.concat_mismatch(deltas, self.transcript), "deltas")
        self._logprobs()
        return self

    def _deltas(self) -> rt.Deltas | None:
        if isinstance(self.deltas, PiecesFile):
            return rt.Pieces(self.deltas.pieces)
        return tuple(self.deltas) if isinstance(self.deltas, list) else self.deltas

    def _logprobs(self) -> tuple[tuple[LogProb, ...], ...] | None:
        if self.logprobs == "auto":
            return None
        deltas, count = self._deltas(), len(self.logprobs)
        if deltas is None:
            reason = "explicit logprobs need 'deltas' in the same turn (the default split "
            raise fail(reason + "depends on the model)", "logprobs")
        split = split_deltas(self.transcript, deltas)
        if count != len(split):
            raise fail(f"{count} entries for {len(split)} deltas; give one per delta", "logprobs")
        out = []
        probs: tuple[LogProb, ...]
        for i, (entry, delta) in enumerate(zip(self.logprobs, split, strict=True)):
            at: tuple[str | int, ...] = ("logprobs", i)
            if isinstance(entry, LogprobFile):
                probs, at = (entry.core(delta),), (*at, "token")
            else:
                missing = [j for j, item in enumerate(entry) if item.token is None]
                if missing:
                    raise fail("each logprob in a list needs its token", *at, missing[0])
                probs = tuple(item.core("") for item in entry)
            tokens = "".join(p.token for p in probs)
            if tokens != delta:
                raise fail(f"tokens {tokens!r} do not spell the delta {delta!r}", *at)
            out.append(probs)
        return tuple(out)

    def core(self) -> rt.Turn:
        languages = [self.language] if self.language is not None else self.languages
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
        return rt.Turn(failure=TranscriptionError(**dict(self.fail)), **self._common())


def _turn_kind(value: object) -> str | None:
    if not isinstance(value, dict):
        return "=transcript"  # reported as not a mapping
    return "=fail" if "fail" in value else "=transcript" if "transcript" in value else None


TurnFile = Annotated[
    Annotated[TranscriptTurn, Tag("=transcript")] | Annotated[FailingTurn, Tag("=fail")],
    worded("a turn needs 'transcript' (or 'fail')", _turn_kind),
]


class ScriptFile(Closed):
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
        turns, faults = tuple(t.core() for t in self.turns), tuple(f.core() for f in self.faults)
        latency = (self.latency_ms or LatencyFile()).core()
        return rt.Script(turns, faults, self.model_usage, latency, source)


# --- the generated JSON Schema ------------------------------------------------------------------


class _FileSchema(GenerateJsonSchema):
    """Optional keys are left out, never null (a nullable key says so with ``WithJsonSchema``)."""

    def nullable_schema(self, schema: Any) -> Any:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: Any) -> Any:
        out = super().default_schema(schema)
        return {k: v for k, v in out.items() if k != "default" or v is not None}


def script_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of script files, generated from ``ScriptFile``."""
    schema = ScriptFile.model_json_schema(schema_generator=_FileSchema)
    for name, shared in SHARED_ENUMS.items():
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
    if isinstance(props := out.get("properties"), dict):
        out["properties"] = {
            n: {k: v for k, v in p.items() if k != "title"} for n, p in props.items()
        }
    return out


def render_script_schema() -> str:
    """``mockrt/data/script.schema.json`` as it must read (sorted keys, two-space indent)."""
    return render(script_json_schema())

"""Script files: reading, validating and building ``mockrt.core.script.Script`` from YAML or JSON.

Validates against ``mockrt/data/script.schema.json`` with errors that name file, line and field
(``file:line: field: reason``). The only I/O is reading the file; the model it builds is the
core's. Must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import relevance

from mockrt.core.script import (
    MAX_CLOSE_REASON_BYTES,
    POINT_ALIASES,
    Close,
    Delay,
    Deltas,
    Drop,
    Duplicate,
    Fault,
    FieldPath,
    InjectError,
    Latency,
    Match,
    Pieces,
    Script,
    ScriptError,
    Turn,
    TurnPoint,
    concat_mismatch,
)
from mockrt.core.server_events import (
    ErrorObject,
    LogProb,
    TranscriptionError,
    UsageDuration,
    UsageTokens,
)
from mockrt.core.transcriber import split_deltas

__all__ = [
    "Locate",
    "first_schema_error",
    "load_script",
    "parse_script",
    "read_document",
    "script_schema",
]

Locate = Callable[[FieldPath], int | None]


@cache
def script_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every script satisfies."""
    text = resources.files("mockrt").joinpath("data/script.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(script_schema())


def load_script(path: str | Path) -> Script:
    """Read, validate and build a YAML or JSON (``.json``) script file."""
    data, locate = read_document(path, "script")
    return _parse(data, str(path), locate)


def read_document(path: str | Path, kind: str = "file") -> tuple[Any, Locate]:
    """The data of a YAML or JSON (``.json``) file and a function giving the line of a field
    path; unreadable files, bad syntax and duplicate keys raise ``ScriptError`` naming the line.
    Shared by every data file with ``file:line: field: reason`` errors (scripts, conformance
    cases)."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the {kind}: {exc}", source=source) from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ScriptError(exc.msg, source=source, line=exc.lineno) from exc
        try:
            node = _compose(text)[0]  # JSON as YAML, for line numbers only
        except yaml.YAMLError:
            node = None
    else:
        try:
            node, data = _compose(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            reason = f"invalid YAML: {exc.problem or exc.context}"
            if exc.context and exc.context_mark and exc.problem:
                reason += f" ({exc.context} from line {exc.context_mark.line + 1})"
            line = mark.line + 1 if mark else 1
            raise ScriptError(reason, source=source, line=line) from exc
        except yaml.YAMLError as exc:
            raise ScriptError(f"invalid YAML: {exc}", source=source, line=1) from exc
    if node is None:
        return data, lambda _: 1
    _check_duplicate_keys(node, (), source)
    root = node
    return data, lambda p: _line_of(root, p)


def first_schema_error(
    validator: Draft202012Validator, data: object, source: str, locate: Locate
) -> ScriptError | None:
    """The first schema error in the file as ``file:line: field: reason`` (None when valid):
    on the first failing line, a worded one (``errorMessage``), else jsonschema's most relevant."""
    ctx = _Ctx(source, locate)
    explained = [(_explain(e, ctx), e) for e in validator.iter_errors(data)]
    if not explained:
        return None
    first = min(err.line or 0 for err, _ in explained)
    on_line = [(err, e) for err, e in explained if (err.line or 0) == first]
    return max(on_line, key=lambda pair: (_worded(pair[1]), relevance(pair[1])))[0]


def parse_script(data: object, source: str = "<script>") -> Script:
    """Validate and build already-loaded script data; errors name ``source`` and the field."""
    return _parse(data, source, lambda _: None)


def _compose(text: str) -> tuple[yaml.Node | None, Any]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        return node, None if node is None else loader.construct_document(node)
    finally:
        loader.dispose()


def _line_of(root: yaml.Node, path: FieldPath) -> int:
    """The line of the deepest node on ``path`` (a mapping entry's key line)."""
    node, line = root, root.start_mark.line + 1
    for part in path:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            entry = next((kv for kv in node.value if kv[0].value == part), None)
            if entry is None:
                break
            line, node = entry[0].start_mark.line + 1, entry[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _check_duplicate_keys(node: yaml.Node, path: FieldPath, source: str) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key, value in node.value:
            name = key.value if isinstance(key, yaml.ScalarNode) else None
            if name in seen:
                line = key.start_mark.line + 1
                field = _field((*path, str(name)))
                raise ScriptError("duplicate key", source=source, line=line, field=field)
            seen.add(name)
            _check_duplicate_keys(value, (*path, str(name)), source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_duplicate_keys(item, (*path, i), source)


def _field(path: FieldPath) -> str:
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return text or "(root)"


@dataclass
class _Ctx:
    source: str
    locate: Locate

    def error(self, path: FieldPath, reason: str) -> ScriptError:
        return ScriptError(reason, source=self.source, line=self.locate(path), field=_field(path))


def _parse(data: object, source: str, locate: Locate) -> Script:
    ctx = _Ctx(source, locate)
    error = first_schema_error(_validator(), data, source, locate)
    if error is not None:
        raise error
    assert isinstance(data, dict)
    return Script(
        turns=tuple(_turn(t, ("turns", i), ctx) for i, t in enumerate(data.get("turns", []))),
        faults=tuple(_fault(f, ("faults", i), ctx) for i, f in enumerate(data.get("faults", []))),
        model_usage=data.get("model_usage", "auto"),
        latency=_latency(data.get("latency_ms")),
        source=source,
    )


def _worded(error: ValidationError) -> bool:
    return isinstance(error.schema, dict) and "errorMessage" in error.schema


def _explain(error: ValidationError, ctx: _Ctx) -> ScriptError:
    """A schema error as ``file:line: field: reason``, at the most useful depth."""
    while error.context:  # anyOf / oneOf: go into a branch only where it fails deeper down
        deeper = [e for e in error.context if e.relative_path]
        if not deeper:
            break
        error = max(deeper, key=relevance)
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    reason = error.message
    if "errorMessage" in schema:
        reason = schema["errorMessage"]
    elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = schema.get("properties", {})
        extra = [k for k in error.instance if k not in known]
        path = (*path, str(extra[0]))
        reason = "unknown field; expected one of: " + ", ".join(known)
    elif error.validator == "required" and isinstance(error.instance, dict):
        required: list[str] = list(schema.get("required", []))
        missing = [k for k in required if k not in error.instance]
        path = (*path, missing[0])
        reason = "required field is missing"
    elif error.validator == "type" and isinstance(error.instance, bool):
        reason += " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)"
    elif error.validator == "type" and not path:
        reason = "a script is a mapping with optional keys turns, faults, model_usage, latency_ms"
    return ctx.error(path, reason)


def _latency(raw: dict[str, int] | None) -> Latency:
    raw = raw or {}

    def ms(key: str) -> int | None:
        return None if key not in raw else int(raw[key])

    return Latency(ms("first_delta"), ms("between_deltas"), ms("completed"))


def _turn(raw: dict[str, Any], path: FieldPath, ctx: _Ctx) -> Turn:
    faults = tuple(
        _fault(f, (*path, "faults", i), ctx) for i, f in enumerate(raw.get("faults", []))
    )
    common: dict[str, Any] = {
        "latency": _latency(raw.get("latency_ms")),
        "match": _match(raw["match"], (*path, "match"), ctx) if "match" in raw else None,
        "faults": faults,
    }
    if "fail" in raw:
        return Turn(failure=TranscriptionError(**raw["fail"]), **common)
    transcript: str = raw["transcript"]
    deltas = _deltas(raw.get("deltas"))
    if isinstance(deltas, tuple) and "".join(deltas) != transcript:
        raise ctx.error((*path, "deltas"), concat_mismatch(deltas, transcript))
    logprobs = None
    if raw.get("logprobs", "auto") != "auto":
        logprobs = _logprobs(raw["logprobs"], transcript, deltas, (*path, "logprobs"), ctx)
    languages = raw.get("languages")
    if "language" in raw:
        languages = [raw["language"]]
    usage = raw.get("usage")
    return Turn(
        transcript=transcript,
        deltas=deltas,
        languages=None if languages is None else tuple(languages),
        logprobs=logprobs,
        usage=None if usage is None else _usage(usage),
        **common,
    )


def _usage(raw: dict[str, Any]) -> UsageTokens | UsageDuration:
    if raw["type"] == "duration":
        return UsageDuration(**raw)
    return UsageTokens(**{"total_tokens": raw["input_tokens"] + raw["output_tokens"], **raw})


def _deltas(raw: object) -> Deltas | None:
    if isinstance(raw, dict):
        return Pieces(int(raw["pieces"]))
    if isinstance(raw, list):
        return tuple(raw)
    if raw == "words" or raw == "characters" or raw == "whole":
        return raw
    return None


def _logprobs(
    raw: list[Any], transcript: str, deltas: Deltas | None, path: FieldPath, ctx: _Ctx
) -> tuple[tuple[LogProb, ...], ...]:
    if deltas is None:
        raise ctx.error(
            path,
            "explicit logprobs need 'deltas' in the same turn (the default split depends on "
            "the model)",
        )
    split = split_deltas(transcript, deltas)
    if len(raw) != len(split):
        raise ctx.error(path, f"{len(raw)} entries for {len(split)} deltas; give one per delta")
    out = []
    for i, (entry, delta) in enumerate(zip(raw, split, strict=True)):
        items = entry if isinstance(entry, list) else [{"token": delta, **entry}]
        probs = []
        for j, item in enumerate(items):
            if "token" not in item:
                raise ctx.error((*path, i, j), "each logprob in a list needs its token")
            token: str = item["token"]
            raw_bytes = item.get("bytes", list(token.encode()))
            probs.append(LogProb(token=token, bytes=raw_bytes, logprob=float(item["logprob"])))
        tokens = "".join(p.token for p in probs)
        if tokens != delta:
            at = (*path, i, "token") if isinstance(entry, dict) else (*path, i)
            raise ctx.error(at, f"tokens {tokens!r} do not spell the delta {delta!r}")
        out.append(tuple(probs))
    return tuple(out)


def _match(raw: dict[str, Any], path: FieldPath, ctx: _Ctx) -> Match:
    for what in ("duration", "speech"):
        low, high = raw.get(f"min_{what}_ms"), raw.get(f"max_{what}_ms")
        if low is not None and high is not None and low > high:
            raise ctx.error((*path, f"min_{what}_ms"), f"{low} is above max_{what}_ms {high}")
    models = raw.get("model")
    return Match(
        min_duration_ms=raw.get("min_duration_ms"),
        max_duration_ms=raw.get("max_duration_ms"),
        min_speech_ms=raw.get("min_speech_ms"),
        max_speech_ms=raw.get("max_speech_ms"),
        models=None if models is None else (models,) if isinstance(models, str) else tuple(models),
    )


def _opt_int(value: float | None) -> int | None:
    return None if value is None else int(value)  # the schema's integers may be 5.0


def _fault(raw: dict[str, Any], path: FieldPath, ctx: _Ctx) -> Fault:
    turn = _opt_int(raw.get("turn"))
    after: TurnPoint = POINT_ALIASES.get(raw.get("after", ""), raw.get("after", "committed"))
    if "drop" in raw:
        return Drop(raw["drop"], turn)
    if "duplicate" in raw:
        return Duplicate(raw["duplicate"], turn)
    if "delay" in raw:
        return Delay(raw["delay"], int(raw["ms"]), turn)
    at_turn, after_event = _opt_int(raw.get("at_turn")), _opt_int(raw.get("after_event"))
    if "inject_error" in raw:
        spec = raw["inject_error"]
        error = ErrorObject(
            type=spec["type"],
            code=spec.get("code"),
            message=spec["message"],
            param=spec.get("param"),
            event_id=None,
        )
        return InjectError(error, after, at_turn, after_event)
    close = raw["close"]
    reason: str = close.get("reason", "")
    if len(reason.encode()) > MAX_CLOSE_REASON_BYTES:
        raise ctx.error(
            (*path, "close", "reason"),
            f"{len(reason.encode())} bytes of UTF-8; a close reason has at most "
            f"{MAX_CLOSE_REASON_BYTES} (RFC 6455 §5.5)",
        )
    return Close(int(close["code"]), reason, after_event, at_turn, after)

"""Script files: reading YAML or JSON, validating it as ``mockrt.contract.scriptmodel.ScriptFile``
and building the core's ``mockrt.core.script.Script``.

Errors name file, line and field (``file:line: field: reason``): pydantic's error locations are
mapped to the YAML nodes' lines and its error types worded as before. ``read_document`` and
``first_schema_error`` serve every data file with such errors (the conformance case files too).
``mockrt/data/script.schema.json`` is generated from the model (``mockrt script schema``). The
only I/O is reading files. Must never import aiohttp, websockets or asyncio.
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
from pydantic import ValidationError as ModelError
from pydantic_core import ErrorDetails

from mockrt.contract.scriptmodel import ScriptFile
from mockrt.core.script import FieldPath, Script, ScriptError

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
    """The JSON Schema (draft 2020-12) every script satisfies, as shipped (generated from
    ``ScriptFile``; tests/test_script.py keeps it current)."""
    text = resources.files("mockrt").joinpath("data/script.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


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
    try:
        model = ScriptFile.model_validate(data)
    except ModelError as exc:
        errors = [_located(e, source, locate) for e in exc.errors(include_url=False)]
        raise min(errors, key=lambda e: e.line or 0) from None
    return model.core(source)


_TYPES = {"string": "string", "int": "integer", "float": "number", "list": "array"}
_BOOLEAN_HINT = " (YAML reads unquoted yes/no/on/off/true/false as booleans: quote it)"


def _located(error: ErrorDetails, source: str, locate: Locate) -> ScriptError:
    """A pydantic error as ``file:line: field: reason`` (union tags, ``=...``, left out)."""
    ctx, value = error.get("ctx", {}), error["input"]
    path: FieldPath = tuple(p for p in error["loc"] if not str(p).startswith("="))
    path += tuple(ctx.get("at", ()))
    kind = error["type"]
    reason = error["msg"]
    if kind == "missing":
        reason = "required field is missing"
    elif kind in ("model_type", "dict_type") and not path:
        reason = "a script is a mapping with optional keys turns, faults, model_usage, latency_ms"
    elif kind.endswith("_type"):
        name = _TYPES.get(kind[: -len("_type")], "object")
        reason = f"{value!r} is not of type {name!r}" + (_BOOLEAN_HINT * isinstance(value, bool))
    elif kind == "greater_than_equal":
        reason = f"{value!r} is less than the minimum of {ctx['ge']}"
    elif kind == "less_than_equal":
        reason = f"{value!r} is greater than the maximum of {ctx['le']}"
    elif kind in ("too_short", "string_too_short"):
        reason = f"{value!r} should be non-empty"
    elif kind == "literal_error":
        reason = f"{value!r} is not one of: {ctx['expected']}"
    return ScriptError(reason, source=source, line=locate(path), field=_field(path))


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
    return ctx.error(path, reason)

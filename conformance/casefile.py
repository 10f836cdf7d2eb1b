"""Case files: reading ``conformance/cases/*.yaml``, validating them against
``conformance/case.schema.json`` (errors read ``file:line: field: reason``, the same way script
files report theirs) and building ``Case`` objects. Pure except for reading files.
Must never import websockets or aiohttp.
"""

from __future__ import annotations

import fnmatch
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from mockrt.contract.scriptfile import Locate, first_schema_error, read_document
from mockrt.core.script import ScriptError

__all__ = [
    "CASES_DIR",
    "Case",
    "CaseError",
    "Source",
    "case_schema",
    "id_key",
    "load_cases",
    "load_file",
    "packaged_schema",
    "read_checked",
    "select",
]

CASES_DIR = Path(__file__).resolve().parent / "cases"


class CaseError(ScriptError):
    """A case file that cannot be used; the message reads ``file:line: field: reason``."""


@dataclass(frozen=True)
class Source:
    ref: str
    seen: str


@dataclass(frozen=True)
class Case:
    """One case: what to do on one connection (or a few) and which frames must come back."""

    id: str
    description: str
    section: str
    section_title: str
    sources: tuple[Source, ...]
    certainty: str
    steps: tuple[dict[str, Any], ...]
    connection: dict[str, Any] = field(default_factory=dict)
    alternatives: tuple[dict[str, Any], ...] = ()
    targets: tuple[str, ...] = ("mock", "live", "url")
    mock: dict[str, Any] = field(default_factory=dict)
    invariants: bool = True
    note: str = ""
    file: str = ""
    line: int = 0

    @property
    def title(self) -> str:
        """``3.2 realtime session.update is rejected``: the readable id."""
        return f"{self.id} {self.description}"

    @property
    def persona(self) -> str:
        return str(self.connection.get("persona", "ga"))

    def to_json(self) -> dict[str, Any]:
        """The case as a case file entry (the form ``conformance/cases/`` holds)."""
        out: dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "sources": [{"ref": s.ref, "seen": s.seen} for s in self.sources],
            "certainty": self.certainty,
        }
        if self.connection:
            out["connection"] = self.connection
        out["steps"] = list(self.steps)
        if self.alternatives:
            out["alternatives"] = list(self.alternatives)
        return out


@cache
def packaged_schema(name: str) -> dict[str, Any]:
    """A JSON Schema (draft 2020-12) the suite ships, e.g. ``case.schema.json``."""
    text = resources.files("conformance").joinpath(name).read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def case_schema() -> dict[str, Any]:
    """The JSON Schema every case file satisfies."""
    return packaged_schema("case.schema.json")


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(packaged_schema(name))


def read_checked(
    path: str | Path, schema: str, what: str, shape: str
) -> tuple[dict[str, Any], Locate]:
    """A case file's document, validated against the packaged ``schema``, and where each of its
    fields stands; ``CaseError`` (``file:line: field: reason``) when it is not one. ``what``
    names the kind of file, ``shape`` says what its mapping holds."""
    source = str(path)
    try:
        data, locate = read_document(path, what)
    except ScriptError as exc:
        raise CaseError(exc.reason, source=exc.source, line=exc.line, field=exc.field) from exc
    if not isinstance(data, dict):
        raise CaseError(f"a {what} is a mapping with {shape}", source=source)
    error = first_schema_error(_validator(schema), data, source, locate)
    if error is not None:
        raise CaseError(error.reason, source=source, line=error.line, field=error.field)
    return data, locate


def id_key(case_id: str) -> tuple[int, ...]:
    """``"3.10"`` -> ``(3, 10)``: ids order numerically."""
    return tuple(int(part) for part in case_id.split("."))


def load_file(path: str | Path) -> list[Case]:
    """The cases of one file, validated; ``CaseError`` names file, line and field."""
    source = str(path)
    data, locate = read_checked(path, "case.schema.json", "case file", "section, title and cases")
    section = str(data["section"])
    cases: list[Case] = []
    for i, raw in enumerate(data["cases"]):
        case_id = str(raw["id"])
        if case_id.split(".")[0] != section:
            raise CaseError(
                f"id {case_id!r} is not in section {section}",
                source=source,
                line=locate(("cases", i, "id")),
                field=f"cases[{i}].id",
            )
        cases.append(
            Case(
                id=case_id,
                description=str(raw["description"]),
                section=section,
                section_title=str(data["title"]),
                sources=tuple(Source(str(s["ref"]), str(s["seen"])) for s in raw["sources"]),
                certainty=str(raw["certainty"]),
                steps=tuple(raw["steps"]),
                connection=dict(raw.get("connection", {})),
                alternatives=tuple(raw.get("alternatives", ())),
                targets=tuple(raw.get("targets", ("mock", "live", "url"))),
                mock=dict(raw.get("mock", {})),
                invariants=bool(raw.get("invariants", True)),
                note=str(raw.get("note", "")),
                file=source,
                line=locate(("cases", i)) or 0,
            )
        )
    return cases


def load_cases(directory: str | Path | None = None) -> list[Case]:
    """Every case of ``directory`` (default: the suite's own), in id order."""
    folder = Path(directory) if directory is not None else CASES_DIR
    cases: list[Case] = []
    for path in sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*.json")):
        cases += load_file(path)
    return sorted(cases, key=lambda c: id_key(c.id))


def select(cases: list[Case], patterns: list[str] | None) -> list[Case]:
    """Cases whose id (``3.2``), section (``3``) or description matches a glob of ``patterns``."""
    if not patterns:
        return cases
    chosen: list[Case] = []
    for case in cases:
        for pattern in patterns:
            if (
                fnmatch.fnmatchcase(case.id, pattern)
                or case.section == pattern
                or fnmatch.fnmatchcase(case.id, pattern + ".*")
                or fnmatch.fnmatch(case.description, pattern)
            ):
                chosen.append(case)
                break
    return chosen

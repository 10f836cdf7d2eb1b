"""Client case files: ``conformance/client_cases/*.yaml``, validated against
``conformance/client_case.schema.json`` (errors read ``file:line: field: reason``, as case files
and scripts report theirs), each case's mock script validated by the script schema. A client case
says what the mock plays to a client (a script: transcripts and faults), what the application
does (a ``Plan``) and what it must end up with (``expect``). Pure except for reading files.
Must never import websockets, aiohttp or asyncio.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from conformance.casefile import CaseError, Source, packaged_schema, read_checked
from mockrt.contract.scriptfile import parse_script
from mockrt.core.script import Script, ScriptError

__all__ = [
    "CLIENT_CASES_DIR",
    "ClientCase",
    "Expect",
    "client_case_schema",
    "load_client_cases",
    "select_client_cases",
]

CLIENT_CASES_DIR = Path(__file__).resolve().parent / "client_cases"


@dataclass(frozen=True)
class Expect:
    """What the application must end up with."""

    transcripts: tuple[str, ...]
    exceptions: Literal["forbidden", "allowed"] = "forbidden"
    errors: Literal["forbidden", "allowed"] = "forbidden"
    notice_close: bool = False


@dataclass(frozen=True)
class ClientCase:
    id: str
    description: str
    sources: tuple[Source, ...]
    certainty: str
    script: Script
    expect: Expect
    plan: dict[str, Any] = field(default_factory=dict)
    inject: tuple[dict[str, Any], ...] = ()
    note: str = ""
    file: str = ""
    line: int = 0

    @property
    def title(self) -> str:
        """``C3 the second turn completes before the first``."""
        return f"{self.id} {self.description}"

    @property
    def number(self) -> int:
        return int(self.id[1:])


def client_case_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) every client case file satisfies."""
    return packaged_schema("client_case.schema.json")


def _scripted(script: Script) -> tuple[str, ...]:
    """The transcripts of the script's turns that do not fail."""
    return tuple(t.transcript for t in script.turns if t.failure is None and t.transcript)


def _load_file(path: str | Path) -> list[ClientCase]:
    source = str(path)
    data, locate = read_checked(
        path, "client_case.schema.json", "client case file", "title and cases"
    )
    cases: list[ClientCase] = []
    for i, raw in enumerate(data["cases"]):
        line = locate(("cases", i, "script"))
        try:
            script = parse_script(raw["script"], f"{source}:{line} cases[{i}].script")
        except ScriptError as exc:
            raise CaseError(str(exc), source=source, line=line, field=f"cases[{i}].script") from exc
        expect = raw.get("expect", {})
        cases.append(
            ClientCase(
                id=str(raw["id"]),
                description=str(raw["description"]),
                sources=tuple(Source(str(s["ref"]), str(s["seen"])) for s in raw["sources"]),
                certainty=str(raw["certainty"]),
                script=script,
                expect=Expect(
                    transcripts=tuple(expect.get("transcripts", _scripted(script))),
                    exceptions=expect.get("exceptions", "forbidden"),
                    errors=expect.get("errors", "forbidden"),
                    notice_close=bool(expect.get("notice_close", False)),
                ),
                plan=dict(raw.get("plan", {})),
                inject=tuple(raw.get("inject", ())),
                note=str(raw.get("note", "")),
                file=source,
                line=locate(("cases", i)) or 0,
            )
        )
    return cases


def load_client_cases(directory: str | Path | None = None) -> list[ClientCase]:
    """Every client case of ``directory`` (default: the suite's own), in id order; ids unique."""
    folder = Path(directory) if directory is not None else CLIENT_CASES_DIR
    cases: list[ClientCase] = []
    for path in sorted(folder.glob("*.y*ml")) + sorted(folder.glob("*.json")):
        cases += _load_file(path)
    seen: dict[str, ClientCase] = {}
    for case in cases:
        if case.id in seen:
            raise CaseError(
                f"id {case.id} is also {seen[case.id].file}",
                source=case.file,
                line=case.line,
                field="id",
            )
        seen[case.id] = case
    return sorted(cases, key=lambda c: c.number)


def select_client_cases(cases: list[ClientCase], patterns: list[str] | None) -> list[ClientCase]:
    """Cases whose id (``C3``, ``C*``) or description matches a glob of ``patterns``."""
    if not patterns:
        return cases
    return [
        c
        for c in cases
        if any(fnmatch.fnmatchcase(c.id, p) or fnmatch.fnmatch(c.description, p) for p in patterns)
    ]

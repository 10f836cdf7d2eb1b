"""Checks of proxied traffic: what the proxy (``mockrt.serve.proxy``) reports as it forwards.

Client frames are checked against the live rules the mock enforces (the core's
``parse_client_text``: the same parse, validation and error wording, not a second
implementation) and against schemas/; server frames against schemas/, where an unknown field or
event type is drift (the upstream says something the contract does not know). When the
connection ends, the lifecycle invariants run over the whole capture (``finish``). Findings are
one line each. Pure: no sockets, no clocks. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mockrt.contract.schema import Persona
from mockrt.contract.validator import validator_for
from mockrt.core.journal import Journal
from mockrt.core.options import Options
from mockrt.core.persona import BETA, GA
from mockrt.core.summary import summarize
from mockrt.core.validation import Rejected, parse_client_text

__all__ = ["Finding", "FrameChecker"]


@dataclass(frozen=True)
class Finding:
    """One thing the checks found: ``kind`` is ``client-rule``, ``client-schema``, ``drift``
    (a server frame the contract does not describe) or ``invariant``."""

    kind: str
    direction: str
    index: int | None
    what: str
    message: str

    def __str__(self) -> str:
        where = "" if self.index is None else f" #{self.index}"
        return f"{self.kind}: {self.direction} frame{where} {self.what}: {self.message}"


@dataclass
class FrameChecker:
    """The checks of one connection. ``transcription``: the URL asked for a transcription
    session; ``persona``: ``beta`` when the client asked for the beta shapes."""

    transcription: bool = True
    persona: Persona = "ga"
    directory: Path | None = None
    options: Options = field(default_factory=Options)
    findings: list[Finding] = field(default_factory=list)

    def client(self, index: int, text: str | None, event: Any) -> list[Finding]:
        """Check client frame ``index``: its raw ``text`` (None for a binary frame) and the
        ``event`` as captured."""
        found: list[Finding] = []
        what = summarize(event)
        if text is not None:
            result = parse_client_text(
                text,
                transcription=self.transcription,
                options=self.options,
                persona=BETA if self.persona == "beta" else GA,
            )
            if isinstance(result, Rejected):
                detail = result.error
                found.append(
                    Finding(
                        "client-rule",
                        "client",
                        index,
                        what,
                        f"{detail.message} ({detail.code}) [{detail.rule.value}]",
                    )
                )
        if isinstance(event, dict):
            for v in validator_for(self.persona, "client", self.directory).validate(event):
                found.append(
                    Finding("client-schema", "client", index, what, _where(v.pointer, v.message))
                )
        self.findings += found
        return found

    def server(self, index: int, event: Any) -> list[Finding]:
        """Check server frame ``index`` against schemas/; anything it does not know is drift."""
        kind = event.get("type") if isinstance(event, dict) else None
        what = kind if isinstance(kind, str) else "frame"
        if not isinstance(event, dict):
            found = [Finding("drift", "server", index, what, f"not a JSON object: {event!r:.60}")]
        else:
            validator = validator_for(self.persona, "server", self.directory)
            found = [
                Finding("drift", "server", index, what, _where(v.pointer, v.message))
                for v in validator.validate(event)
            ]
        self.findings += found
        return found

    def finish(self, journal: Journal) -> list[Finding]:
        """The lifecycle invariants over the whole connection (schemas were checked per
        frame): a committed item gets exactly one result, deltas spell the transcript, ..."""
        from conformance.invariants import validate_records

        entries = [e for e in journal if e.direction in ("client", "server")]
        records = [entry.to_json() for entry in entries]
        found = [
            Finding(
                "invariant",
                v.direction,
                entries[v.index].index if 0 <= v.index < len(entries) else None,
                v.type,
                _where(v.pointer, v.message),
            )
            for v in validate_records(records, self.persona, self.directory, invariants=True)
            if v.rule.startswith("lifecycle:")
        ]
        self.findings += found
        return found


def _where(pointer: str, message: str) -> str:
    return f"{pointer or '/'}: {message}"

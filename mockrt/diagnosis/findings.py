"""The parts of a diagnosis report, as frozen data with their JSON form.

Owns ``SessionReport`` (one session: its client events, the client recognised, its problems and
notes), ``Problem``, ``EventLine``, ``Note``, ``Connection``, ``Refused`` and ``RunInfo``. The whole
report is ``mockrt.diagnosis.report.Report``. No analysis here (``mockrt.diagnosis.analysis``).
Pure; must never import aiohttp, websockets or asyncio, nor ``report`` or ``render`` (which
import this module).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from mockrt.diagnosis.catalogue import Explanation
from mockrt.diagnosis.fingerprints import Fingerprint

__all__ = [
    "Connection",
    "EventLine",
    "Note",
    "Problem",
    "Refused",
    "RunInfo",
    "SessionReport",
]

JSON = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    """One rule broken by one or more client events, explained."""

    rule: str
    error: JSON  # {"type", "code", "message", "param"} as the live API sends it
    events: tuple[int, ...]  # client event indexes (0-based) that earned it
    what: str
    explanation: Explanation
    tolerated: str | None = None  # set when the client expects this error and ignores it
    # "unconfirmed" or "invented" when the mock's text for the error is not the live one
    text_status: str | None = None

    def to_json(self, session: SessionReport | None = None) -> JSON:
        return {
            "rule": self.rule,
            "title": self.explanation.title,
            "error": self.error,
            "client_events": [
                {"index": i, "number": i + 1, "type": session.event_type(i) if session else None}
                for i in self.events
            ],
            "what_happened": self.what,
            "why": self.explanation.why,
            "fix": self.explanation.fix,
            "see": list(self.explanation.see),
            "tolerated": self.tolerated,
            "text_status": self.text_status,
        }


@dataclass(frozen=True)
class EventLine:
    """A client event, or a run of consecutive appends, as the report lists it."""

    first: int
    last: int
    time: float
    type: str | None
    summary: str
    problems: tuple[int, ...] = ()  # 1-based problem numbers within the session

    def to_json(self) -> JSON:
        return {
            "index": self.first,
            "last_index": self.last,
            "count": self.last - self.first + 1,
            "time": round(self.time, 6),
            "type": self.type,
            "summary": self.summary,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Note:
    """Advice that does not make the client non-conformant."""

    title: str
    detail: str

    def to_json(self) -> JSON:
        return {"title": self.title, "detail": self.detail}


@dataclass(frozen=True)
class SessionReport:
    id: str
    kind: str  # "transcription", "realtime" or "unknown" (no session.created seen)
    events: tuple[EventLine, ...]
    client_types: tuple[str | None, ...]  # type of every client event, by index
    server_counts: tuple[tuple[str, int], ...]
    transcripts: tuple[str, ...]
    client: Fingerprint | None
    candidates: tuple[Fingerprint, ...]
    problems: tuple[Problem, ...]
    notes: tuple[Note, ...]

    @property
    def conformant(self) -> bool:
        return all(p.tolerated for p in self.problems)

    def event_type(self, index: int) -> str | None:
        return self.client_types[index] if 0 <= index < len(self.client_types) else None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "kind": self.kind,
            "conformant": self.conformant,
            "client": None if self.client is None else self.client.to_json(),
            "candidates": [c.to_json() for c in self.candidates],
            "client_events": [e.to_json() for e in self.events],
            "server_events": dict(self.server_counts),
            "transcripts": list(self.transcripts),
            "problems": [p.to_json(self) for p in self.problems],
            "notes": [n.to_json() for n in self.notes],
        }


@dataclass(frozen=True)
class Connection:
    """One HTTP request the mock answered. Not in journals: ``mockrt diagnose`` records them, so
    connections refused before a session began (401, beta header, ``?model=`` with intent)
    are diagnosed too."""

    time: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    user_agent: str | None = None
    beta_header: bool = False
    error: JSON | None = None  # the error object sent (HTTP body, or frame before close)
    rule: str | None = None

    def to_json(self) -> JSON:
        return {
            "time": round(self.time, 6),
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
            "user_agent": self.user_agent,
            "beta_header": self.beta_header,
            "error": self.error,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Refused:
    connection: Connection
    problem: Problem


@dataclass(frozen=True)
class RunInfo:
    """How the program under diagnosis ran (filled in by ``mockrt diagnose -- COMMAND``)."""

    command: tuple[str, ...]
    returncode: int | None
    timed_out: bool
    timeout: float
    duration: float
    failed_to_start: str | None = None

    @property
    def failed(self) -> bool:
        return self.timed_out or self.failed_to_start is not None or self.returncode != 0

    def describe(self) -> str:
        cmd = shlex.join(self.command)
        if self.failed_to_start:
            return f"`{cmd}` could not be started: {self.failed_to_start}"
        if self.timed_out:
            return (
                f"`{cmd}` was still running after {self.timeout:g} s and was stopped "
                "(--timeout); the report covers the traffic up to then"
            )
        if self.returncode == 0:
            return f"`{cmd}` exited with status 0 after {self.duration:.1f} s"
        return (
            f"`{cmd}` exited with status {self.returncode} after {self.duration:.1f} s "
            "(its own output is above)"
        )

    def to_json(self) -> JSON:
        return {
            "command": list(self.command),
            "returncode": self.returncode,
            "timed_out": self.timed_out,
            "timeout": self.timeout,
            "duration": round(self.duration, 3),
            "failed_to_start": self.failed_to_start,
            "failed": self.failed,
        }

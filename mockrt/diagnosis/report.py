"""The diagnosis report model: what ``diagnose`` returns, as frozen data with its JSON form.

Owns ``Report`` (sessions, refused connections, notes, the program run), ``SessionReport``,
``Problem``, ``EventLine``, ``Note``, ``Connection``, ``Refused`` and ``RunInfo``.
``Report.to_json()`` is for machines; ``Report.to_text()`` hands the report to
``mockrt.diagnosis.render`` for a person. No analysis here (``mockrt.diagnosis.analysis``). Pure;
must never import aiohttp, websockets or asyncio.
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
    "Report",
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


@dataclass(frozen=True)
class Report:
    sessions: tuple[SessionReport, ...]
    refused: tuple[Refused, ...] = ()
    notes: tuple[Note, ...] = ()
    run: RunInfo | None = None
    connections: tuple[Connection, ...] = ()  # every request, when mockrt diagnose ran it

    @property
    def conformant(self) -> bool:
        """True when the client reached the mock and broke no rule (tolerated errors aside)."""
        if not self.sessions and not self.refused:
            return False
        return not self.refused and all(s.conformant for s in self.sessions)

    @property
    def exit_code(self) -> int:
        """0 when conformant and the program (if any) succeeded, else 1."""
        return 0 if self.conformant and (self.run is None or not self.run.failed) else 1

    def problem_count(self) -> int:
        return len(self.refused) + sum(
            1 for s in self.sessions for p in s.problems if not p.tolerated
        )

    def to_json(self) -> JSON:
        return {
            "conformant": self.conformant,
            "exit_code": self.exit_code,
            "problems": self.problem_count(),
            "sessions": [s.to_json() for s in self.sessions],
            "refused_connections": [
                {"connection": r.connection.to_json(), "problem": r.problem.to_json()}
                for r in self.refused
            ],
            "notes": [n.to_json() for n in self.notes],
            "run": None if self.run is None else self.run.to_json(),
            "connections": [c.to_json() for c in self.connections],
        }

    def to_text(self) -> str:
        """The report for a person: per session, the client events, then each problem."""
        from mockrt.diagnosis.render import render

        return render(self)

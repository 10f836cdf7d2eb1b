"""The diagnosis report: what ``diagnose`` returns, for machines (``to_json``) and for a person
(``to_text``, rendered by ``mockrt.diagnosis.render``).

Owns ``Report``: the sessions, the connections refused before a session began, notes, and how
the program under diagnosis ran; its verdict (``conformant``) and exit code. Its parts live in
``mockrt.diagnosis.findings``. Pure; must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockrt.diagnosis.findings import Connection, Note, Refused, RunInfo, SessionReport
from mockrt.diagnosis.render import render

__all__ = ["Report"]

JSON = dict[str, Any]


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
        return render(self)

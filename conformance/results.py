"""The result of one case against one target: verdict (Autobahn|Testsuite's OK, NON-STRICT,
FAILED, UNIMPLEMENTED, plus SKIPPED with its reason), the one-line rerun command, the wire log,
the first mismatch, the alternative that matched, and whether the target agreed with what the
case (and so the mock) expects. Client drivers report the same shape. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from conformance.casefile import Case

__all__ = ["CaseResult", "Verdict"]

Verdict = Literal["OK", "NON-STRICT", "FAILED", "UNIMPLEMENTED", "SKIPPED"]


@dataclass
class CaseResult:
    case: Case
    target: str
    verdict: Verdict
    reason: str = ""
    rerun: str = ""
    wire: list[dict[str, Any]] = field(default_factory=list)
    mismatch: str = ""
    alternative: str | None = None
    audio_seconds: float = 0.0
    connections: int = 0
    upgraded: bool = False  # some connection of the case was accepted (HTTP 101)
    refused: bool = False  # the case expected an upgrade and was refused
    known: str = ""  # the xfail map's reason when this failure is a known one

    @property
    def failed(self) -> bool:
        """A failure that fails the run (known failures do not)."""
        return self.verdict in ("FAILED", "UNIMPLEMENTED") and not self.known

    @property
    def agreed(self) -> str:
        """``yes`` when the target did what the case (and so the mock) expects, ``alternative
        NAME`` when it did an allowed alternative, ``no`` on a failure, ``-`` when skipped."""
        if self.verdict == "SKIPPED":
            return "-"
        if self.verdict in ("OK", "NON-STRICT"):
            return "yes" if self.alternative is None else f"alternative {self.alternative}"
        return "no"

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case.id,
            "description": self.case.description,
            "section": self.case.section,
            "target": self.target,
            "verdict": self.verdict,
            "reason": self.reason,
            "agreed": self.agreed,
            "alternative": self.alternative,
            "certainty": self.case.certainty,
            "rerun": self.rerun,
            "mismatch": self.mismatch,
            "known_failure": self.known or None,
            "audio_seconds": round(self.audio_seconds, 3),
            "wire": self.wire,
        }

"""The text form of a diagnosis report: readable by someone who never read the protocol.

Per session: the client recognised and why, the client events in order (type, key fields, time),
what the server sent, then each problem as "what happened / why / how to fix", then notes. Prose
is wrapped to 96 columns; indented blocks (code, tables) are kept as they are. Pure; must never
import aiohttp, websockets or asyncio, nor ``mockrt.diagnosis.report`` (which imports this).
"""

from __future__ import annotations

import json
import textwrap
from typing import Any, Protocol

from mockrt.core.error_texts import status_note
from mockrt.core.errors import Rule
from mockrt.diagnosis.findings import Connection, Note, Problem, Refused, RunInfo, SessionReport

__all__ = ["ReportLike", "render"]

JSON = dict[str, Any]

_WIDTH = 96


def _wrap(text: str, indent: str) -> str:
    """Wrap prose paragraphs; keep indented blocks (code, tables) as they are."""
    out: list[str] = []
    for block in text.split("\n\n"):
        if any(line.startswith(" ") for line in block.splitlines()) or "\n" in block:
            out.append(textwrap.indent(block, indent))
        else:
            out.append(
                textwrap.fill(
                    block,
                    _WIDTH,
                    initial_indent=indent,
                    subsequent_indent=indent,
                    break_on_hyphens=False,
                )
            )
    return "\n\n".join(out)


def _fill(text: str, indent: str, first: str | None = None) -> str:
    return textwrap.fill(
        text,
        _WIDTH,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_on_hyphens=False,
    )


def _fill_items(prefix: str, items: list[str], indent: str) -> list[str]:
    """``prefix`` + items joined by commas, wrapped between items only."""
    lines = [prefix]
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if len(lines[-1]) + 1 + len(piece) > _WIDTH and lines[-1].strip():
            lines.append(indent + piece)
        else:
            lines[-1] += ("" if lines[-1] in (prefix, indent) else " ") + piece
    return lines


class ReportLike(Protocol):
    """What ``render`` reads of a ``mockrt.diagnosis.report.Report``: typed by shape, because
    report.py imports this module (``Report.to_text``) and must not be imported back."""

    @property
    def sessions(self) -> tuple[SessionReport, ...]: ...
    @property
    def refused(self) -> tuple[Refused, ...]: ...
    @property
    def notes(self) -> tuple[Note, ...]: ...
    @property
    def run(self) -> RunInfo | None: ...
    @property
    def connections(self) -> tuple[Connection, ...]: ...
    @property
    def conformant(self) -> bool: ...
    def problem_count(self) -> int: ...


def render(report: ReportLike) -> str:
    """``report`` as text (``Report.to_text()``)."""
    out: list[str] = []
    n = report.problem_count()
    verdict = "CONFORMANT" if report.conformant else "NOT CONFORMANT"
    if not report.sessions and not report.refused:
        verdict += " (no traffic)"
    count = f"{n} problem{'s' if n != 1 else ''}" if n else "no problems"
    sessions = len(report.sessions)
    out.append(
        f"mockrt diagnose: {verdict} - {sessions} session{'s' if sessions != 1 else ''}, {count}"
    )
    if report.run is not None:
        out.append(_fill(f"Program: {report.run.describe()}", "  ", first=""))
    if report.connections:
        out.append("Requests it made:")
        for conn in report.connections:
            query = "&".join(f"{k}={v}" for k, v in conn.query)
            kind = " (WebSocket)" if conn.status == 101 else ""
            why = " (refused)" if conn.rule else ""
            out.append(
                f"  +{conn.time:.3f}s  {conn.method} {conn.path}{'?' + query if query else ''}"
                f" -> {conn.status}{kind}{why}"
            )
    for session in report.sessions:
        out.append("")
        out.extend(_render_session(session))
    if report.refused:
        out.append("")
        out.append("Connections refused before a session began")
        for i, item in enumerate(report.refused, 1):
            out.extend(_render_problem(i, item.problem))
    if report.notes:
        out.append("")
        out.append("Notes")
        for note in report.notes:
            out.append(f"  - {note.title}")
            out.append(_wrap(note.detail, "    "))
    if report.run is not None and report.run.failed and report.conformant:
        out.append("")
        out.append(
            "The traffic was conformant, but the program itself did not finish cleanly "
            "(see above): exit code 1."
        )
    return "\n".join(out) + "\n"


def _render_session(s: SessionReport) -> list[str]:
    kind = {
        "transcription": "a transcription session",
        "realtime": "a conversation (realtime) session",
    }.get(s.kind, "no session.created seen")
    bad = sum(1 for p in s.problems if not p.tolerated)
    status = "conformant" if s.conformant else f"{bad} problem{'s' if bad != 1 else ''}"
    out = [f"=== Session {s.id} ({kind}): {status}"]
    if s.client is not None:
        out.append(f"Client: {s.client.name} (confidence {s.client.confidence})")
        out.extend(f"  - {ev}" for ev in s.client.evidence)
    else:
        out.append("Client: not recognised")
    out.append("")
    out.append("Client events, in order (time since the session opened):")
    if not s.events:
        out.append("  (none: the client sent nothing)")
    for line in s.events:
        number = f"#{line.first + 1}"
        if line.last != line.first:
            number += f"-{line.last + 1}"
        marks = f"  <-- problem {', '.join(map(str, line.problems))}" if line.problems else ""
        out.append(f"  {number:>7}  +{line.time:.3f}s  {line.type or '(no type)'}{marks}")
        if line.summary:
            out.append(_fill(line.summary, " " * 13))
    server = [f"{t} x{c}" if c > 1 else t for t, c in s.server_counts]
    out.append("")
    out.extend(_fill_items("Server sent: ", server or ["nothing"], "  "))
    if s.transcripts:
        quoted = "; ".join(json.dumps(t, ensure_ascii=False) for t in s.transcripts)
        out.append(_fill(f"Transcripts: {quoted}", "  ", first=""))
    for i, problem in enumerate(s.problems, 1):
        out.append("")
        out.extend(_render_problem(i, problem))
    for note in s.notes:
        out.append("")
        out.append(f"Note: {note.title}")
        out.append(_wrap(note.detail, "  "))
    return out


def _error_line(error: JSON, live: bool) -> str:
    status, close = error.get("status"), error.get("close")
    label = " / ".join(str(x) for x in (error.get("type"), error.get("code")) if x)
    if status:
        label = f"HTTP {status}" + (f", {label}" if label else "")
    message = error.get("message")
    line = f"{label}: {json.dumps(message)}" if message else label
    if close:
        line += f", then close {close}"
    return ("The live API answers: " if live else "The server answered: ") + line


def _render_problem(number: int, p: Problem) -> list[str]:
    e = p.explanation
    tag = " (tolerated)" if p.tolerated else ""
    out = [f"--- Problem {number}{tag}: {e.title}", f"  rule: {p.rule}"]
    live = p.rule in {r.value for r in Rule}
    if p.error:
        out.append(_fill(_error_line(p.error, live), "    ", first="  "))
        note = status_note(p.text_status)
        if note:
            out.append(_wrap(f"Note: {note}; see docs/error-texts.md.", "    "))
    else:
        out.append("  The live API sends no error for this; the transcripts come out wrong.")
    if p.tolerated:
        out.append(_wrap("Not counted: " + p.tolerated, "  "))
        return out
    out.append("  What happened:")
    out.append(_wrap(p.what, "    "))
    out.append("  Why:")
    out.append(_wrap(e.why, "    "))
    out.append("  How to fix:")
    out.append(_wrap(e.fix, "    "))
    if e.see:
        out.append("  See: " + ", ".join(e.see))
    return out

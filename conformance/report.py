"""Reports of a run: the text summary (per section passed/failed/skipped, every failure with its
one-line rerun command, the first mismatch and the wire log both ways), JUnit XML, JSON, and
the check that the passes mean something (not every connection refused at the handshake).

JUnit is written with ``xml.etree.ElementTree``, as pytest's own ``--junitxml`` does: the format
is a few elements, and the ``junit-xml`` package has had no release since 2020.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

from conformance.casefile import id_key
from conformance.results import CaseResult

__all__ = [
    "format_failure",
    "format_wire",
    "meaningless",
    "summary_lines",
    "to_json",
    "write_json",
    "write_junit",
]

_PASSING = ("OK", "NON-STRICT")


def _short(value: Any, limit: int = 400) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_wire(wire: list[dict[str, Any]]) -> list[str]:
    """The wire log both ways: ``>>`` client to server, ``<<`` server to client."""
    lines: list[str] = []
    for record in wire:
        arrow = ">>" if record["direction"] == "client" else "<<"
        if "event" in record:
            body = _short(record["event"])
            if "bytes" in record:
                body += f" ({record['bytes']} bytes of audio)"
        elif "handshake" in record:
            shake = record["handshake"]
            body = f"HTTP {shake['status']}" + (
                f" {_short(shake['body'])}" if shake.get("body") is not None else ""
            )
        elif "http" in record:
            body = "HTTP " + _short(record["http"])
        elif "close" in record:
            body = f"close {record['close']} {record.get('reason', '')!r}"
        else:
            body = _short(record)
        lines.append(f"  {arrow} {body}")
    return _squash_audio(lines)


def _squash_audio(lines: list[str]) -> list[str]:
    """Runs of audio appends as one line, so a wire log stays readable."""
    out: list[str] = []
    run = 0
    for line in [*lines, ""]:
        if "input_audio_buffer.append" in line and line.lstrip().startswith(">>"):
            run += 1
            continue
        if run:
            out.append(f"  >> input_audio_buffer.append x{run}")
            run = 0
        if line:
            out.append(line)
    return out


def format_failure(result: CaseResult) -> list[str]:
    """A failure in a few lines: title, rerun command, first mismatch, wire log."""
    return [
        f"{'KNOWN FAILURE' if result.known else 'FAILED'} {result.case.title}",
        *([f"  known: {result.known}"] if result.known else []),
        f"  rerun: {result.rerun}",
        f"  first mismatch: {result.mismatch}",
        "  wire log:",
        *("  " + line for line in format_wire(result.wire)),
    ]


def meaningless(results: list[CaseResult]) -> str | None:
    """Why the passes of a run say nothing (None when they do): every connection refused at the
    handshake (a wrong key, a server that is not the Realtime API)."""
    ran = [r for r in results if r.verdict != "SKIPPED"]
    if not ran:
        return "every case was skipped: nothing was checked"
    if any(r.upgraded for r in ran) or not any(r.refused for r in ran):
        return None  # some socket opened, or only refusals were expected (e.g. case 1.2)
    statuses = Counter(
        rec["handshake"]["status"] for r in ran for rec in r.wire if "handshake" in rec
    )
    shown = ", ".join(
        f"{'no connection' if s == 0 else f'HTTP {s}'} x{n}" for s, n in statuses.most_common()
    )
    return (
        f"MEANINGLESS RUN: no connection was accepted ({shown}); the passes say nothing. "
        "Check the URL and the key."
    )


def summary_lines(results: list[CaseResult]) -> list[str]:
    """Per section: passed, failed, skipped; then the totals."""
    sections: dict[str, Counter[str]] = {}
    titles: dict[str, str] = {}
    for r in results:
        sections.setdefault(r.case.section, Counter())[r.verdict] += 1
        titles[r.case.section] = r.case.section_title
        if r.known:
            sections[r.case.section]["KNOWN"] += 1
    lines = []
    for section in sorted(sections, key=int):
        c = sections[section]
        known = f" ({c['KNOWN']} known)" if c["KNOWN"] else ""
        lines.append(
            f"  {section:>2} {titles[section]:<44} passed {c['OK'] + c['NON-STRICT']:>3}  "
            f"failed {c['FAILED'] + c['UNIMPLEMENTED']:>3}{known}  skipped {c['SKIPPED']:>3}"
        )
    total: Counter[str] = Counter(r.verdict for r in results)
    known_total = sum(1 for r in results if r.known)
    lines.append(
        f"  {len(results)} case(s): {total['OK'] + total['NON-STRICT']} passed, "
        f"{total['FAILED'] + total['UNIMPLEMENTED']} failed ({known_total} known), "
        f"{total['SKIPPED']} skipped"
    )
    return lines


def to_json(results: list[CaseResult], target: str) -> dict[str, Any]:
    verdicts = Counter(r.verdict for r in results)
    return {
        "target": target,
        "meaningless": meaningless(results),
        "summary": dict(sorted(verdicts.items())),
        "results": [r.to_json() for r in sorted(results, key=lambda r: id_key(r.case.id))],
    }


def write_json(path: Path, results: list[CaseResult], target: str) -> None:
    path.write_text(json.dumps(to_json(results, target), indent=2) + "\n", encoding="utf-8")


def write_junit(path: Path, results: list[CaseResult], target: str) -> None:
    """One ``<testsuite>`` per section, one ``<testcase>`` per case (classname
    ``conformance.<section>``, name ``<id> <description>``); a failure carries the first
    mismatch as its message and the rerun command and wire log as its text."""
    root = ET.Element("testsuites", name=f"mockrt conformance against {target}")
    by_section: dict[str, list[CaseResult]] = {}
    for r in results:
        by_section.setdefault(r.case.section, []).append(r)
    for section in sorted(by_section, key=int):
        group = by_section[section]
        suite = ET.SubElement(
            root,
            "testsuite",
            name=f"{section} {group[0].case.section_title}",
            tests=str(len(group)),
            failures=str(sum(r.verdict in ("FAILED", "UNIMPLEMENTED") for r in group)),
            skipped=str(sum(r.verdict == "SKIPPED" for r in group)),
            errors="0",
        )
        for r in group:
            case = ET.SubElement(
                suite, "testcase", classname=f"conformance.{section}", name=r.case.title
            )
            if r.verdict in ("FAILED", "UNIMPLEMENTED"):
                failure = ET.SubElement(case, "failure", message=r.mismatch or r.reason)
                failure.text = "\n".join(format_failure(r))
            elif r.verdict == "SKIPPED":
                ET.SubElement(case, "skipped", message=r.reason)
            elif r.alternative is not None:
                ET.SubElement(case, "system-out").text = r.reason
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)

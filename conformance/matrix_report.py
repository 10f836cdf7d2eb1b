"""The client matrix report: ``report.json`` (``{"results": [{"client", "case", "target",
"verdict", "reason", ...}], ...}``), JUnit XML through the suite's writer
(``conformance.report.write_junit``: one test suite per client, one test case per client case),
a static ``index.html`` (a client x case table with a legend, each cell linking to its wire log)
and one wire log per cell under ``wire/`` (HTML, and the same as text). Text and HTML only; no
scripts, no network. Must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.casefile import Case
from conformance.report import format_wire, write_junit
from conformance.results import CaseResult

if TYPE_CHECKING:  # the matrix runner does the I/O
    from conformance.matrix import Cell

__all__ = ["LEGEND", "summary_line", "wire_text", "write_report"]

LEGEND: dict[str, str] = {
    "OK": "works as the protocol says and survives what the live API does",
    "NON-STRICT": "works, but deviates (the reason says how)",
    "FAILED": "the application did not get what it should, or the client broke a rule",
    "UNIMPLEMENTED": "the driver cannot run here (its library does not import)",
    "SKIPPED": "the case cannot run against this target",
}
_STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #bbb;padding:.3em .5em;font-size:13px}
th{background:#eee;text-align:left}td.v a{color:#000;text-decoration:none;display:block}
.OK{background:#9be39b}.NON-STRICT{background:#f5e17a}.FAILED{background:#f29a9a}
.UNIMPLEMENTED{background:#c9c9c9}.SKIPPED{background:#eee}
pre{background:#f7f7f7;padding:1em;overflow-x:auto;font-size:12px}
"""


def summary_line(cells: list[Cell]) -> str:
    """``27 cell(s): 20 OK, 3 NON-STRICT, 4 FAILED, 0 UNIMPLEMENTED, 0 SKIPPED``."""
    c: Counter[str] = Counter(cell.verdict.verdict for cell in cells)
    return f"{len(cells)} cell(s): " + ", ".join(f"{c[v]} {v}" for v in LEGEND)


def wire_text(cell: Cell) -> str:
    """The cell as text: verdict, what the application saw, the violations and the wire log."""
    run = cell.run
    lines = [
        f"{cell.client} on {cell.case.title} against {cell.target} (persona {cell.persona})",
        f"verdict: {cell.verdict.verdict}: {cell.verdict.reason}",
        f"transcripts: {json.dumps(run.transcripts)}",
        f"interim: {len(run.interim)} update(s)",
        *(f"error: {e.code}: {e.message} (at {e.at_s} s)" for e in run.errors),
        *(f"exception: {e.code}: {e.message} (at {e.at_s} s)" for e in run.exceptions),
        f"closed: {run.closed}",
        *(f"note: {note}" for note in run.notes),
        f"timings: {json.dumps(run.timings)}",
        *(f"violation: {v}" for v in cell.verdict.violations),
        "",
    ]
    if cell.records is None:
        lines.append("wire log: none (the mock's journal exists only on the mock)")
    elif not cell.records:
        lines.append("wire log: empty (no session was opened on the mock)")
    else:
        lines.append("wire log (>> client to server, << server to client):")
        lines += format_wire([r for r in cell.records if r.get("direction") != "connection"])
        for r in cell.records:
            if r.get("direction") == "connection":
                event = r.get("event", {})
                lines.append(f"  redirect: {event.get('url')} -> {event.get('action')}")
    return "\n".join(lines) + "\n"


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _index(cells: list[Cell], target: str) -> str:
    clients = list(dict.fromkeys(c.client for c in cells))
    cases = list(dict.fromkeys(c.case.id for c in cells))
    described = {c.case.id: c.case.description for c in cells}
    by_key = {(c.client, c.case.id): c for c in cells}
    head = "".join(
        f'<th title="{html.escape(described[case])}">{html.escape(case)}</th>' for case in cases
    )
    rows = []
    for client in clients:
        tds = []
        for case in cases:
            cell = by_key.get((client, case))
            if cell is None:
                tds.append("<td></td>")
                continue
            v = cell.verdict.verdict
            tds.append(
                f'<td class="v {v}" title="{html.escape(cell.verdict.reason)}">'
                f'<a href="wire/{cell.slug}.html">{v}</a></td>'
            )
        rows.append(f"<tr><th>{html.escape(client)}</th>{''.join(tds)}</tr>")
    legend = "".join(
        f'<tr><td class="{v}">{v}</td><td>{html.escape(text)}</td></tr>'
        for v, text in LEGEND.items()
    )
    case_list = "".join(
        f"<li><b>{html.escape(case)}</b> {html.escape(described[case])}</li>" for case in cases
    )
    reasons = "".join(
        f"<li><b>{html.escape(c.client)} {html.escape(c.case.id)}</b> {c.verdict.verdict}: "
        f"{html.escape(c.verdict.reason)}</li>"
        for c in cells
        if c.verdict.verdict != "OK"
    )
    body = (
        f"<h1>mockrt client conformance against {html.escape(target)}</h1>\n"
        f'<p id="summary">{html.escape(summary_line(cells))}</p>\n'
        f'<table id="matrix"><thead><tr><th>client \\ case</th>{head}</tr></thead>\n'
        f"<tbody>{''.join(rows)}</tbody></table>\n"
        f'<h2>Legend</h2><table id="legend">{legend}</table>\n'
        f"<h2>Cases</h2><ul>{case_list}</ul>\n"
        f'<h2>Why not OK</h2><ul id="reasons">{reasons}</ul>\n'
        "<p>Each cell links to its wire log: what the application saw, the client checks and "
        "every frame both ways.</p>"
    )
    return _page(f"mockrt client conformance against {target}", body)


def _junit_results(cells: list[Cell]) -> list[CaseResult]:
    """The cells as the suite's results: client n is section n, its cases the test cases."""
    numbers = {client: i + 1 for i, client in enumerate(dict.fromkeys(c.client for c in cells))}
    out = []
    for cell in cells:
        case = Case(
            id=cell.case.id,
            description=cell.case.description,
            section=str(numbers[cell.client]),
            section_title=f"client {cell.client}",
            sources=cell.case.sources,
            certainty=cell.case.certainty,
            steps=(),
        )
        records = [r for r in cell.records or [] if r.get("direction") != "connection"]
        verdict = cell.verdict.verdict
        out.append(
            CaseResult(
                case,
                cell.target,
                verdict,
                reason=cell.verdict.reason,
                rerun=f"mockrt conformance --client {cell.client} --client-cases {cell.case.id}"
                f" --target {cell.target}",
                wire=records,
                mismatch=cell.verdict.reason,
                alternative="non-strict" if verdict == "NON-STRICT" else None,
            )
        )
    return out


def write_report(directory: Path, cells: list[Cell], target: str) -> dict[str, Path]:
    """Write report.json, junit.xml, index.html and wire/<client>--<case>.{html,txt}."""
    wire = directory / "wire"
    wire.mkdir(parents=True, exist_ok=True)
    for cell in cells:
        text = wire_text(cell)
        (wire / f"{cell.slug}.txt").write_text(text, encoding="utf-8")
        body = (
            f'<p><a href="../index.html">back to the matrix</a> · '
            f'<a href="{cell.slug}.txt">as text</a></p>\n'
            f'<h1 class="{cell.verdict.verdict}">{html.escape(cell.client)} · '
            f"{html.escape(cell.case.title)}: {cell.verdict.verdict}</h1>\n"
            f'<pre id="wire">{html.escape(text)}</pre>'
        )
        (wire / f"{cell.slug}.html").write_text(
            _page(f"{cell.client} {cell.case.id}", body), encoding="utf-8"
        )
    report: dict[str, Any] = {
        "target": target,
        "summary": dict(Counter(c.verdict.verdict for c in cells)),
        "legend": LEGEND,
        "cases": {
            c.case.id: {"description": c.case.description, "certainty": c.case.certainty}
            for c in cells
        },
        "results": [c.to_json() for c in cells],
    }
    paths = {
        "json": directory / "report.json",
        "junit": directory / "junit.xml",
        "html": directory / "index.html",
    }
    paths["json"].write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    write_junit(paths["junit"], _junit_results(cells), target)
    paths["html"].write_text(_index(cells, target), encoding="utf-8")
    return paths

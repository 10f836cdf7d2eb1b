"""The benchmark's summary: rows of figures per server, ratios, targets; a text table.

Each row names its reference (``a`` or ``b``) and, where issue 15 sets one, its target: a ratio
bound (``>=`` for rates, ``<=`` for costs). A missed target is printed as missed, never hidden.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["COLUMNS", "build_rows", "format_table", "row"]

COLUMNS = ("a", "b", "before", "mockrt", "mockrt+journal")


def row(
    metric: str,
    values: dict[str, float | None],
    reference: str | None = None,
    target: tuple[str, float] | None = None,
    unit: str = "",
) -> dict[str, Any]:
    base = values.get(reference) if reference else None
    ratio = _ratio(values.get("mockrt"), base)
    met = None
    if target is not None and ratio is not None:
        op, bound = target
        met = ratio >= bound if op == ">=" else ratio <= bound
    return {
        "metric": metric,
        "unit": unit,
        "values": values,
        "reference": reference,
        "ratio": ratio,
        "before_ratio": _ratio(values.get("before"), base),
        "target": None if target is None else f"{target[0]} {target[1]}",
        "met": met,
    }


def _ratio(x: float | None, base: float | None) -> float | None:
    if x is None or not base or math.isnan(base) or math.isnan(x):
        return None
    return x / base


def _pick(d: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        if not isinstance(d, dict) or key not in d:
            return None
        d = d[key]
    return float(d) if isinstance(d, int | float) else None


def build_rows(s: dict[str, Any]) -> list[dict[str, Any]]:
    """The summary rows from the scenarios' results (missing scenarios are skipped)."""
    rows: list[dict[str, Any]] = []
    ingest = s.get("ingest", {})
    for clients, res in ingest.get("runs", {}).items():
        vals = {k: _pick(res, k, "frames_per_s") for k in res}
        rows.append(row(f"ingest, {clients} client(s), frames/s", vals, "b", (">=", 0.8)))
        cpu = {k: _pick(res, k, "cpu_us_per_frame") for k in res}
        rows.append(row(f"ingest, {clients} client(s), server CPU µs/frame", cpu, "b"))
    cap = s.get("capacity", {})
    if cap.get("kinds"):
        vals = {k: _pick(v, "streams") for k, v in cap["kinds"].items()}
        budget = cap.get("budget_ms")
        rows.append(row(f"real-time streams with p99 lag < {budget} ms", vals, "b", (">=", 0.85)))
    rt = s.get("roundtrip", {})
    if rt.get("idle"):
        for q in ("p50_ms", "p99_ms"):
            vals = {k: _pick(v, q) for k, v in rt["idle"].items()}
            target = ("<=", 1.5) if q == "p99_ms" else None
            rows.append(row(f"session.update round trip, idle, {q[:3]} ms", vals, "a", target))
    if rt.get("load"):
        n = rt.get("streams")
        for q in ("p50_ms", "p99_ms"):
            vals = {k: _pick(v, q) for k, v in rt["load"].items()}
            target = ("<=", 1.5) if q == "p99_ms" else None
            metric = f"session.update round trip, {n} paced streams, {q[:3]} ms"
            rows.append(row(metric, vals, "a", target))
        vals = {k: _pick(v, "cpu_us_per_frame") for k, v in rt["load"].items()}
        rows.append(row(f"server CPU µs/frame, {n} paced streams", vals, "b"))
    st = s.get("startup", {})
    if st.get("inproc"):
        vals = {k: _pick(v, "ms") for k, v in st["inproc"].items()}
        rows.append(row("in-process start → first session.created, ms", vals, "a", ("<=", 3.0)))
    if st.get("cli"):
        vals = {k: _pick(v, "ms") for k, v in st["cli"].items()}
        rows.append(row("command start → ready line, ms", vals, "a", ("<=", 1.5)))
        vals = {k: _pick(v, "first_session_ms") for k, v in st["cli"].items()}
        rows.append(row("command start → first session.created, ms", vals, "a"))
    mem = s.get("memory", {})
    if mem.get("kinds"):
        n = mem.get("sessions")
        vals = {k: _pick(v, "per_session_kb") for k, v in mem["kinds"].items()}
        rows.append(row(f"RSS per idle session, KiB ({n} sessions)", vals, "a", ("<=", 3.0)))
        vals = {k: _pick(v, "retained_per_session_kb") for k, v in mem["kinds"].items()}
        rows.append(row("RSS kept per session after all closed, KiB", vals, "a"))
    return rows


def _fmt(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "–"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 100:
        return f"{x:.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.2f}"


def format_table(rows: list[dict[str, Any]], markdown: bool = False) -> str:
    """The rows as a table: one column per server, the ratio of mockrt to the row's reference."""
    present = [c for c in COLUMNS if any(r["values"].get(c) is not None for r in rows)]
    before = "before" in present
    header = ["metric", *present, *(["before ÷ ref"] if before else []), "mockrt ÷ ref"]
    header += ["target", "met"]
    lines: list[list[str]] = []
    for r in rows:
        ratios = [r["before_ratio"]] if before else []
        ref = r["reference"]
        shown = ["–" if x is None else f"{x:.2f} ÷({ref})" for x in [*ratios, r["ratio"]]]
        met = {None: "", True: "yes", False: "MISSED"}[r["met"]]
        cells = [_fmt(r["values"].get(c)) for c in present]
        lines.append([r["metric"], *cells, *shown, r["target"] or "", met])
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(cells) + " |" for cells in lines]
        return "\n".join(out)
    widths = [max([len(h)] + [len(c[i]) for c in lines]) for i, h in enumerate(header)]
    fmt = "  ".join(f"{{:{'<' if i == 0 else '>'}{w}}}" for i, w in enumerate(widths))
    return "\n".join([fmt.format(*header), *(fmt.format(*cells) for cells in lines)])

"""The benchmark runs end to end: ``python -m bench --smoke``, tiny counts, structure only.

Untimed: speed is judged from ``python -m bench``'s output, never asserted here. What this checks
is that every scenario ran against every server, produced its figures, and that the summary
names a reference and a ratio for mockrt.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_smoke_run_reports_every_scenario_against_the_references(
    tmp_path: Path,
) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "mockrt ÷ ref" in result.stdout  # the table was printed
    data = json.loads(out.read_text())
    scenarios = data["scenarios"]
    assert set(scenarios) == {"ingest", "capacity", "roundtrip", "startup", "memory", "scaleout"}

    for clients in ("1", "2"):
        for kind in ("a", "b", "mockrt"):
            run = scenarios["ingest"]["runs"][clients][kind]
            assert run["frames"] > 0 and run["frames_per_s"] > 0
    for kind in ("b", "mockrt"):
        search = scenarios["capacity"]["kinds"][kind]
        assert search["searches"][0]["trials"], "a capacity search ran no trial"
        assert all(t["frames"] > 0 for t in search["searches"][0]["trials"])
    for kind in ("a", "b", "mockrt"):
        assert scenarios["roundtrip"]["idle"][kind]["probes"] == 5
        assert scenarios["roundtrip"]["load"][kind]["probes"] > 0
        assert scenarios["memory"]["kinds"][kind]["sessions"] == 10
    for where in ("inproc", "cli"):
        assert set(scenarios["startup"][where]) == {"a", "mockrt"}
        assert all(v["ms"] > 0 for v in scenarios["startup"][where].values())
    assert all(v["first_session_ms"] >= v["ms"] for v in scenarios["startup"]["cli"].values())

    rows = {r["metric"]: r for r in data["rows"]}
    expected = (
        "ingest, 1 ",
        "ingest, 2 ",
        "real-time streams",
        "session.update round trip, idle",
        "session.update round trip, 4 paced",
        "in-process start",
        "command start",
        "RSS per idle session",
    )
    for start in expected:
        assert any(m.startswith(start) for m in rows), f"no row {start!r}…"
    assert sum(r["target"] is not None for r in rows.values()) == 8  # issue 15's targets
    for row in rows.values():
        assert row["reference"] in ("a", "b")
        if row["values"].get("mockrt") is not None and row["values"].get(row["reference"]):
            assert row["ratio"] is not None and math.isfinite(row["ratio"])
    assert data["machine"]["cores"] >= 1
    scale = scenarios["scaleout"]
    for workers in ("1", "2"):
        assert scale["workers"][workers]["runs"][0]["frames"] > 0
    assert scale["ratio"] > 0 and "unpinned" in scale["note"]
    assert "scale-out, ingest" in result.stdout and "2 workers ÷ 1" in result.stdout


def test_update_cost_takes_every_part_of_the_update_path_apart() -> None:
    """``python -m bench.update_cost``: every part of a session.update's path ran and has its
    figure (structure only, as above: no figure is compared)."""
    result = subprocess.run(
        [sys.executable, "-m", "bench.update_cost", "--calls", "200", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert data["unit"] == "µs"
    parts = data["parts"]
    assert list(parts) == ["frame", "parse", "validate", "strict", "merge", "reply", "journal"]
    assert all(v > 0 and math.isfinite(v) for v in parts.values())

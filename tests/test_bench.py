"""The benchmark runs end to end (tiny and untimed: numbers come from bench/, not from tests)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "bench_append.py"


def test_benchmark_runs_and_reports_ratios_against_bare_aiohttp() -> None:
    spec = importlib.util.spec_from_file_location("bench_append", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    summary = module.main(["--frames", "200", "--connections", "2", "--repeat", "1"])
    assert summary["bare_frames_per_s"] > 0
    assert summary["mockrt_frames_per_s_ratio"] > 0
    assert "mockrt+vad_cpu_us_per_frame_ratio" in summary  # None when too short to measure

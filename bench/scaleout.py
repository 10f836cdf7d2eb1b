"""Scale-out: ingest with many clients against ``mockrt serve --workers 1`` and ``--workers 2``.

The same blast as scenario 1 (``ingest.blast``: every client configures server VAD, blasts its
share of the audio, then waits for its ``cleared``), with more clients than cores, handed to the
workers in turn by ``mockrt serve``'s parent process. Nothing is pinned, the load generator
included: two workers need both cores, so the load generator shares them (on a 2-core machine
the ratio is bounded by that, not only by mockrt). Server CPU counts the parent and every
worker. The figure is the ratio of frames/s, 2 workers ÷ 1 worker, from interleaved runs of the
same size.
"""

from __future__ import annotations

import statistics
from typing import Any

from bench import ingest, procs
from bench.signals import Frames

__all__ = ["KINDS", "NOTE", "scale_out", "summary"]

KINDS = {1: "mockrt-w1", 2: "mockrt-w2"}
NOTE = "unpinned, the load generator too: two workers need both cores, and it shares them"


def scale_out(
    reps: int, clients: int, frames_per_run: int, frames: Frames, settle: float = 0.5
) -> dict[str, Any]:
    """Interleaved runs (1 worker, 2 workers, 1, 2, …); medians and the ratio."""
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in KINDS}
    with procs.unpinned_self():
        for _ in range(reps):
            for workers, kind in KINDS.items():
                with procs.server(kind, pin=False) as srv:
                    run = ingest.blast(srv, clients, frames_per_run, frames, settle)
                    runs[workers].append(run)
    medians = {n: statistics.median(r["frames_per_s"] for r in v) for n, v in runs.items()}
    share = statistics.median(r["busiest_worker_share"] for r in runs[2])
    cpu = {n: statistics.median(r["cpu_us_per_frame"] for r in v) for n, v in runs.items()}
    return {
        "clients": clients,
        "frames_per_run": frames_per_run,
        "note": NOTE,
        "workers": {
            str(n): {"frames_per_s": medians[n], "cpu_us_per_frame": cpu[n], "runs": runs[n]}
            for n in KINDS
        },
        "ratio": medians[2] / medians[1] if medians[1] else None,
        "busiest_worker_share": share,
    }


def summary(result: dict[str, Any]) -> str:
    """The lines printed under the table."""
    w = result["workers"]
    ratio = result["ratio"]
    return (
        f"scale-out, ingest, {result['clients']} clients ({result['note']}): "
        f"--workers 1 {w['1']['frames_per_s']:,.0f} frames/s, "
        f"--workers 2 {w['2']['frames_per_s']:,.0f} frames/s; "
        f"2 workers ÷ 1 = {'–' if ratio is None else f'{ratio:.2f}'} "
        f"(server CPU µs/frame {w['1']['cpu_us_per_frame']:.1f} and "
        f"{w['2']['cpu_us_per_frame']:.1f}; the busier of the 2 workers had "
        f"{result['busiest_worker_share']:.0%} of the connections)"
    )

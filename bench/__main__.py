"""``python -m bench [--quick] [--out FILE.json]``: mockrt against fair references, in one run.

Servers: (a) bare aiohttp that only receives, (b) bare aiohttp + JSON parse + base64 decode + one
RMS per frame, and ``mockrt serve`` as a user runs it. Each server runs in its own process,
pinned to core 0 when there are two cores; the load generator (this process) runs on core 1.
Scenarios, each bounded in frames and seconds: ingest (1 and 10 clients), real-time capacity,
``session.update`` round trip (idle and under load), start-up (in-process and command), RSS per
idle session; scale-out (``--workers 1`` against ``--workers 2``, unpinned, printed under the
table). Repetitions are interleaved across servers; figures are medians; every ratio is
mockrt's figure over a reference's from the same run. Prints a table and writes JSON.
"""

from __future__ import annotations

import argparse
import compileall
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from bench import ingest, memory, paced, procs, scaleout, startup
from bench.report import build_rows, format_table
from bench.signals import build_frames

SCENARIOS = ("ingest", "capacity", "roundtrip", "startup", "memory", "scaleout")


@dataclass(frozen=True)
class Profile:
    name: str
    reps: int  # interleaved repetitions (ingest, round trip, start-up)
    ingest_frames: int  # per run, split over the clients
    clients: tuple[int, ...]
    capacity_kinds: tuple[str, ...]
    capacity_reps: int
    capacity_start: int
    capacity_cap: int
    capacity_steps: int
    trial_s: float  # measured seconds of a paced trial
    warmup_s: float
    budget_ms: float
    probe_every: int  # frames between two probes of a stream (50: one a second)
    rt_idle: int  # sequential round trips on an idle connection
    rt_load_streams: int
    startup_reps: int
    sessions: int  # idle sessions held for the RSS figure
    scaleout_clients: int  # more than cores, so that every worker gets connections
    scaleout_frames: int  # per run, split over the clients


FULL = Profile(
    "full", 3, 60_000, (1, 10), ("b", "mockrt"), 2, 50, 1600, 2, 3.0, 1.0, 20.0, 50,
    1000, 100, 7, 1000, 16, 60_000,
)  # fmt: skip
QUICK = Profile(
    "quick", 1, 12_000, (1, 10), ("b", "mockrt"), 1, 50, 800, 1, 1.2, 0.5, 20.0, 50,
    200, 50, 3, 300, 12, 8_000,
)  # fmt: skip
SMOKE = Profile(  # CI's smoke test: tiny counts, structure only
    "smoke", 1, 200, (1, 2), ("b", "mockrt"), 1, 4, 8, 1, 0.3, 0.1, 20.0, 5, 5, 4, 1, 10, 4,
    200,
)  # fmt: skip
PROFILES = {p.name: p for p in (FULL, QUICK, SMOKE)}


def machine() -> dict[str, Any]:
    model = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_kb = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    versions = {}
    for name in ("aiohttp", "numpy", "pydantic"):
        try:
            versions[name] = __import__(name).__version__
        except ImportError:
            versions[name] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=procs.ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 2**20, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "versions": versions,
        "commit": commit or None,
        "pinned": procs.pinning(),
    }


def _median_dicts(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = [k for k, v in runs[0].items() if isinstance(v, int | float)]
    out: dict[str, Any] = {k: statistics.median(r[k] for r in runs) for k in keys}
    out["runs"] = runs
    return out


def run_ingest(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    raw: dict[int, dict[str, list[dict[str, Any]]]] = {c: {k: [] for k in kinds} for c in p.clients}
    for _ in range(p.reps):
        for kind in kinds:
            with procs.server(kind, pin) as srv:
                for clients in p.clients:
                    run = ingest.blast(srv, clients, p.ingest_frames, frames, p.warmup_s / 2)
                    raw[clients][kind].append(run)
    return {
        "frames_per_run": p.ingest_frames,
        "runs": {str(c): {k: _median_dicts(v) for k, v in per.items()} for c, per in raw.items()},
    }


def run_capacity(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    searches: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}

    def trial_for(kind: str) -> Callable[[int], dict[str, Any]]:
        def trial(n: int) -> dict[str, Any]:
            with procs.server(kind, pin) as srv:
                return paced.paced(srv, n, p.trial_s, p.warmup_s, frames, p.probe_every)

        return trial

    for _ in range(p.capacity_reps):
        for kind in kinds:
            searches[kind].append(
                paced.capacity_search(
                    trial_for(kind),
                    p.capacity_start,
                    p.capacity_cap,
                    p.budget_ms,
                    p.capacity_steps,
                )  # fmt: skip
            )
    return {
        "budget_ms": p.budget_ms,
        "kinds": {
            k: {
                "streams": statistics.median(s["streams"] for s in v),
                "capped": any(s["capped"] for s in v),
                "searches": v,
            }
            for k, v in searches.items()
        },
    }


def run_roundtrip(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    idle: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    load: dict[str, list[dict[str, Any]]] = {k: [] for k in kinds}
    for _ in range(p.reps):
        for kind in kinds:
            with procs.server(kind, pin) as srv:  # idle first, then under load
                idle[kind].append(paced.idle_round_trips(srv, p.rt_idle, frames, p.warmup_s))
                load[kind].append(
                    paced.paced(
                        srv, p.rt_load_streams, p.trial_s, p.warmup_s, frames, p.probe_every
                    )
                )
    return {
        "streams": p.rt_load_streams,
        "idle": {k: _median_dicts(v) for k, v in idle.items()},
        "load": {k: _median_dicts(v) for k, v in load.items()},
    }


def run_startup(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    before = "before" in kinds
    return {
        "inproc": startup.inproc_start(p.startup_reps * 3, pin, before),
        "cli": startup.command_start(p.startup_reps, pin, before),
    }


def run_memory(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in kinds:
        with procs.server(kind, pin) as srv:
            out[kind] = memory.idle_sessions(srv, p.sessions)
    return {"sessions": p.sessions, "kinds": out}


def run_scaleout(p: Profile, kinds: list[str], pin: bool, frames: Any) -> dict[str, Any]:
    return scaleout.scale_out(p.reps, p.scaleout_clients, p.scaleout_frames, frames, p.warmup_s / 2)


def _finite(value: Any) -> Any:
    """``value`` with NaN and infinities as null: the JSON is strict JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


RUNNERS: dict[str, Callable[[Profile, list[str], bool, Any], dict[str, Any]]] = {
    "ingest": run_ingest,
    "capacity": run_capacity,
    "roundtrip": run_roundtrip,
    "startup": run_startup,
    "memory": run_memory,
    "scaleout": run_scaleout,
}


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small counts, one repetition (<60 s)")
    size.add_argument("--smoke", action="store_true", help="tiny counts: CI's structure check")
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    parser.add_argument("--only", action="append", choices=SCENARIOS, help="run just these")
    parser.add_argument("--journal", action="store_true", help="also mockrt serve --journal FILE")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="also run the mockrt of another checkout (e.g. main) as the column 'before'",
    )
    parser.add_argument("--reps", type=int, help="override the interleaved repetitions")
    parser.add_argument("--no-pin", action="store_true", help="do not pin processes to cores")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)
    profile = SMOKE if args.smoke else QUICK if args.quick else FULL
    if args.reps:
        profile = replace(profile, reps=args.reps, capacity_reps=args.reps)
    pin = not args.no_pin
    procs.pin_self(pin)
    frames = build_frames()
    kinds = ["a", "b", "mockrt"]
    workdir = tempfile.TemporaryDirectory(prefix="mockrt-bench-before-")
    if args.before:
        procs.use_before(args.before, Path(workdir.name))
        kinds.insert(2, "before")
    # Every server starts from compiled bytecode, as an installed package does (pip compiles at
    # install): with PYTHONDONTWRITEBYTECODE set, a checkout would otherwise be compiled anew by
    # every process it starts, and only mockrt's start-up would pay for it.
    compiled = [str(d) for d in (procs.ROOT, args.before) if d is not None]
    for checkout in compiled:
        compileall.compile_dir(Path(checkout) / "mockrt", quiet=1)
    started = time.time()
    result: dict[str, Any] = {
        "compiled": compiled,
        "started": datetime.datetime.fromtimestamp(started, datetime.UTC).isoformat(),
        "profile": asdict(profile),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "scenarios": {},
    }
    for name in args.only or SCENARIOS:
        t0 = time.monotonic()
        these = list(profile.capacity_kinds) if name == "capacity" else list(kinds)
        if name == "capacity" and args.before:
            these.insert(-1, "before")
        if args.journal and name == "ingest":
            these.append("mockrt+journal")
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        res = RUNNERS[name](profile, these, pin, frames)
        res["seconds"] = time.monotonic() - t0
        result["scenarios"][name] = res
    result["seconds"] = time.time() - started
    result["load_after"] = os.getloadavg()
    result["rows"] = build_rows(result["scenarios"])
    if result["rows"]:
        print(format_table(result["rows"], markdown=args.markdown))
    if "scaleout" in result["scenarios"]:
        print("\n" + scaleout.summary(result["scenarios"]["scaleout"]))
    m = result["machine"]
    print(
        f"\n{m['cpu']}, {m['cores']} cores, Python {m['python']}, "
        f"aiohttp {m['versions']['aiohttp']}"
        f"; {profile.name} profile, {result['seconds']:.0f} s; load average "
        f"{result['load_before'][0]:.1f} before, {result['load_after'][0]:.1f} after"
    )
    workdir.cleanup()
    if args.out:
        args.out.write_text(json.dumps(_finite(result), indent=2, allow_nan=False) + "\n")
    return result


if __name__ == "__main__":
    main()

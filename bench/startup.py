"""Scenario 4, start-up: in-process and as a command.

- In-process: ``create_app`` + ``AppRunner`` + ``TCPSite`` on port 0 until a client's first
  ``session.created``, against the same for a bare aiohttp app (which sends a canned
  ``session.created``). Run in a child process (``python -m bench.startup inproc REPS KIND…``),
  imports done and one warm-up start before the clock starts, the kinds interleaved.
- Command: from spawning ``python -m mockrt serve --port 0`` until its ready line, against a bare
  aiohttp process (``python -m bench.servers bare``) printing the same line; and until a client
  that connects as soon as the line is out has its ``session.created`` (what a test waits for).
  Interleaved, each process stopped before the next starts.
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import procs, wsload

__all__ = ["cli_commands", "command_start", "inproc_start"]


async def _once(factory: Callable[[], Any]) -> float:
    from aiohttp import web

    t0 = time.perf_counter()
    runner = web.AppRunner(factory(), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    client = await wsload.connect(runner.addresses[0][1])
    elapsed = time.perf_counter() - t0
    await client.close()
    await runner.cleanup()
    return elapsed


def _inproc_child(reps: int, kinds: list[str]) -> dict[str, list[float]]:
    from bench.servers import bare_app
    from mockrt.serve.server import create_app

    known: dict[str, Callable[[], Any]] = {"a": bare_app, "mockrt": create_app}
    factories = {k: known[k] for k in kinds}
    times: dict[str, list[float]] = {k: [] for k in factories}
    for factory in factories.values():  # warm-up: first-use costs are not start-up
        asyncio.run(_once(factory))
    for _ in range(reps):
        for kind, factory in factories.items():
            times[kind].append(asyncio.run(_once(factory)))
    return times


def _inproc(reps: int, pin: bool, kinds: list[str], cwd: Path) -> dict[str, list[float]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.startup", "inproc", str(reps), *kinds],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=cwd,
    )
    try:
        if pin and procs.pinning():
            os.sched_setaffinity(proc.pid, {procs.SERVER_CORE})
        out, _ = proc.communicate(timeout=60 + reps * 5)
    finally:
        procs.stop(proc)
    times: dict[str, list[float]] = json.loads(out)
    return times


def inproc_start(reps: int, pin: bool, before: bool = False) -> dict[str, Any]:
    """Median ms from nothing to the first ``session.created``: mockrt, bare (and the
    ``--before`` checkout's mockrt, in a child of its own)."""
    times = _inproc(reps, pin, ["a", "mockrt"], procs.ROOT)
    if before:
        times["before"] = _inproc(reps, pin, ["mockrt"], procs.cwd_for("before"))["mockrt"]
    return {
        kind: {"ms": statistics.median(ts) * 1e3, "runs_ms": [t * 1e3 for t in ts]}
        for kind, ts in times.items()
    }


def cli_commands(before: bool = False) -> dict[str, list[str]]:
    commands = {
        "a": [sys.executable, "-m", "bench.servers", "bare", "--port", "0"],
        "mockrt": [sys.executable, "-m", "mockrt", "serve", "--port", "0"],
    }
    if before:
        commands["before"] = commands["mockrt"]
    return commands


async def _first_session(port: int) -> None:
    client = await wsload.connect(port)
    await client.close()


def command_start(reps: int, pin: bool, before: bool = False) -> dict[str, Any]:
    """Median ms from spawn to the ready line, and to a first client's ``session.created`` (a
    client connecting as soon as the line is out), for ``mockrt serve`` and a bare process."""
    commands = cli_commands(before)
    ready: dict[str, list[float]] = {k: [] for k in commands}
    first: dict[str, list[float]] = {k: [] for k in commands}
    for _ in range(reps):
        for kind, command in commands.items():
            t0 = time.perf_counter()
            proc = subprocess.Popen(
                command,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                cwd=procs.cwd_for(kind),
            )
            try:
                if pin and procs.pinning():
                    os.sched_setaffinity(proc.pid, {procs.SERVER_CORE})
                line = procs.read_line(proc, 30)
                ready[kind].append(time.perf_counter() - t0)
                asyncio.run(asyncio.wait_for(_first_session(procs.port_of(line)), 30))
                first[kind].append(time.perf_counter() - t0)
            finally:
                procs.stop(proc)
    return {
        kind: {
            "ms": statistics.median(ts) * 1e3,
            "first_session_ms": statistics.median(first[kind]) * 1e3,
            "runs_ms": [t * 1e3 for t in ts],
            "command": " ".join(
                Path(c).name if i == 0 else c for i, c in enumerate(commands[kind])
            ),
        }
        for kind, ts in ready.items()
    }


if __name__ == "__main__":
    if sys.argv[1:2] == ["inproc"]:
        print(json.dumps(_inproc_child(int(sys.argv[2]), sys.argv[3:])))

"""Scenarios 2 and 3: real-time streams and the ``session.update`` round trip.

A paced trial runs N streams, each sending one 20 ms append every 20 ms (the streams are spread
over ten 2 ms phases, so one timer serves them all). Every second (by default) each stream also
sends a full ``session.update`` (``signals.SESSION_UPDATE``) and times its ``session.updated``:
that is the event lag a client sees. A probe still unanswered when the trial ends counts with the
time it has waited (an overloaded server cannot hide behind lost replies). The first ``warmup``
seconds are not measured. The generator's own lateness is reported too, so a saturated client is
visible.

Capacity is the largest N whose p99 lag stays under the budget, with no stream held back by a
full socket: N doubles until the budget is
broken (or a cap is reached), then a few bisection steps.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from typing import Any

from bench import wsload
from bench.procs import Server
from bench.signals import CYCLE_FRAMES, Frames

__all__ = ["capacity_search", "idle_round_trips", "paced", "percentile"]

PHASES = 10
TICK_S = 0.020 / PHASES


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by nearest rank; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered) + 0.5) - 1))]


async def _paced(
    server: Server, n: int, seconds: float, warmup: float, frames: Frames, probe_every: int
) -> dict[str, Any]:
    lags: list[float] = []
    sent_at: list[float | None] = [None] * n
    state = {"measuring": False}

    def listener(i: int) -> Callable[[str, float], None]:
        def on_event(kind: str, now: float) -> None:
            if kind == "session.updated" and sent_at[i] is not None:
                if state["measuring"]:
                    lags.append(now - (sent_at[i] or now))
                sent_at[i] = None

        return on_event

    conns: list[wsload.Client] = []
    try:
        conns = await wsload.connect_many(
            server.port, n, timeout=60 + n / 20, on_event=listener, configure=frames.probe
        )
        groups = [list(range(g, n, PHASES)) for g in range(PHASES)]
        position = [(i * 53) % CYCLE_FRAMES for i in range(n)]
        appends, probe = frames.appends, frames.probe
        loop_start = time.monotonic()
        measure_from = loop_start + warmup
        end = measure_from + seconds
        late: list[float] = []
        sent = skipped = 0
        cpu0 = cpu1 = server.cpu()
        tick = 0
        while True:
            due = loop_start + tick * TICK_S
            now = time.monotonic()
            if due > now:
                await asyncio.sleep(due - now)
                now = time.monotonic()
            if now >= end:
                break
            if not state["measuring"] and now >= measure_from:
                state["measuring"] = True
                cpu0, sent, skipped = server.cpu(), 0, 0
            if state["measuring"]:
                late.append(now - due)
            for i in groups[tick % PHASES]:
                client = conns[i]
                if client.paused:  # the server stopped reading: the stream falls behind
                    skipped += 1
                    continue
                pos = position[i]
                client.write(appends[pos % CYCLE_FRAMES])
                position[i] = pos + 1
                sent += 1
                if (pos + i) % probe_every == 0 and sent_at[i] is None:
                    sent_at[i] = time.monotonic()
                    client.write(probe)
            tick += 1
        cpu1 = server.cpu()
        stopped = time.monotonic()
        wall = stopped - measure_from
        # bounded wait for the replies still in flight; the rest count with their waiting time
        deadline = stopped + 2.0
        while any(t is not None for t in sent_at) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        now = time.monotonic()
        lost = [now - t for t in sent_at if t is not None and t >= measure_from]
    finally:
        await wsload.close_all(conns)
    measured = lags + lost
    cpu = cpu1 - cpu0
    return {
        "streams": n,
        "seconds": wall,
        "frames": sent,
        "frames_per_s": sent / wall if wall > 0 else 0.0,
        "skipped": skipped,  # frames not written: the server's socket was full
        "probes": len(measured),
        "unanswered": len(lost),
        "p50_ms": percentile(measured, 0.50) * 1e3,
        "p99_ms": percentile(measured, 0.99) * 1e3,
        "max_ms": max(measured, default=float("nan")) * 1e3,
        "generator_late_p99_ms": percentile(late, 0.99) * 1e3,
        "cpu_us_per_frame": cpu / sent * 1e6 if sent else float("nan"),
        "cpu_share": cpu / wall if wall > 0 else float("nan"),
    }


def paced(
    server: Server, n: int, seconds: float, warmup: float, frames: Frames, probe_every: int = 50
) -> dict[str, Any]:
    """One paced trial of ``n`` streams; each probes every ``probe_every`` frames."""
    return asyncio.run(_paced(server, n, seconds, warmup, frames, probe_every))


def capacity_search(
    trial: Callable[[int], dict[str, Any]],
    start: int,
    cap: int,
    budget_ms: float,
    steps: int,
) -> dict[str, Any]:
    """Largest N with ``trial(N)["p99_ms"] < budget_ms`` and no frame skipped: doubling from
    ``start`` up to ``cap``, then ``steps`` bisections (to a multiple of 10). ``capped`` when
    even ``cap`` passed."""
    trials: list[dict[str, Any]] = []

    def ok(n: int) -> bool:
        result = trial(n)
        trials.append(result)
        return bool(result["p99_ms"] < budget_ms and not result["skipped"])

    good, bad = 0, None
    n = start
    while True:
        if ok(n):
            good = n
            if n >= cap:
                break
            n = min(cap, n * 2)
        else:
            bad = n
            break
    for _ in range(steps if bad is not None else 0):
        assert bad is not None
        mid = (good + bad) // 2 // 10 * 10
        if mid <= good or mid >= bad:
            break
        if ok(mid):
            good = mid
        else:
            bad = mid
    return {"streams": good, "capped": bad is None, "first_failing": bad, "trials": trials}


async def _idle(server: Server, count: int, frames: Frames, warmup: float) -> list[float]:
    client = await wsload.connect(server.port, configure=frames.probe)

    async def round_trip() -> float:
        reply = client.expect("session.updated")
        t0 = time.monotonic()
        client.write(frames.probe)
        return await asyncio.wait_for(reply, 10) - t0

    try:
        # Round trips in the first ``warmup`` seconds (at most ``count`` of them) are not
        # counted, for every server alike, as in the paced scenario: start-up is measured on
        # its own (startup.py), and mockrt serve's warm-up runs in that time.
        end = time.monotonic() + warmup
        for _ in range(count):
            if time.monotonic() >= end:
                break
            await round_trip()
        return [await round_trip() for _ in range(count)]
    finally:
        await client.close()


def idle_round_trips(
    server: Server, count: int, frames: Frames, warmup: float = 0.0
) -> dict[str, float]:
    """``count`` sequential ``session.update`` round trips on one otherwise idle connection,
    after those of the first ``warmup`` seconds."""
    lags = asyncio.run(_idle(server, count, frames, warmup))
    return {
        "probes": len(lags),
        "p50_ms": statistics.median(lags) * 1e3,
        "p99_ms": percentile(lags, 0.99) * 1e3,
    }

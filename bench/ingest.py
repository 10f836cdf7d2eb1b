"""Scenario 1, ingest: appends blasted as fast as the server takes them, 1 and 10 clients.

Each client configures its session (``signals.SESSION_UPDATE``: a transcription model, server
VAD), then sends its share of the audio cycle (a turn every 4 s, so server VAD starts and stops
turns) in a few large pre-masked writes, honouring the transport's back-pressure, then one
``input_audio_buffer.clear``; the run ends when every client has its ``cleared``, i.e. when the
server has read every frame. Server CPU is read from /proc around the run (handshakes excluded).
Before the clock starts every client primes its session with one cycle and a clear, and the
server a quiet moment (``_prime``): first-use costs are start-up, not ingest.
"""

from __future__ import annotations

import asyncio
import time

from bench import wsload
from bench.procs import Server
from bench.signals import CYCLE_FRAMES, Frames

__all__ = ["blast"]


async def _blast(
    server: Server, clients: int, per_client: int, frames: Frames, settle: float
) -> dict[str, float]:
    conns = await wsload.connect_many(server.port, clients, configure=frames.probe)
    try:
        await _prime(conns, frames, settle)
        cpu0 = server.cpu()
        start = time.monotonic()

        async def send(i: int, client: wsload.Client) -> float:
            # clients start at different points of the cycle, so their turns do not coincide
            for chunk in frames.blast(per_client, offset=i * CYCLE_FRAMES // max(1, clients)):
                client.write(chunk)
                await client.drain()
            cleared = client.expect("input_audio_buffer.cleared")
            client.write(frames.clear)
            return await cleared

        timeout = 30.0 + clients * per_client / 2_000  # bounded even for a very slow server
        ends = await asyncio.wait_for(
            asyncio.gather(*(send(i, c) for i, c in enumerate(conns))), timeout
        )
        cpu = server.cpu() - cpu0
        elapsed = max(ends) - start
    finally:
        await wsload.close_all(conns)
    sent = clients * per_client
    # mockrt serve --workers N: the share of the connections the busiest worker got
    workers = [_worker(c.head) for c in conns]
    busiest = max(workers.count(w) for w in set(workers)) / len(workers)
    return {
        "busiest_worker_share": busiest,
        "frames": sent,
        "seconds": elapsed,
        "frames_per_s": sent / elapsed,
        "cpu_s": cpu,
        "cpu_us_per_frame": cpu / sent * 1e6,
    }


async def _prime(conns: list[wsload.Client], frames: Frames, settle: float) -> None:
    """Before the clock starts, every client streams one cycle (a spoken turn included) and
    clears it, and the server gets ``settle`` quiet seconds: first-use costs (a module imported
    with the first audio, a warm-up after the ready line) are start-up, measured by startup.py,
    not ingest. The same for every server."""

    async def one(client: wsload.Client) -> None:
        cleared = client.expect("input_audio_buffer.cleared")
        client.write(frames.cycle)
        client.write(frames.clear)
        await client.drain()
        await asyncio.wait_for(cleared, 30)

    await asyncio.gather(*(one(c) for c in conns))
    await asyncio.sleep(settle)


def _worker(head: bytes) -> str:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"x-mockrt-worker":
            return value.strip().decode()
    return ""


def blast(
    server: Server, clients: int, total_frames: int, frames: Frames, settle: float = 0.5
) -> dict[str, float]:
    """One ingest run: ``total_frames`` appends split evenly over ``clients`` connections,
    after a primed cycle and ``settle`` quiet seconds (mockrt serve's warm-up after its ready
    line takes a fraction of one on an idle server)."""
    return asyncio.run(_blast(server, clients, max(1, total_frames // clients), frames, settle))

"""Throughput of the audio path, as a ratio against a bare aiohttp WebSocket server.

    python bench/bench_append.py [--frames 20000] [--connections 4] [--repeat 3]

Each repetition runs both servers (interleaved, each in its own process, loopback only) and
sends the same number of 20 ms ``input_audio_buffer.append`` frames (24 kHz pcm16: 960 bytes of
audio, a ~1,330-byte JSON frame) as fast as the client can, over a few connections, then one
``input_audio_buffer.clear`` per connection and waits for its ``cleared``. It reports frames/s,
server CPU µs per frame (from /proc), and mockrt ÷ bare for both, medians over repetitions.
Every loop is bounded by the frame count and a timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 120
AUDIO = base64.b64encode(bytes(960)).decode()  # 20 ms of silence, 24 kHz pcm16
APPEND = json.dumps({"type": "input_audio_buffer.append", "audio": AUDIO})
CLEAR = json.dumps({"type": "input_audio_buffer.clear"})
UPDATES = {
    # turn detection off: parse, validate, base64, accounting, journal
    "mockrt": json.dumps(
        {
            "type": "session.update",
            "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
        }
    ),
    # the default session: server VAD over every frame's energy as well
    "mockrt+vad": json.dumps({"type": "session.update", "session": {"type": "transcription"}}),
}


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(port: int, frames: int, connections: int, update: str) -> float:
    url = f"ws://127.0.0.1:{port}/v1/realtime?intent=transcription"
    headers = {"Authorization": "Bearer sk-bench"}
    per_connection = frames // connections

    async def one() -> None:
        async with websockets.connect(
            url, additional_headers=headers, compression=None, max_size=None
        ) as ws:
            await ws.send(update)
            for _ in range(per_connection):
                await ws.send(APPEND)
            await ws.send(CLEAR)
            async for message in ws:
                if json.loads(message)["type"] == "input_audio_buffer.cleared":
                    return

    start = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(one() for _ in range(connections))), TIMEOUT_S)
    return time.perf_counter() - start


def run(kind: str, frames: int, connections: int) -> dict[str, float]:
    server = "bare" if kind == "bare" else "mockrt"
    proc = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "servers.py"), server],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        cpu0 = cpu_seconds(proc.pid)
        update = UPDATES.get(kind, UPDATES["mockrt"])
        elapsed = asyncio.run(drive(port, frames, connections, update))
        cpu = cpu_seconds(proc.pid) - cpu0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    sent = frames // connections * connections
    return {"frames_per_s": sent / elapsed, "cpu_us_per_frame": cpu / sent * 1e6}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, float]]] = {"bare": [], "mockrt": [], "mockrt+vad": []}
    for _ in range(args.repeat):
        for kind in results:
            results[kind].append(run(kind, args.frames, args.connections))
    summary: dict[str, object] = {
        "frames": args.frames,
        "connections": args.connections,
        "repeat": args.repeat,
    }
    for kind, runs in results.items():
        for key in ("frames_per_s", "cpu_us_per_frame"):
            summary[f"{kind}_{key}"] = statistics.median(r[key] for r in runs)
    medians = {k: v for k, v in summary.items() if isinstance(v, float)}
    for kind in ("mockrt", "mockrt+vad"):
        for key in ("frames_per_s", "cpu_us_per_frame"):
            base = medians[f"bare_{key}"]
            summary[f"{kind}_{key}_ratio"] = medians[f"{kind}_{key}"] / base if base else None
    print(json.dumps(summary, indent=2))
    if args.out:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()

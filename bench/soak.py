"""Soak: many sessions of bad and valid frames against a real ``mockrt serve``, memory after.

    python bench/soak.py [--sessions 10000] [--concurrency 200] [--frames-per-session 10]
                         [--flood 100000] [--max-seconds 900] [--out FILE.json]

Starts ``python -m mockrt serve --port 0 --speed 0`` (loopback only) and runs, bounded in count
and time (``--max-seconds``; every wait has a timeout):

1. ``--sessions`` WebSocket sessions, ``--concurrency`` at a time. Each sends
   ``--frames-per-session`` frames: a bad frame (from ``BAD_FRAMES``: invalid JSON, wrong types,
   lone surrogates, control characters, NaN, ``1e999``, null VAD fields, invalid audio, binary)
   then a valid ``input_audio_buffer.clear``, whose ``cleared`` must come back.
2. One session flooding ``--flood`` bad frames (``{}``), then a ``clear`` that must be answered.

It reports frames sent, crashes (the server exited, or a connection dropped, or a server_error),
unanswered valid frames, the server's RSS before / peak / after (once every session closed) and
its open file descriptors before and after (from /proc; Linux only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-soak-0123456789abcdef"
CLEAR = '{"type":"input_audio_buffer.clear"}'
RECV_TIMEOUT_S = 30.0


def _update(turn_detection: str) -> str:
    return (
        '{"type":"session.update","session":{"type":"transcription","audio":{"input":'
        f'{{"turn_detection":{turn_detection}}}}}}}}}'
    )


BAD_FRAMES: list[str | bytes] = [
    "{}",
    "not json",
    '{"type": 5}',
    "[1, 2, 3]",
    '{"type": "x\\n\\u001b[31m\\u0000"}',
    '{"type": "input_audio_buffer.commit", "event_id": "\\ud800"}',
    '{"type": "input_audio_buffer.append", "audio": "!!!not base64!!!"}',
    '{"type": "input_audio_buffer.append", "audio": "AAE="}',
    '{"type": "input_audio_buffer.commit", "event_id": NaN}',
    _update('{"type": "server_vad", "threshold": null}'),
    _update('{"type": "server_vad", "idle_timeout_ms": 0}'),
    _update('{"type": "server_vad", "silence_duration_ms": 1e400}'),
    _update('{"type": "server_vad", "prefix_padding_ms": 99999999999999999999}'),
    _update('{"type": "semantic_vad", "eagerness": null}'),
    '{"type":"session.update","session":{"type":"transcription","audio":{"input":'
    '{"noise_reduction":{"type":"near_field","strength":1e999}}}}}',
    '{"type": "session.update", "session": {"type": "realtime", "model": "gpt-realtime"}}',
    '{"type": "response.create"}',
    b"\x00\xff binary",
]


@dataclass
class Counts:
    frames: int = 0
    valid_sent: int = 0
    unanswered: int = 0
    server_errors: int = 0
    dropped_connections: int = 0
    sessions: int = 0


def _proc(pid: int) -> dict[str, int]:
    status = Path(f"/proc/{pid}/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)

    def kib(name: str) -> int:
        return int(fields[name].split()[0])

    return {
        "rss_kib": kib("VmRSS"),
        "peak_kib": kib("VmHWM"),
        "fds": len(os.listdir(f"/proc/{pid}/fd")),
    }


async def _until_cleared(ws: aiohttp.ClientWebSocketResponse, counts: Counts) -> bool:
    """Read until ``input_audio_buffer.cleared``; False when it never comes."""
    while True:
        try:
            msg = await ws.receive(timeout=RECV_TIMEOUT_S)
        except TimeoutError:
            return False
        if msg.type != aiohttp.WSMsgType.TEXT:
            counts.dropped_connections += 1
            return False
        event = json.loads(msg.data)
        if event.get("type") == "error" and event["error"].get("type") == "server_error":
            counts.server_errors += 1
        if event.get("type") == "input_audio_buffer.cleared":
            return True


async def _session(
    http: aiohttp.ClientSession, url: str, frames: int, offset: int, counts: Counts
) -> None:
    async with http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
        await ws.receive(timeout=RECV_TIMEOUT_S)  # session.created
        counts.sessions += 1
        for i in range(frames // 2):
            bad = BAD_FRAMES[(offset + i) % len(BAD_FRAMES)]
            if isinstance(bad, bytes):
                await ws.send_bytes(bad)
            else:
                await ws.send_str(bad)
            await ws.send_str(CLEAR)
            counts.frames += 2
            counts.valid_sent += 1
            if not await _until_cleared(ws, counts):
                counts.unanswered += 1
                return


async def _flood(http: aiohttp.ClientSession, url: str, n: int, counts: Counts) -> None:
    async with http.ws_connect(url, headers={"Authorization": f"Bearer {KEY}"}) as ws:
        await ws.receive(timeout=RECV_TIMEOUT_S)
        reader = asyncio.create_task(_until_cleared(ws, counts))
        for i in range(n):
            await ws.send_str("{}")
            if i % 1000 == 0:
                await asyncio.sleep(0)
        await ws.send_str(CLEAR)
        counts.frames += n + 1
        counts.valid_sent += 1
        if not await reader:
            counts.unanswered += 1


async def _drive(url: str, args: argparse.Namespace, counts: Counts) -> None:
    limit = asyncio.Semaphore(args.concurrency)
    timeout = aiohttp.ClientTimeout(total=None, connect=RECV_TIMEOUT_S)
    connector = aiohttp.TCPConnector(limit=args.concurrency + 8)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:

        async def one(i: int) -> None:
            async with limit:
                try:
                    await _session(http, url, args.frames_per_session, i, counts)
                except (TimeoutError, aiohttp.ClientError, ConnectionError):
                    counts.dropped_connections += 1

        await asyncio.gather(*(one(i) for i in range(args.sessions)))
        if args.flood:
            try:
                await _flood(http, url, args.flood, counts)
            except (TimeoutError, aiohttp.ClientError, ConnectionError):
                counts.dropped_connections += 1


def _wait_idle(url: str, timeout_s: float = 60.0) -> None:
    """Poll ``/healthz`` until the server reports no open session (bounded by ``timeout_s``)."""
    health = url.replace("ws://", "http://").split("/v1/")[0] + "/healthz"

    async def poll() -> None:
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + timeout_s
            while time.monotonic() < deadline:
                async with http.get(health) as response:
                    if (await response.json())["sessions"] == 0:
                        return
                await asyncio.sleep(0.2)

    asyncio.run(poll())


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--frames-per-session", type=int, default=10)
    parser.add_argument("--flood", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockrt", "serve", "--port", "0", "--speed", "0"]
        + ["--log-level", "warning", "--api-key", KEY],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    counts = Counts()
    started = time.perf_counter()
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("ws://127.0.0.1:"), url
        time.sleep(0.2)
        before = _proc(proc.pid)
        timed_out = False
        try:
            asyncio.run(asyncio.wait_for(_drive(url, args, counts), args.max_seconds))
        except TimeoutError:
            timed_out = True
        _wait_idle(url)  # every session closed: the server releases what it held
        time.sleep(1.0)
        after = _proc(proc.pid)
        crashed = proc.poll() is not None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    summary: dict[str, Any] = {
        **asdict(counts),
        "flood_frames": args.flood,
        "concurrency": args.concurrency,
        "crashes": int(crashed) + counts.server_errors + counts.dropped_connections,
        "timed_out": timed_out,
        "seconds": round(time.perf_counter() - started, 1),
        "rss_before_mib": round(before["rss_kib"] / 1024, 1),
        "rss_peak_mib": round(after["peak_kib"] / 1024, 1),
        "rss_after_mib": round(after["rss_kib"] / 1024, 1),
        "fds_before": before["fds"],
        "fds_after": after["fds"],
    }
    print(json.dumps(summary, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()

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
its open file descriptors before and after (from /proc; Linux only). RSS alone overstates what is
held (an allocator keeps freed pages), so next to it the soak reports the server's live Python
memory, read inside the server by a probe (the server runs as ``mockrt serve`` from this file
with a SIGUSR1 handler): ``sys.getallocatedblocks()``, objects tracked by the garbage collector,
how many of them are mockrt's own types, and CPython's small-object arenas.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import tempfile
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


def _probe_stats() -> dict[str, Any]:
    """Inside the server: live Python memory after a collection."""
    gc.collect()
    objects = gc.get_objects()
    ours = sum(
        1 for o in objects if str(type(o).__dict__.get("__module__", "")).startswith("mockrt.")
    )
    stats: dict[str, Any] = {
        "blocks": sys.getallocatedblocks(),
        "gc_objects": len(objects),
        "mockrt_objects": ours,
    }
    arenas = _arenas()
    if arenas is not None:
        stats["arenas"] = arenas
    return stats


def _arenas() -> float | None:
    """MiB of CPython's small-object arenas in use (``sys._debugmallocstats``, on fd 2)."""
    debug = getattr(sys, "_debugmallocstats", None)
    if debug is None:
        return None
    saved = os.dup(2)
    with tempfile.TemporaryFile("w+") as text:
        os.dup2(text.fileno(), 2)
        try:
            debug()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        text.seek(0)
        for line in text:
            if "bytes/arena" in line:  # "25 arenas * 1048576 bytes/arena = 26,214,400"
                return round(int(line.split("=")[-1].replace(",", "")) / 2**20, 1)
    return None


def _serve_with_probe(out: Path, argv: list[str]) -> int:
    """``mockrt serve`` in this process; SIGUSR1 writes ``_probe_stats()`` to ``out``."""

    def probe(signum: int, frame: Any) -> None:
        out.write_text(json.dumps(_probe_stats()))

    signal.signal(signal.SIGUSR1, probe)
    from mockrt.cli.main import main as mockrt_main

    return mockrt_main(argv)


def _ask_probe(proc: subprocess.Popen[str], out: Path, timeout_s: float = 60.0) -> dict[str, Any]:
    out.unlink(missing_ok=True)
    proc.send_signal(signal.SIGUSR1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        time.sleep(0.05)
        try:
            return dict(json.loads(out.read_text()))
        except (FileNotFoundError, ValueError):
            continue
    return {}


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
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-probe"]:  # the server side: python bench/soak.py --serve-probe OUT …
        raise SystemExit(_serve_with_probe(Path(argv[1]), argv[2:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--frames-per-session", type=int, default=10)
    parser.add_argument("--flood", type=int, default=100_000)
    parser.add_argument("--max-seconds", type=float, default=900.0)
    parser.add_argument("--out", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    probe_file = Path(tempfile.mkdtemp(prefix="mockrt-soak-")) / "probe.json"
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve-probe", str(probe_file)]
        + ["serve", "--port", "0", "--speed", "0"]
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
        live_before = _ask_probe(proc, probe_file)
        timed_out = False
        try:
            asyncio.run(asyncio.wait_for(_drive(url, args, counts), args.max_seconds))
        except TimeoutError:
            timed_out = True
        _wait_idle(url)  # every session closed: the server releases what it held
        time.sleep(1.0)
        after = _proc(proc.pid)
        live_after = _ask_probe(proc, probe_file)
        crashed = proc.poll() is not None
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
        probe_file.unlink(missing_ok=True)
        probe_file.parent.rmdir()
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
        "live_blocks_before": live_before.get("blocks"),
        "live_blocks_after": live_after.get("blocks"),
        "gc_objects_before": live_before.get("gc_objects"),
        "gc_objects_after": live_after.get("gc_objects"),
        "mockrt_objects_before": live_before.get("mockrt_objects"),
        "mockrt_objects_after": live_after.get("mockrt_objects"),
        "arenas_mib_before": live_before.get("arenas"),
        "arenas_mib_after": live_after.get("arenas"),
        "fds_before": before["fds"],
        "fds_after": after["fds"],
    }
    print(json.dumps(summary, indent=2))
    if args.out is not None:
        args.out.write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()

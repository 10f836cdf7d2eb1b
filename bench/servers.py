"""The fair references, one per process: ``python -m bench.servers bare|ref [--port 0]``.

- ``bare`` — reference (a): an aiohttp WebSocket server that only receives. The transport's
  ceiling.
- ``ref`` — reference (b): the least a faithful mock must do per frame: ``json.loads``, base64
  decode of the audio, one RMS of the samples with numpy (docs/perf-notes.md).

Both speak just enough of the protocol for the benchmark's clients: a canned ``session.created``
on connect, a canned ``session.updated`` for each ``session.update``, ``input_audio_buffer.cleared``
for each ``clear``. Same aiohttp settings as mockrt (``compress=False``, 32 MiB frames). Each prints
a ready line in ``mockrt serve``'s format (``ws://127.0.0.1:PORT/v1/realtime?...``) and runs until
SIGTERM. Imports nothing from mockrt.
"""

from __future__ import annotations

import argparse
import asyncio
import binascii
import json
import math
import signal
from typing import Any

from aiohttp import WSMsgType, web

__all__ = ["CREATED", "KINDS", "UPDATED", "bare_app", "make_app"]

KINDS = ("bare", "ref")


def _session(event_id: str, kind: str) -> str:
    session = {
        "type": "transcription",
        "id": "sess_bench",
        "object": "realtime.transcription_session",
        "expires_at": 0,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "noise_reduction": None,
                "transcription": {"model": "gpt-4o-transcribe", "language": None, "prompt": None},
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                    "idle_timeout_ms": None,
                    "create_response": True,
                    "interrupt_response": True,
                },
            }
        },
        "include": None,
    }
    return json.dumps({"type": kind, "event_id": event_id, "session": session})


CREATED = _session("event_bench_1", "session.created")
UPDATED = _session("event_bench_2", "session.updated")
CLEARED = json.dumps({"type": "input_audio_buffer.cleared", "event_id": "event_bench_3"})


def _socket() -> web.WebSocketResponse:
    return web.WebSocketResponse(compress=False, max_msg_size=32 * 1024 * 1024, autoping=True)


async def _bare(request: web.Request) -> web.WebSocketResponse:
    """(a): receive; answer the two control events by substring, never parse."""
    ws = _socket()
    await ws.prepare(request)
    await ws.send_str(CREATED)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT and len(msg.data) < 1024:  # appends are ~1,330 bytes
            if '"session.update"' in msg.data:
                await ws.send_str(UPDATED)
            elif '"input_audio_buffer.clear"' in msg.data:
                await ws.send_str(CLEARED)
    return ws


async def _ref(request: web.Request) -> web.WebSocketResponse:
    """(b): parse every frame; decode and measure the energy of every append."""
    import numpy as np  # only (b) pays for numpy, as only it uses it

    ws = _socket()
    await ws.prepare(request)
    await ws.send_str(CREATED)
    level = 0.0
    async for msg in ws:
        if msg.type != WSMsgType.TEXT:
            continue
        event: Any = json.loads(msg.data)
        kind = event.get("type")
        if kind == "input_audio_buffer.append":
            raw = binascii.a2b_base64(event["audio"], strict_mode=True)
            f = np.frombuffer(raw, dtype="<i2").astype(np.float32)
            level = math.sqrt(float(np.dot(f, f)) / max(1, f.size))
        elif kind == "session.update":
            await ws.send_str(UPDATED)
        elif kind == "input_audio_buffer.clear":
            await ws.send_str(CLEARED)
    del level
    return ws


def make_app(kind: str) -> web.Application:
    app = web.Application()
    app.router.add_get("/v1/realtime", _bare if kind == "bare" else _ref)
    return app


def bare_app() -> web.Application:
    return make_app("bare")


async def _main(kind: str, port: int) -> None:
    runner = web.AppRunner(make_app(kind), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    bound = runner.addresses[0][1]
    print(f"ws://127.0.0.1:{bound}/v1/realtime?intent=transcription", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="a reference server for the benchmark")
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(_main(args.kind, args.port))

"""Helpers for the proxy, replay and cassette tests (no tests here): a real websockets client
that runs the same session every time, and a scripted upstream that misbehaves on purpose."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import websockets
from aiohttp import WSMsgType, web

from tests import audio_gen

__all__ = ["TURNS", "run_client", "scripted_upstream"]

# Two turns of a manual-commit session: 0.6 s of tone each, sent in 100 ms appends.
TURNS = (audio_gen.tone(600, 440.0), audio_gen.tone(600, 880.0))


async def run_client(
    url: str,
    headers: dict[str, str],
    turns: tuple[bytes, ...] = TURNS,
    *,
    model: str = "gpt-4o-transcribe",
    fmt: dict[str, Any] | None = None,
    linger: float = 0.5,
) -> list[dict[str, Any]]:
    """One session as a careful client runs it: wait for session.created, update, then per turn
    append, commit and wait for the result; read on until ``linger`` seconds pass without a
    frame or the server closes; close with 1000. Returns every server event."""
    got: list[dict[str, Any]] = []

    async def until(done: Callable[[dict[str, Any]], bool], timeout: float = 10) -> None:
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            got.append(event)
            if done(event):
                return

    update = {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "format": fmt or {"type": "audio/pcm", "rate": 24000},
                    "transcription": {"model": model},
                    "turn_detection": None,
                }
            },
        },
    }
    step = 4800 if fmt is None or fmt.get("type") == "audio/pcm" else 800
    async with websockets.connect(url, additional_headers=headers) as ws:
        await until(lambda e: e["type"] == "session.created")
        await ws.send(json.dumps(update))
        await until(lambda e: e["type"] in ("session.updated", "error"))
        for n, audio in enumerate(turns, start=1):
            for i in range(0, len(audio), step):
                chunk = base64.b64encode(audio[i : i + step]).decode()
                await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
            await ws.send(json.dumps({"type": "input_audio_buffer.commit", "event_id": f"c{n}"}))
            await until(
                lambda e: e["type"].endswith(("transcription.completed", "transcription.failed"))
            )
        try:
            await until(lambda e: False, linger)  # what else comes, until the server closes
        except (TimeoutError, websockets.ConnectionClosed):
            pass
    return got


Behaviour = Callable[[web.WebSocketResponse, web.Request], Awaitable[None]]


@asynccontextmanager
async def scripted_upstream(behaviour: Behaviour) -> AsyncIterator[str]:
    """An aiohttp upstream on 127.0.0.1 whose every connection runs ``behaviour``; yields its
    ws:// base URL."""

    async def handler(request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(protocols=("realtime",), autoclose=False)
        await ws.prepare(request)
        await behaviour(ws, request)
        return ws

    app = web.Application()
    app.router.add_get("/v1/realtime", handler)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"ws://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def echo_typed(ws: web.WebSocketResponse, request: web.Request) -> None:
    """Echo every frame with its kind: text as text, binary as binary; close as the client did."""
    async for msg in ws:
        if msg.type is WSMsgType.TEXT:
            await ws.send_str(msg.data)
        elif msg.type is WSMsgType.BINARY:
            await ws.send_bytes(msg.data)

"""Servers for the benchmark, one per process: ``python bench/servers.py bare|mockrt``.

``bare`` is the baseline: an aiohttp WebSocket server that only receives (and answers the
``input_audio_buffer.clear`` marker, so the client knows every frame before it was read).
``mockrt`` is ``mockrt.serve.server.create_app`` as ``mockrt serve`` runs it. Both print their port.
"""

from __future__ import annotations

import asyncio
import sys

from aiohttp import WSMsgType, web

from mockrt.serve.server import create_app
from mockrt.serve.state import ServerConfig

CLEARED = '{"type":"input_audio_buffer.cleared","event_id":"event_x"}'


async def bare_handler(request: web.Request) -> web.WebSocketResponse:
    ws = web.WebSocketResponse(compress=False, max_msg_size=32 * 1024 * 1024)
    await ws.prepare(request)
    async for msg in ws:
        if msg.type == WSMsgType.TEXT and '"input_audio_buffer.clear"' in msg.data:
            await ws.send_str(CLEARED)
    return ws


def bare_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/v1/realtime", bare_handler)
    return app


async def main(kind: str) -> None:
    app = bare_app() if kind == "bare" else create_app(ServerConfig(speed=0))
    runner = web.AppRunner(app, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

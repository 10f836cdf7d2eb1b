"""A loopback relay in front of the mock that adds server events the mock's script faults cannot
make: events of types a client has never seen (the API adds event types; a client must ignore
what it does not know, docs/protocol.md §5). A client case's ``inject`` list says which event
goes out right after the first server event of a given type.

Everything else passes through unchanged: the WebSocket upgrade (query, Authorization,
OpenAI-Beta, subprotocols; a refused upgrade keeps its status), both directions of frames, the
close code, and the REST routes (``/v1/realtime/client_secrets``). The mock's journal still sees
every client frame; the injected events are listed by ``Relay.injected``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

__all__ = ["Relay"]

_HOP = ("Authorization", "OpenAI-Beta", "Content-Type")


class Relay:
    """``async with Relay(upstream_port, inject) as relay:`` point clients at ``relay.port``."""

    def __init__(self, upstream_port: int, inject: list[dict[str, Any]]) -> None:
        self.upstream = f"127.0.0.1:{upstream_port}"
        self.inject = inject
        self.injected: list[dict[str, Any]] = []
        self.port = 0
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Relay:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._session = aiohttp.ClientSession()
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def _headers(self, request: web.Request) -> dict[str, str]:
        return {k: request.headers[k] for k in _HOP if k in request.headers}

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        async with self._session.request(
            request.method,
            f"http://{self.upstream}{request.path_qs}",
            headers=self._headers(request),
            data=await request.read(),
        ) as reply:
            body = await reply.read()
            return web.Response(
                status=reply.status, body=body, content_type=reply.content_type or None
            )

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
        try:
            upstream = await self._session.ws_connect(
                f"ws://{self.upstream}{request.path_qs}",
                headers=self._headers(request),
                protocols=[p for p in offered if p],
                max_msg_size=0,
            )
        except aiohttp.WSServerHandshakeError as exc:
            return web.Response(status=exc.status, text=exc.message)
        ws = web.WebSocketResponse(
            protocols=[upstream.protocol] if upstream.protocol else [], max_msg_size=0
        )
        await ws.prepare(request)
        pending = list(self.inject)

        async def down() -> None:
            async for msg in upstream:
                if msg.type == WSMsgType.TEXT:
                    await ws.send_str(msg.data)
                    kind = json.loads(msg.data).get("type")
                    for rule in [r for r in pending if r["after"] == kind]:
                        pending.remove(rule)
                        self.injected.append(rule["event"])
                        await ws.send_str(json.dumps(rule["event"]))
                elif msg.type == WSMsgType.BINARY:
                    await ws.send_bytes(msg.data)
            await ws.close(code=upstream.close_code or 1000)

        async def up() -> None:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await upstream.send_str(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await upstream.send_bytes(msg.data)
            await upstream.close(code=ws.close_code or 1000)

        tasks = [asyncio.create_task(down()), asyncio.create_task(up())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        await upstream.close()
        await ws.close()
        return ws

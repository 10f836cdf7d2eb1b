"""The socket driver: runs a case's steps (``conformance.runner``) over a real WebSocket
(websockets) and real HTTP (aiohttp's client) against a ``Target``. The only I/O of the suite
besides starting the in-process mock (``conformance.targets``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
from websockets.typing import Subprotocol

from conformance.actions import (
    Action,
    Close,
    Connect,
    Handshake,
    Http,
    HttpReply,
    Outcome,
    Receive,
    Received,
    Reply,
    Send,
    Sleep,
)
from conformance.runner import run_steps
from conformance.targets import Endpoint

__all__ = ["INVALID_KEY", "execute"]

INVALID_KEY = "not-a-valid-key-0000"  # no sk-/ek_ prefix: any server refuses it
_OPEN_TIMEOUT_S = 15


def _auth_headers(auth: str, endpoint: Endpoint) -> dict[str, str]:
    if auth == "key":
        return {"Authorization": f"Bearer {endpoint.key}"}
    if auth == "invalid":
        return {"Authorization": f"Bearer {INVALID_KEY}"}
    if auth in ("none", "subprotocol"):
        return {}
    return {"Authorization": f"Bearer {auth}"}


def _body(raw: bytes | bytearray) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")[:500]


class _Wire:
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.ws: ClientConnection | None = None
        self.t0 = time.monotonic()

    async def do(self, action: Action) -> Reply:
        if isinstance(action, Connect):
            return await self.connect(action)
        if isinstance(action, Send):
            assert self.ws is not None
            try:
                await self.ws.send(action.text if action.text is not None else action.data or b"")
            except ConnectionClosed:
                pass  # the close shows at the next receive
            return None
        if isinstance(action, Receive):
            return await self.receive(action.timeout_s)
        if isinstance(action, Close):
            await self.close(action.code)
            return None
        if isinstance(action, Sleep):
            await asyncio.sleep(action.seconds)
            return None
        return await self.http(action)

    async def connect(self, action: Connect) -> Handshake:
        await self.close(1000)
        query = f"?{urlencode(action.query)}" if action.query else ""
        url = f"{self.endpoint.ws_base}{action.path}{query}"
        headers = {**_auth_headers(action.auth, self.endpoint), **action.headers}
        protocols = list(action.subprotocols)
        if action.auth == "subprotocol":
            protocols = ["realtime", f"openai-insecure-api-key.{self.endpoint.key}", *protocols]
        try:
            self.ws = await connect(
                url,
                additional_headers=headers,
                subprotocols=[Subprotocol(p) for p in protocols] or None,
                max_size=None,
                compression=None,
                open_timeout=_OPEN_TIMEOUT_S,
                close_timeout=5,
                ping_interval=None,
                proxy=None,
            )
        except InvalidStatus as exc:
            return Handshake(exc.response.status_code, _body(exc.response.body or b""))
        except (OSError, InvalidURI, TimeoutError) as exc:
            return Handshake(0, f"{type(exc).__name__}: {exc}")
        return Handshake(101, None, self.ws.subprotocol)

    async def receive(self, timeout_s: float) -> Received:
        assert self.ws is not None
        now = time.monotonic() - self.t0
        try:
            frame = await asyncio.wait_for(self.ws.recv(), timeout_s)
        except TimeoutError:
            return Received("timeout", time=now)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else 1006
            reason = exc.rcvd.reason if exc.rcvd is not None else ""
            return Received("close", code=code, reason=reason, time=now)
        if isinstance(frame, bytes):
            return Received("binary", text=f"<binary frame of {len(frame)} bytes>", time=now)
        return Received("text", text=frame, time=now)

    async def close(self, code: int) -> None:
        if self.ws is not None:
            ws, self.ws = self.ws, None
            try:
                await ws.close(code)  # aborts the transport after close_timeout
            except (ConnectionClosed, OSError):
                pass

    async def http(self, action: Http) -> HttpReply:
        url = f"{self.endpoint.http_base}{action.path}"
        headers = _auth_headers(action.auth, self.endpoint)
        timeout = aiohttp.ClientTimeout(total=30)
        async with (
            aiohttp.ClientSession(timeout=timeout) as client,
            client.request(action.method, url, json=action.body, headers=headers) as response,
        ):
            return HttpReply(response.status, _body(await response.read()))


async def execute(
    steps: list[dict[str, Any]], connection: Mapping[str, Any], endpoint: Endpoint
) -> Outcome:
    """Run ``steps`` against ``endpoint``; the outcome of the sans-I/O runner."""
    wire = _Wire(endpoint)
    runner = run_steps(steps, connection)
    try:
        action = next(runner)
        while True:
            reply = await wire.do(action)
            action = runner.send(reply)
    except StopIteration as stop:
        outcome: Outcome = stop.value
        return outcome
    finally:
        await wire.close(1000)

"""One proxied connection: frames both ways, the close mirrored, recording and checks aside.

``Relay.run`` pumps the client's socket to the upstream's and back. A pump awaits each send
before it reads the next frame, so a slow side slows its peer through TCP (aiohttp's reader
buffers are bounded); what the pumps hand to the recorder waits in a bounded queue, and a full
queue slows the pumps too: nothing is dropped, merged or reordered, and nothing grows without
bound. The recorder writes each frame to the capture (``CaptureWriter``) and checks it
(``FrameChecker``) after it was forwarded. When one side closes, the other gets the same code
and reason; a connection that dropped (1006) is dropped on the other side too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any, Literal

import aiohttp
from aiohttp import WSMsgType, web

from mockrt.contract.framecheck import Finding, FrameChecker
from mockrt.core.scrub import redact
from mockrt.serve.capture import CaptureWriter

__all__ = ["Relay"]

log = logging.getLogger("mockrt.proxy")
# Close codes that never travel in a close frame (RFC 6455 §7.4.1): the peer is dropped instead.
_NOT_SENDABLE = {1005, 1006, 1015}

Side = Literal["client", "server"]


@dataclass(frozen=True)
class _Frame:
    direction: Side
    at: float
    data: str | bytes


@dataclass(frozen=True)
class _Ended:
    """``direction`` closed the connection with ``code`` and ``reason``."""

    direction: Side
    code: int
    reason: str


@dataclass
class Relay:
    """One proxied connection: two pumps forward frames, a recorder writes and checks them in
    forwarding order from a queue of at most ``queue_size`` frames."""

    writer: CaptureWriter
    checker: FrameChecker | None
    queue_size: int = 256
    findings: list[Finding] = field(default_factory=list)
    max_queued: int = 0  # the most frames that ever waited for the recorder
    t0: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.queue: asyncio.Queue[_Frame | _Ended] = asyncio.Queue(maxsize=self.queue_size)

    async def run(
        self,
        ws: web.WebSocketResponse,
        upstream: aiohttp.ClientWebSocketResponse,
        request: web.Request,
    ) -> None:
        recorder = asyncio.create_task(self._record())
        pumps = {
            asyncio.create_task(self._pump(ws, upstream, "client")),
            asyncio.create_task(self._pump(upstream, ws, "server")),
        }
        try:
            ended: _Ended | None = None
            pending = set(pumps)
            while pending and ended is None:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                ended = next((r for r in (t.result() for t in done) if r is not None), None)
            ended = ended or _Ended("client", 1006, "")
            # Mirror the close: answer the closing side, tell the other side the same.
            if ended.code in _NOT_SENDABLE:
                _drop(upstream, request)
            else:
                message = ended.reason.encode()
                for sock in (ws, upstream):
                    with contextlib.suppress(ConnectionError, RuntimeError):
                        await sock.close(code=ended.code, message=message)
            if pending:
                await asyncio.wait(pending, timeout=5.0)
            await self.queue.put(ended)
            await recorder
        finally:
            for task in (*pumps, recorder):
                task.cancel()
            with contextlib.suppress(BaseException):
                await upstream.close()
            self.writer.finish()

    async def _pump(
        self,
        src: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        dst: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
        direction: Side,
    ) -> _Ended | None:
        """Forward ``src``'s frames to ``dst`` until ``src`` closes; return who closed, how
        (None: ``dst`` went away first, its own pump says how)."""
        while True:
            msg = await src.receive()
            try:
                if msg.type is WSMsgType.TEXT:
                    await dst.send_str(msg.data)
                elif msg.type is WSMsgType.BINARY:
                    await dst.send_bytes(msg.data)
                elif msg.type is WSMsgType.CLOSE:
                    return _Ended(direction, int(msg.data), str(msg.extra or ""))
                elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    return _Ended(direction, 1006, "")
                else:
                    continue
            except (ConnectionError, RuntimeError, aiohttp.ClientError):
                return None
            item = _Frame(direction, time.monotonic() - self.t0, msg.data)
            try:
                self.queue.put_nowait(item)
            except asyncio.QueueFull:
                await self.queue.put(item)  # the recorder is behind: slow down, never drop
            self.max_queued = max(self.max_queued, self.queue.qsize())

    async def _record(self) -> None:
        """Record and check frames in forwarding order, off the forwarding path."""
        while True:
            item = await self.queue.get()
            if isinstance(item, _Ended):
                at = time.monotonic() - self.t0
                self.writer.close(item.direction, at, item.code, item.reason)
                if self.checker is not None:
                    self._report(self.checker.finish(self.writer.journal))
                return
            direction, data = item.direction, item.data
            entry = self.writer.add(direction, item.at, data)
            if self.checker is not None:
                if direction == "client":
                    text = data if isinstance(data, str) else None
                    self._report(self.checker.client(entry.index, text, entry.event))
                else:
                    self._report(self.checker.server(entry.index, entry.event))
            if self.queue.empty():
                self.writer.flush()

    def _report(self, found: list[Finding]) -> None:
        for finding in found:
            log.warning(redact(str(finding)))
        self.findings += found


def _drop(upstream: aiohttp.ClientWebSocketResponse, request: web.Request) -> None:
    """Drop both connections without a close frame, so the other side sees 1006 as well."""
    if request.transport is not None:
        request.transport.abort()
    response: Any = getattr(upstream, "_response", None)  # aiohttp keeps the upgrade response
    connection = getattr(response, "connection", None)
    if connection is not None and connection.transport is not None:
        connection.transport.abort()

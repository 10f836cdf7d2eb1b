"""A WebSocket load generator whose cost per frame is close to nothing.

Client frames are encoded and masked once, up front (RFC 6455 §5.3: a client masks every frame;
nothing says the key must change for a replay, and no server checks it), then written as bytes on
a raw asyncio transport: no WebSocket library, no per-frame allocation beyond the transport's
buffer. The handshake is done by hand. Server frames (unmasked) are parsed just enough to time
them and read their ``type``.

Imports nothing from mockrt: the load generator must not share code with what it measures.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import time
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["Client", "close_all", "connect_many", "frame", "join_frames"]

CLOSE_1000 = b"\x03\xe8"


def frame(payload: bytes | str, opcode: int = 0x1, key: bytes | None = None) -> bytes:
    """One complete masked client frame (FIN set) carrying ``payload``."""
    data = payload.encode() if isinstance(payload, str) else payload
    n = len(data)
    if n < 126:
        header = bytes([0x80 | opcode, 0x80 | n])
    elif n < 1 << 16:
        header = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        header = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    key = key if key is not None else os.urandom(4)
    body = np.frombuffer(data, dtype=np.uint8)
    mask = np.resize(np.frombuffer(key, dtype=np.uint8), n)
    return header + key + (body ^ mask).tobytes()


def join_frames(frames: Sequence[bytes]) -> bytes:
    return b"".join(frames)


Listener = Callable[[str, float], None]


class Client(asyncio.Protocol):
    """One raw WebSocket connection. ``on_event(type, monotonic_time)`` sees each server text
    frame; ``events`` counts them by type."""

    def __init__(self, on_event: Listener | None = None) -> None:
        self.transport: asyncio.Transport | None = None
        self.on_event = on_event
        self.events: dict[str, int] = {}
        self.upgraded: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.waiters: dict[str, asyncio.Future[float]] = {}
        self._buf = bytearray()
        self._upgraded = False
        self.head = b""  # the handshake response's status line and headers
        self._can_write: asyncio.Future[None] | None = None

    # --- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        for fut in (self.upgraded, self.closed, self._can_write, *self.waiters.values()):
            if fut is not None and not fut.done():
                fut.set_exception(ConnectionError("connection lost"))
        for fut in (self.upgraded, self.closed):
            if fut.done() and not fut.cancelled():
                fut.exception()  # retrieved: no "never retrieved" warning

    def pause_writing(self) -> None:
        self._can_write = asyncio.get_running_loop().create_future()

    def resume_writing(self) -> None:
        if self._can_write is not None and not self._can_write.done():
            self._can_write.set_result(None)
        self._can_write = None

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self._buf += data
        if not self._upgraded:
            end = self._buf.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self._buf[:end])
            self.head = head
            del self._buf[: end + 4]
            if not head.startswith(b"HTTP/1.1 101"):
                self.upgraded.set_exception(ConnectionError(head.split(b"\r\n")[0].decode()))
                return
            self._upgraded = True
            self.upgraded.set_result(None)
        self._parse(now)

    def _parse(self, now: float) -> None:
        buf = self._buf
        while len(buf) >= 2:
            opcode = buf[0] & 0x0F
            n = buf[1] & 0x7F
            pos = 2
            if n == 126:
                if len(buf) < 4:
                    return
                n, pos = int.from_bytes(buf[2:4], "big"), 4
            elif n == 127:
                if len(buf) < 10:
                    return
                n, pos = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < pos + n:
                return
            payload = bytes(buf[pos : pos + n])
            del buf[: pos + n]
            if opcode == 0x1:
                kind = str(json.loads(payload).get("type"))
                self.events[kind] = self.events.get(kind, 0) + 1
                waiter = self.waiters.pop(kind, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(now)
                if self.on_event is not None:
                    self.on_event(kind, now)
            elif opcode == 0x8:
                if not self.closed.done():
                    self.closed.set_result(None)
            elif opcode == 0x9:  # ping: answer with a pong carrying the same data
                self.write(frame(payload, 0xA))

    # --- use -----------------------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    async def drain(self) -> None:
        if self._can_write is not None:
            await self._can_write

    @property
    def paused(self) -> bool:
        return self._can_write is not None

    def expect(self, kind: str) -> asyncio.Future[float]:
        """A future for the arrival time of the next server event of ``kind``."""
        fut: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiters[kind] = fut
        return fut

    async def close(self, timeout: float = 2.0) -> None:
        """A clean close: close frame 1000, wait (bounded) for the server's, then FIN."""
        if self.transport is None or self.transport.is_closing():
            return
        self.write(frame(CLOSE_1000, 0x8))
        try:
            await asyncio.wait_for(asyncio.shield(self.closed), timeout)
        except (TimeoutError, ConnectionError):
            pass
        self.transport.close()


def _request(port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Authorization: Bearer sk-bench-0000000000\r\n\r\n"
    ).encode()


async def connect(
    port: int,
    first_event: str | None = "session.created",
    on_event: Listener | None = None,
    path: str = "/v1/realtime?intent=transcription",
    configure: bytes | None = None,
) -> Client:
    """Open, upgrade, and (unless ``first_event`` is None) wait for that first server event;
    then, as a client does, send ``configure`` (a ``session.update`` frame) and wait for its
    ``session.updated``."""
    loop = asyncio.get_running_loop()
    _, client = await loop.create_connection(lambda: Client(on_event), "127.0.0.1", port)
    waiter = client.expect(first_event) if first_event else None
    client.write(_request(port, path))
    await client.upgraded
    if waiter is not None:
        await waiter
    if configure is not None:
        updated = client.expect("session.updated")
        client.write(configure)
        await updated
    return client


async def connect_many(
    port: int,
    n: int,
    *,
    batch: int = 50,
    timeout: float = 60.0,
    on_event: Callable[[int], Listener | None] = lambda i: None,
    configure: bytes | None = None,
) -> list[Client]:
    """``n`` sessions, ``batch`` handshakes at a time, each waiting for ``session.created`` (and
    configured with ``configure``); ``on_event(i)`` gives session i its listener."""
    clients: list[Client] = []

    async def opened() -> None:
        for start in range(0, n, batch):
            batch_of = range(start, min(n, start + batch))
            clients.extend(
                await asyncio.gather(
                    *(connect(port, on_event=on_event(i), configure=configure) for i in batch_of)
                )
            )

    try:
        await asyncio.wait_for(opened(), timeout)
    except BaseException:
        await close_all(clients)
        raise
    return clients


async def close_all(clients: Sequence[Client], timeout: float = 5.0) -> None:
    if clients:
        await asyncio.wait_for(
            asyncio.gather(*(c.close() for c in clients), return_exceptions=True), timeout + 2
        )

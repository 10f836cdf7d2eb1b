"""The validating proxy: an app connects to it as to the mock; every frame goes to the upstream.

``create_proxy_app(config)`` serves the mock's URLs (``GET /v1/realtime?...`` WebSocket, REST
``POST /v1/realtime/client_secrets``, the beta ``/v1/realtime/transcription_sessions`` and any
other ``/v1/...`` route) and forwards each to ``config.upstream`` (``wss://api.openai.com``, or
another mockrt). Frames are forwarded both ways as they come: never dropped, merged or reordered,
text as text and binary as binary; a close code and reason reaches the other side unchanged (a
dropped connection, 1006, is dropped on the other side too). Back-pressure: a pump awaits each
send before it reads the next frame, so a slow side slows its peer through TCP; what the pumps
hand to the recorder waits in a bounded queue, and a full queue slows the pumps too.

After forwarding, a background step per connection records the frame (``CaptureWriter``: the
journal's JSON Lines, keys redacted, audio in a .wav beside it) and checks it
(``FrameChecker``: the core's client rules, schemas/, the lifecycle invariants at the end).
The client's key goes upstream (or ``upstream_key`` replaces it) and is never written or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import WSMsgType, web

from mockrt.contract.framecheck import Finding, FrameChecker
from mockrt.core.journal import redact
from mockrt.serve.capture import CaptureWriter

__all__ = ["ProxyConfig", "ProxyState", "PROXY", "Route", "create_proxy_app", "upstream_url"]

log = logging.getLogger("mockrt.proxy")

# Headers that belong to one hop (RFC 9110 §7.6.1) or to the WebSocket handshake of one hop.
_HOP = set(
    "host connection upgrade keep-alive transfer-encoding content-length te trailer "
    "proxy-authorization sec-websocket-key sec-websocket-version sec-websocket-extensions "
    "sec-websocket-protocol sec-websocket-accept accept-encoding".split()
)
_KEY_PROTOCOL = "openai-insecure-api-key."
# Close codes that never travel in a close frame (RFC 6455 §7.4.1): the peer is dropped instead.
_NOT_SENDABLE = {1005, 1006, 1015}
_REFUSAL: contextvars.ContextVar[list[tuple[int, str, bytes]]] = contextvars.ContextVar(
    "mockrt_proxy_refusal"
)


@dataclass(frozen=True)
class Route:
    """Where one connection goes: ``upstream`` (a ws:// or wss:// base), and whether it is
    recorded into the proxy's record directory."""

    upstream: str
    record: bool = True


@dataclass
class ProxyConfig:
    """What ``mockrt proxy`` configures. ``route`` (record modes, ``mockrt.serve.cassette``)
    may send a connection elsewhere than ``upstream``, e.g. to a mock replaying a capture."""

    upstream: str
    record_dir: Path | None = None
    upstream_key: str | None = None  # replaces the client's key upstream (never logged)
    schemas: Path | None = None
    check: bool = True
    queue_size: int = 256  # frames waiting for the recorder, per connection
    max_frame_bytes: int = 32 * 1024 * 1024
    route: Callable[[int], Awaitable[Route]] | None = None
    rest_route: Callable[[], Awaitable[str]] | None = None  # the base REST calls go to


@dataclass
class ProxyState:
    config: ProxyConfig
    http: aiohttp.ClientSession | None = None
    connections: int = 0
    captures: list[Path] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    max_queued: int = 0  # the most frames that ever waited for the recorder
    open: set[web.WebSocketResponse] = field(default_factory=set)
    handlers: set[asyncio.Task[Any]] = field(default_factory=set)

    async def settle(self) -> None:
        """Wait until every connection handled so far has closed and written its capture."""
        while self.handlers:
            await asyncio.wait(set(self.handlers))


PROXY = web.AppKey("mockrt_proxy", ProxyState)


def create_proxy_app(config: ProxyConfig) -> web.Application:
    """The proxy's aiohttp application."""
    app = web.Application(client_max_size=config.max_frame_bytes)
    app[PROXY] = ProxyState(config)
    app.router.add_get("/healthz", _healthz)
    app.router.add_route("*", "/v1/{tail:.*}", _dispatch)
    app.on_startup.append(_open_http)
    app.on_shutdown.append(_close_sockets)
    app.on_cleanup.append(_close_http)
    return app


def upstream_url(base: str, path_qs: str, scheme: Literal["ws", "http"] = "ws") -> str:
    """``base`` (``wss://api.openai.com``, ``ws://127.0.0.1:8000``, maybe with a path prefix)
    joined with the request's path and query; ``scheme="http"`` gives the REST form."""
    base = base.rstrip("/")
    if scheme == "http":
        base = base.replace("wss://", "https://", 1).replace("ws://", "http://", 1)
    if base.endswith("/v1") and path_qs.startswith("/v1/"):
        base = base[: -len("/v1")]
    return base + path_qs


async def _healthz(request: web.Request) -> web.Response:
    state = request.app[PROXY]
    return web.json_response({"status": "ok", "connections": state.connections})


async def _keep_refusal(
    req: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """Client middleware: a refused upgrade's body is read before aiohttp raises, so the
    proxy can hand the client the upstream's own answer (status, type, body)."""
    resp = await handler(req)
    box = _REFUSAL.get(None)
    if box is not None and resp.status != 101:
        box.append((resp.status, resp.content_type, await resp.read()))
    return resp


async def _open_http(app: web.Application) -> None:
    app[PROXY].http = aiohttp.ClientSession(middlewares=(_keep_refusal,), auto_decompress=False)


async def _close_http(app: web.Application) -> None:
    state = app[PROXY]
    if state.http is not None:
        await state.http.close()


async def _close_sockets(app: web.Application) -> None:
    for ws in list(app[PROXY].open):
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.close(code=aiohttp.WSCloseCode.GOING_AWAY, message=b"proxy shutting down")


def _forward_headers(request: web.Request, key: str | None) -> dict[str, str]:
    headers = {k: v for k, v in request.headers.items() if k.lower() not in _HOP}
    if key is not None:
        headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
        headers["Authorization"] = f"Bearer {key}"
    return headers


async def _dispatch(request: web.Request) -> web.StreamResponse:
    upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
    if upgrade and request.method == "GET" and request.path == "/v1/realtime":
        return await _realtime(request)
    return await _rest(request)


async def _rest(request: web.Request) -> web.Response:
    """Any other ``/v1/...`` call (client_secrets, the beta transcription_sessions): forwarded
    with its body and the client's key (or the proxy's), answered with the upstream's answer."""
    state = request.app[PROXY]
    assert state.http is not None
    base = await state.config.rest_route() if state.config.rest_route else state.config.upstream
    url = upstream_url(base, request.path_qs, "http")
    headers = _forward_headers(request, state.config.upstream_key)
    try:
        async with state.http.request(
            request.method, url, headers=headers, data=await request.read()
        ) as resp:
            body = await resp.read()
            log.info("%s %s -> %d", request.method, request.path, resp.status)
            kept = {k: v for k, v in resp.headers.items() if k.lower() not in _HOP}
            return web.Response(status=resp.status, body=body, headers=kept)
    except aiohttp.ClientError as exc:
        return _unreachable(exc)


def _unreachable(exc: BaseException) -> web.Response:
    message = redact(f"mockrt proxy: the upstream cannot be reached: {exc}")
    log.warning(message)
    body = {"error": {"message": message, "type": "proxy_error", "param": None, "code": None}}
    return web.json_response(body, status=502)


async def _realtime(request: web.Request) -> web.StreamResponse:
    state = request.app[PROXY]
    config = state.config
    assert state.http is not None
    number = state.connections = state.connections + 1
    task = asyncio.current_task()
    if task is not None:
        state.handlers.add(task)
        task.add_done_callback(state.handlers.discard)
    route = await config.route(number) if config.route else Route(config.upstream)
    protocols = [
        p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
    ]
    if config.upstream_key is not None:
        protocols = [p for p in protocols if not p.startswith(_KEY_PROTOCOL)]
    url = upstream_url(route.upstream, request.path_qs)
    box: list[tuple[int, str, bytes]] = []
    token = _REFUSAL.set(box)
    try:
        upstream = await state.http.ws_connect(
            url,
            headers=_forward_headers(request, config.upstream_key),
            protocols=protocols,
            autoclose=False,
            autoping=True,
            max_msg_size=config.max_frame_bytes,
            compress=0,
        )
    except aiohttp.WSServerHandshakeError as exc:
        status, content_type, body = box[0] if box else (exc.status, "text/plain", b"")
        log.info("connection %d refused upstream: HTTP %d", number, status)
        return web.Response(status=status, body=body, content_type=content_type)
    except (aiohttp.ClientError, OSError) as exc:
        return _unreachable(exc)
    finally:
        _REFUSAL.reset(token)
    ws = web.WebSocketResponse(
        protocols=(upstream.protocol,) if upstream.protocol else (),
        autoclose=False,
        autoping=True,
        compress=False,
        max_msg_size=config.max_frame_bytes,
    )
    await ws.prepare(request)
    state.open.add(ws)
    beta = "realtime=v1" in request.headers.get("OpenAI-Beta", "").lower() or any(
        p == "openai-beta.realtime-v1" for p in protocols
    )
    stem = f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{number:04d}"
    conn = _Connection(
        state,
        CaptureWriter(config.record_dir if route.record else None, stem),
        FrameChecker(
            transcription=request.query.get("intent") == "transcription",
            persona="beta" if beta else "ga",
            directory=config.schemas,
        )
        if config.check
        else None,
        asyncio.Queue(maxsize=config.queue_size),
    )
    try:
        await conn.run(ws, upstream, request)
    finally:
        state.open.discard(ws)
        path = conn.writer.path
        if path is not None and path.exists():
            state.captures.append(path)
    return ws


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
class _Connection:
    state: ProxyState
    writer: CaptureWriter
    checker: FrameChecker | None
    queue: asyncio.Queue[_Frame | _Ended]
    t0: float = field(default_factory=time.monotonic)

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
            self.state.max_queued = max(self.state.max_queued, self.queue.qsize())

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
        self.state.findings += found


def _drop(upstream: aiohttp.ClientWebSocketResponse, request: web.Request) -> None:
    """Drop both connections without a close frame, so the other side sees 1006 as well."""
    if request.transport is not None:
        request.transport.abort()
    response: Any = getattr(upstream, "_response", None)  # aiohttp keeps the upgrade response
    connection = getattr(response, "connection", None)
    if connection is not None and connection.transport is not None:
        connection.transport.abort()

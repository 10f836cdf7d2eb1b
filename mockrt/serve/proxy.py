"""The validating proxy: an app connects to it as to the mock; every frame goes to the upstream.

``create_proxy_app(config)`` serves the mock's URLs (``GET /v1/realtime?...`` WebSocket, REST
``POST /v1/realtime/client_secrets``, the beta ``/v1/realtime/transcription_sessions`` and any
other ``/v1/...`` route) and forwards each to ``config.upstream`` (``wss://api.openai.com``, or
another mockrt). The WebSocket handshake goes upstream first, so a refusal reaches the client
with the upstream's own status and body, and the subprotocol the upstream chose is the one the
client gets; then ``mockrt.serve.relay.Relay`` forwards the frames both ways unchanged, mirrors
the close, and records (``CaptureWriter``: the journal's JSON Lines, keys redacted, audio in a
.wav beside it) and checks (``FrameChecker``: the core's client rules, schemas/, the lifecycle
invariants at the end) each frame after it was forwarded. The client's key goes upstream (or
``upstream_key`` replaces it) and is never written or logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import aiohttp
from aiohttp import web

from mockrt.contract.framecheck import Finding, FrameChecker
from mockrt.core.scrub import add_secrets, redact
from mockrt.serve.capture import CaptureWriter
from mockrt.serve.relay import Relay

__all__ = ["ProxyConfig", "ProxyState", "PROXY", "Route", "create_proxy_app", "upstream_url"]

log = logging.getLogger("mockrt.proxy")

# Headers that belong to one hop (RFC 9110 §7.6.1) or to the WebSocket handshake of one hop.
_HOP = set(
    "host connection upgrade keep-alive transfer-encoding content-length te trailer "
    "proxy-authorization sec-websocket-key sec-websocket-version sec-websocket-extensions "
    "sec-websocket-protocol sec-websocket-accept accept-encoding".split()
)
_KEY_PROTOCOL = "openai-insecure-api-key."
_REFUSAL: contextvars.ContextVar[list[tuple[int, str, bytes]]] = contextvars.ContextVar(
    "mockrt_proxy_refusal"
)


@dataclass(frozen=True)
class Route:
    """Where one connection goes: ``upstream`` (a ws:// or wss:// base), and whether it is
    recorded into the proxy's record directory; ``refusal`` set: nowhere, HTTP 502 saying so."""

    upstream: str
    record: bool = True
    refusal: str | None = None


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
    if config.upstream_key is not None:
        add_secrets([config.upstream_key])
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
    bearer = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    offered = [p.strip() for p in request.headers.get("Sec-WebSocket-Protocol", "").split(",")]
    # sk-/ek_ keys are cut by redact() anyway; a key of any other form (a gateway's) is added
    # to the secrets, so it is cut from every capture line and log line too.
    keys = [bearer, *(p[len(_KEY_PROTOCOL) :] for p in offered if p.startswith(_KEY_PROTOCOL))]
    add_secrets(k for k in keys if not k.startswith(("sk-", "ek_")))
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
    return _refused(f"the upstream cannot be reached: {exc}")


def _refused(reason: str) -> web.Response:
    message = redact(f"mockrt proxy: {reason}")
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
    if route.refusal is not None:
        return _refused(route.refusal)
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
    relay = Relay(
        CaptureWriter(config.record_dir if route.record else None, stem),
        FrameChecker(
            transcription=request.query.get("intent") == "transcription",
            persona="beta" if beta else "ga",
            directory=config.schemas,
        )
        if config.check
        else None,
        config.queue_size,
    )
    try:
        await relay.run(ws, upstream, request)
    finally:
        state.open.discard(ws)
        state.findings += relay.findings
        state.max_queued = max(state.max_queued, relay.max_queued)
        path = relay.writer.path
        if path is not None and path.exists():
            state.captures.append(path)
    return ws

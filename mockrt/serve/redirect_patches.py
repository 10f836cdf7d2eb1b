"""The patches of ``mockrt.serve.redirect``, one per client library module, and the socket guard.

Each ``patch(redirect, module)`` replaces one method through ``redirect._replace`` (undone by
``Redirect.uninstall``) so that the URL passes ``redirect.route`` before the library connects.
Also the names both share: ``NetworkBlocked``, ``REDIRECTED_HOSTS``, ``is_loopback``. Imports only
the standard library and ``mockrt.core.exceptions``; never a client library (each is handed in
once imported) nor ``mockrt.serve.redirect`` (which imports this).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any, Protocol

from mockrt.core.exceptions import MockRTError

__all__ = [
    "PATCHES",
    "REDIRECTED_HOSTS",
    "NetworkBlocked",
    "Router",
    "guard_sockets",
    "is_loopback",
]

REDIRECTED_HOSTS = frozenset({"api.openai.com"})


class NetworkBlocked(MockRTError, ConnectionRefusedError):
    """A connection to a host other than the mock was refused (``block_network``)."""


def is_loopback(host: str | None) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


class Router(Protocol):
    """What a patch needs of ``mockrt.serve.redirect.Redirect``."""

    def route(self, url: str, library: str) -> str | None: ...

    def refuse(self, library: str, url: str, message: str) -> NetworkBlocked: ...

    def _replace(self, owner: Any, name: str, new: Any) -> None: ...


def _patch_httpx(redirect: Router, module: Any) -> None:
    library = module.__name__
    sync_send = module.HTTPTransport.handle_request
    async_send = module.AsyncHTTPTransport.handle_async_request

    def rewrite(request: Any) -> None:
        try:
            new = redirect.route(str(request.url), library)
        except NetworkBlocked as exc:
            raise module.ConnectError(str(exc), request=request) from exc
        if new is not None:
            request.url = module.URL(new)

    def handle_request(self: Any, request: Any) -> Any:
        rewrite(request)
        return sync_send(self, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        rewrite(request)
        return await async_send(self, request)

    redirect._replace(module.HTTPTransport, "handle_request", handle_request)
    redirect._replace(module.AsyncHTTPTransport, "handle_async_request", handle_async_request)


def _patch_aiohttp(redirect: Router, module: Any) -> None:
    original = module.ClientSession._request

    async def _request(self: Any, method: str, str_or_url: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            new = redirect.route(str(str_or_url), "aiohttp")
        except NetworkBlocked as exc:
            raise module.ClientConnectionError(str(exc)) from exc
        if new is not None:
            str_or_url = new
            kwargs["proxy"] = None
            kwargs.pop("server_hostname", None)
        return await original(self, method, str_or_url, *args, **kwargs)

    redirect._replace(module.ClientSession, "_request", _request)


def _patch_requests(redirect: Router, module: Any) -> None:
    original = module.HTTPAdapter.send

    def send(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            new = redirect.route(str(request.url), "requests")
        except NetworkBlocked as exc:
            raise module.ConnectionError(str(exc), request=request) from exc
        if new is not None:
            request.url = new
            kwargs["proxies"] = {}
        return original(self, request, *args, **kwargs)

    redirect._replace(module.HTTPAdapter, "send", send)


def _patch_websockets_asyncio(redirect: Router, module: Any) -> None:
    original = module.connect.create_connection

    async def create_connection(self: Any) -> Any:
        new = redirect.route(str(self.uri), "websockets")
        if new is not None:
            self.uri, self.proxy = new, None
            for key in ("ssl", "server_hostname"):
                self.connection_kwargs.pop(key, None)
        return await original(self)

    redirect._replace(module.connect, "create_connection", create_connection)


def _patch_websockets_legacy(redirect: Router, module: Any) -> None:
    original = module.Connect.__init__

    def __init__(self: Any, uri: str, *args: Any, **kwargs: Any) -> None:
        new = redirect.route(str(uri), "websockets.legacy")
        if new is not None:
            uri = new
            for key in ("ssl", "server_hostname"):
                kwargs.pop(key, None)
        original(self, uri, *args, **kwargs)

    redirect._replace(module.Connect, "__init__", __init__)


def _patch_websockets_sync(redirect: Router, module: Any) -> None:
    original = module.connect

    def connect(uri: str, *args: Any, **kwargs: Any) -> Any:
        new = redirect.route(str(uri), "websockets.sync")
        if new is not None:
            uri, kwargs["proxy"] = new, None
            for key in ("ssl", "server_hostname"):
                kwargs.pop(key, None)
        return original(uri, *args, **kwargs)

    redirect._replace(module, "connect", connect)


def _patch_websocket_client(redirect: Router, module: Any) -> None:
    original = module.WebSocket.connect

    def connect(self: Any, url: str, **options: Any) -> Any:
        new = redirect.route(str(url), "websocket-client")
        if new is not None:
            url = new
            for key in ("http_proxy_host", "http_proxy_port", "proxy_type"):
                options.pop(key, None)
            options["http_no_proxy"] = ["127.0.0.1", "localhost"]
        return original(self, url, **options)

    redirect._replace(module.WebSocket, "connect", connect)


PATCHES: dict[str, Callable[[Router, Any], None]] = {
    "httpx": _patch_httpx,
    "httpx2": _patch_httpx,
    "aiohttp": _patch_aiohttp,
    "requests.adapters": _patch_requests,
    "websockets.asyncio.client": _patch_websockets_asyncio,
    "websockets.legacy.client": _patch_websockets_legacy,
    "websockets.sync.client": _patch_websockets_sync,
    "websocket._core": _patch_websocket_client,  # websocket-client (OpenAI's docs examples)
}


def guard_sockets(redirect: Router, *, block: bool) -> None:
    """Always: a name lookup of api.openai.com means a library the patches above do not cover,
    so it is refused rather than sent live. With ``block``: refuse every non-loopback connect and
    name lookup, whichever library (or none) tries; the patches give the readable URL first."""
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not is_loopback(str(address[0])):
            url = f"tcp://{address[0]}:{address[1]}"
            message = f"mockrt: network blocked: a connection to {url[6:]}"
            raise redirect.refuse("socket", url, message)

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if isinstance(name, str) and name.lower().rstrip(".") in REDIRECTED_HOSTS:
            raise redirect.refuse(
                "socket",
                f"dns://{name}",
                f"mockrt: {name} was looked up by a client library the redirect does not cover "
                "(covered: httpx, httpx2, aiohttp, requests, websockets, websocket-client); "
                "point it at the mock with OPENAI_BASE_URL or MOCKRT_URL (--no-redirect)",
            )
        if block and not is_loopback(name):
            message = f"mockrt: network blocked: a name lookup of {name}"
            raise redirect.refuse("socket", f"dns://{name}", message)
        return getaddrinfo(host, *args, **kwargs)

    redirect._replace(socket, "getaddrinfo", guarded_getaddrinfo)
    if block:
        redirect._replace(socket.socket, "connect", guarded_connect)
        redirect._replace(socket.socket, "connect_ex", guarded_connect_ex)

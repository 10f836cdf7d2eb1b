"""Redirect of api.openai.com to the mock, inside a Python process, for unchanged programs.

    async with MockRealtimeServer() as server:
        with mockrt_redirect(server, block_network=True) as redirect:
            await program_with_hard_coded_urls()      # wss://api.openai.com/v1/realtime?...
        redirect.records  # what was redirected (original URL), passed or refused
        redirect.journal()  # the same as "connection" journal entries

Every ``http(s)://api.openai.com/…`` and ``ws(s)://api.openai.com/…`` connection goes to the
mock's loopback origin, path and query kept, whichever of these opens it: httpx and httpx2
(transports, sync and async: the openai SDK), aiohttp (``ClientSession._request``, which
``ws_connect`` uses too: LiveKit), requests (``HTTPAdapter.send``), websockets (the asyncio client's
``create_connection``, the legacy client's ``Connect``, the sync client). The client still
believes it talks to api.openai.com (LiveKit adds ``?model=`` only for other hosts). Loopback
traffic passes silently; any other host is left alone and recorded, or with ``block_network``
refused with ``NetworkBlocked`` (then a socket-level guard also refuses every non-loopback
``connect`` and name lookup, whatever library tries). Libraries are patched when imported
(a post-import hook), so installing costs nothing for libraries a program never uses.

In a child process the hook in ``mockrt/serve/_hook/`` (a ``sitecustomize`` put first on
``PYTHONPATH`` by ``hook_env``) loads this file by path and calls ``install_from_env()``; records
are appended as JSON lines to ``MOCKRT_REDIRECT_LOG``. Hence this module imports only the standard
library at module level (mockrt may not be importable in the child's Python). Must never import
aiohttp, websockets, httpx or requests at module level.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import ipaddress
import json
import os
import socket
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

try:
    from mockrt.core.exceptions import MockRTError as _Base
except ImportError:  # loaded by the child hook in a Python without mockrt
    _Base = Exception  # type: ignore[misc,assignment]

__all__ = [
    "ENV_BLOCK",
    "ENV_LOG",
    "ENV_URL",
    "HOOK_DIR",
    "NetworkBlocked",
    "Record",
    "Redirect",
    "hook_env",
    "install_from_env",
    "mockrt_redirect",
    "read_log",
    "summary_lines",
    "to_journal",
]

ENV_URL = "MOCKRT_REDIRECT_URL"  # http://127.0.0.1:PORT: the mock's origin
ENV_BLOCK = "MOCKRT_BLOCK_NETWORK"  # "1": refuse every other non-loopback host
ENV_LOG = "MOCKRT_REDIRECT_LOG"  # a JSON Lines file the child appends its records to
HOOK_DIR = Path(__file__).with_name("_hook")
REDIRECTED_HOSTS = frozenset({"api.openai.com"})

Action = Literal["redirected", "passed", "blocked"]


class NetworkBlocked(_Base, ConnectionRefusedError):
    """A connection to a host other than the mock was refused (``block_network``)."""


@dataclass(frozen=True)
class Record:
    """One connection the redirect saw: ``url`` as the program asked for it, ``to`` where it
    went when redirected."""

    time: float  # time.time()
    library: str
    action: Action
    url: str
    to: str | None = None
    pid: int = field(default_factory=os.getpid)

    @property
    def host(self) -> str:
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port}" if parts.port else str(parts.hostname)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def to_journal(records: Sequence[Record], started: float) -> Any:
    """``records`` as a ``Journal`` of ``"connection"`` entries (times relative to ``started``,
    a ``time.time()``), for the journal file and reports."""
    from mockrt.core.journal import Entry, Journal

    journal = Journal()
    for index, record in enumerate(records):
        event = {"type": "mockrt.redirect", **record.to_json()}
        journal.add(Entry("connection", max(0.0, record.time - started), "", event, index))
    return journal


def _is_loopback(host: str | None) -> bool:
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


class Redirect:
    """The routing decision, the records, and the patches while installed."""

    def __init__(
        self, target: str, *, block_network: bool = False, log_path: str | Path | None = None
    ) -> None:
        parts = urlsplit(target if "//" in target else f"http://{target}")
        if parts.hostname is None or parts.port is None or not _is_loopback(parts.hostname):
            raise ValueError(f"the mock's origin must be a loopback http://HOST:PORT: {target!r}")
        self.host, self.port = parts.hostname, parts.port
        self.block_network = block_network
        self.log_path = Path(log_path) if log_path is not None else None
        self.records: list[Record] = []
        self._lock = threading.Lock()
        self._undo: list[Callable[[], None]] = []
        self._finder: _PostImport | None = None

    # --- routing ---------------------------------------------------------------------------

    def route(self, url: str, library: str) -> str | None:
        """Where ``url`` goes: the mock's URL when redirected, None when left alone.
        Raises ``NetworkBlocked`` for another non-loopback host under ``block_network``."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if parts.scheme not in ("http", "https", "ws", "wss") or _is_loopback(host):
            return None
        if host in REDIRECTED_HOSTS:
            scheme = "ws" if parts.scheme in ("ws", "wss") else "http"
            new = urlunsplit((scheme, f"{self.host}:{self.port}", parts.path, parts.query, ""))
            self._record(Record(time.time(), library, "redirected", url, new))
            return new
        if self.block_network:
            self._record(Record(time.time(), library, "blocked", url))
            raise NetworkBlocked(
                f"mockrt: network blocked: {library} tried to reach {url.split('?')[0]} "
                "(only api.openai.com, redirected to the mock, and loopback are allowed; "
                "drop --block-network to let it through)"
            )
        self._record(Record(time.time(), library, "passed", url))
        return None

    def _record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(record.to_json()) + "\n")

    def redirected(self) -> list[Record]:
        return [r for r in self.records if r.action == "redirected"]

    def journal(self, started: float = 0.0) -> Any:
        """The records as a ``mockrt.core.journal.Journal`` of ``"connection"`` entries."""
        return to_journal(self.records, started or (self.records[0].time if self.records else 0))

    def other_hosts(self) -> list[str]:
        """Non-loopback hosts other than api.openai.com the program tried, in order."""
        return list(dict.fromkeys(r.host for r in self.records if r.action != "redirected"))

    # --- installing ------------------------------------------------------------------------

    def install(self) -> Redirect:
        if self._finder is not None:
            raise RuntimeError("this Redirect is already installed")
        self._finder = _PostImport(self)
        sys.meta_path.insert(0, self._finder)
        for module, patch in _PATCHES.items():
            if module in sys.modules:
                self._finder.patched.add(module)
                patch(self, sys.modules[module])
        if self.block_network:
            _guard_sockets(self)
        return self

    def uninstall(self) -> None:
        if self._finder is not None:
            with contextlib.suppress(ValueError):
                sys.meta_path.remove(self._finder)
            self._finder = None
        while self._undo:
            self._undo.pop()()

    def _replace(self, owner: Any, name: str, new: Any) -> None:
        old = owner.__dict__[name] if name in vars(owner) else getattr(owner, name)
        setattr(owner, name, new)
        self._undo.append(lambda: setattr(owner, name, old))

    def __enter__(self) -> Redirect:
        return self.install()

    def __exit__(self, *exc: object) -> None:
        self.uninstall()


@contextlib.contextmanager
def mockrt_redirect(server: Any, *, block_network: bool = False) -> Iterator[Redirect]:
    """Redirect api.openai.com to ``server`` (a ``MockRealtimeServer``, or its origin as
    ``http://127.0.0.1:PORT``) in this process while the block runs."""
    target = server if isinstance(server, str) else f"http://127.0.0.1:{server.port}"
    with Redirect(target, block_network=block_network) as redirect:
        yield redirect


class _PostImport(importlib.abc.MetaPathFinder):
    """Patches a client library right after it is imported."""

    def __init__(self, redirect: Redirect) -> None:
        self.redirect = redirect
        self.patched: set[str] = set()
        self._busy: set[str] = set()

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in _PATCHES or name in self.patched or name in self._busy:
            return None
        self._busy.add(name)
        try:
            import importlib.util

            spec = importlib.util.find_spec(name)
        finally:
            self._busy.discard(name)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        loader, finder = spec.loader, self

        class _Loader(importlib.abc.Loader):
            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                if finder.redirect._finder is finder and name not in finder.patched:
                    finder.patched.add(name)
                    _PATCHES[name](finder.redirect, module)

        spec.loader = _Loader()
        return spec


# --- the patches, one per library module -----------------------------------------------------


def _patch_httpx(redirect: Redirect, module: Any) -> None:
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


def _patch_aiohttp(redirect: Redirect, module: Any) -> None:
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


def _patch_requests(redirect: Redirect, module: Any) -> None:
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


def _patch_websockets_asyncio(redirect: Redirect, module: Any) -> None:
    original = module.connect.create_connection

    async def create_connection(self: Any) -> Any:
        new = redirect.route(str(self.uri), "websockets")
        if new is not None:
            self.uri, self.proxy = new, None
            for key in ("ssl", "server_hostname"):
                self.connection_kwargs.pop(key, None)
        return await original(self)

    redirect._replace(module.connect, "create_connection", create_connection)


def _patch_websockets_legacy(redirect: Redirect, module: Any) -> None:
    original = module.Connect.__init__

    def __init__(self: Any, uri: str, *args: Any, **kwargs: Any) -> None:
        new = redirect.route(str(uri), "websockets.legacy")
        if new is not None:
            uri = new
            for key in ("ssl", "server_hostname"):
                kwargs.pop(key, None)
        original(self, uri, *args, **kwargs)

    redirect._replace(module.Connect, "__init__", __init__)


def _patch_websockets_sync(redirect: Redirect, module: Any) -> None:
    original = module.connect

    def connect(uri: str, *args: Any, **kwargs: Any) -> Any:
        new = redirect.route(str(uri), "websockets.sync")
        if new is not None:
            uri, kwargs["proxy"] = new, None
            for key in ("ssl", "server_hostname"):
                kwargs.pop(key, None)
        return original(uri, *args, **kwargs)

    redirect._replace(module, "connect", connect)


_PATCHES: dict[str, Callable[[Redirect, Any], None]] = {
    "httpx": _patch_httpx,
    "httpx2": _patch_httpx,
    "aiohttp": _patch_aiohttp,
    "requests.adapters": _patch_requests,
    "websockets.asyncio.client": _patch_websockets_asyncio,
    "websockets.legacy.client": _patch_websockets_legacy,
    "websockets.sync.client": _patch_websockets_sync,
}


def _guard_sockets(redirect: Redirect) -> None:
    """``block_network``: refuse every non-loopback connect and name lookup, whichever library
    (or none) tries; the per-library patches above give the readable URL first."""
    connect, connect_ex, getaddrinfo = (
        socket.socket.connect,
        socket.socket.connect_ex,
        socket.getaddrinfo,
    )

    def check(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _is_loopback(str(address[0])):
            url = f"tcp://{address[0]}:{address[1]}"
            redirect._record(Record(time.time(), "socket", "blocked", url))
            raise NetworkBlocked(f"mockrt: network blocked: a connection to {url[6:]}")

    def guarded_connect(self: socket.socket, address: Any) -> None:
        check(self, address)
        connect(self, address)

    def guarded_connect_ex(self: socket.socket, address: Any) -> int:
        check(self, address)
        return connect_ex(self, address)

    def guarded_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if not _is_loopback(name):
            redirect._record(Record(time.time(), "socket", "blocked", f"dns://{name}"))
            raise NetworkBlocked(f"mockrt: network blocked: a name lookup of {name}")
        return getaddrinfo(host, *args, **kwargs)

    redirect._replace(socket.socket, "connect", guarded_connect)
    redirect._replace(socket.socket, "connect_ex", guarded_connect_ex)
    redirect._replace(socket, "getaddrinfo", guarded_getaddrinfo)


# --- child processes -------------------------------------------------------------------------


def hook_env(
    environ: dict[str, str], origin: str, *, block_network: bool, log_path: str | Path
) -> dict[str, str]:
    """``environ`` plus what makes a child Python install the redirect at start-up."""
    env = dict(environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOK_DIR), path) if p)
    env[ENV_URL] = origin
    env[ENV_LOG] = str(log_path)
    if block_network:
        env[ENV_BLOCK] = "1"
    else:
        env.pop(ENV_BLOCK, None)
    for name in ("NO_PROXY", "no_proxy"):  # the mock is never reached through a proxy
        env[name] = ",".join(p for p in (env.get(name, ""), "127.0.0.1,localhost") if p)
    return env


def install_from_env(environ: dict[str, str] | None = None) -> Redirect | None:
    """What the child hook calls: install the redirect when ``MOCKRT_REDIRECT_URL`` is set."""
    env = os.environ if environ is None else environ
    origin = env.get(ENV_URL)
    if not origin:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        redirect = Redirect(
            origin, block_network=env.get(ENV_BLOCK) == "1", log_path=env.get(ENV_LOG) or None
        )
    return redirect.install()


def read_log(path: str | Path) -> list[Record]:
    """The records children appended to ``path`` (none when it does not exist)."""
    records: list[Record] = []
    with contextlib.suppress(FileNotFoundError), Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                records.append(Record(**json.loads(line)))
    return records


def summary_lines(records: Sequence[Record]) -> list[str]:
    """One line per record, for people: ``websockets: wss://api.openai.com/… -> ws://…``."""
    out = []
    for r in records:
        to = f" -> {r.to}" if r.to else f" ({'refused' if r.action == 'blocked' else 'left alone'})"
        out.append(f"{r.library}: {r.url}{to}")
    return out

"""Redirect of api.openai.com to the mock, inside a Python process, for unchanged programs.

    async with MockRealtimeServer() as server:
        with mockrt_redirect(server, block_network=True) as redirect:
            await program_with_hard_coded_urls()      # wss://api.openai.com/v1/realtime?...
        redirect.records  # what was redirected (original URL), passed or refused

Every ``http(s)://api.openai.com/…`` and ``ws(s)://api.openai.com/…`` connection goes to the
mock's loopback origin, path and query kept, whichever of these opens it: httpx and httpx2
(transports, sync and async: the openai SDK), aiohttp (``ClientSession._request``, which
``ws_connect`` uses too: LiveKit), requests (``HTTPAdapter.send``), websockets (the asyncio client's
``create_connection``, the legacy client's ``Connect``, the sync client), websocket-client
(``WebSocket.connect``, under ``WebSocketApp`` too). A name lookup of api.openai.com by any other
library is refused, so nothing reaches the live API unnoticed. The client still
believes it talks to api.openai.com (LiveKit adds ``?model=`` only for other hosts). Loopback
traffic passes silently; any other host is left alone and recorded, or with ``block_network``
refused with ``NetworkBlocked`` (then a socket-level guard also refuses every non-loopback
``connect`` and name lookup, whatever library tries). Libraries are patched when imported
(a post-import hook), so installing costs nothing for libraries a program never uses.

In a child process the hook in ``mockrt/serve/_hook/`` (a ``sitecustomize`` put first on
``PYTHONPATH`` by ``mockrt.serve.redirect_hook.hook_env``) imports this module (from mockrt's own
location when the child's Python lacks mockrt) and calls ``install_from_env()``; records are
appended as JSON lines to ``MOCKRT_REDIRECT_LOG``. Hence this module and ``redirect_patches``
import only the standard library and ``mockrt.core.exceptions``; never a client library.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from mockrt.serve.redirect_patches import (
    PATCHES,
    REDIRECTED_HOSTS,
    NetworkBlocked,
    Router,
    guard_sockets,
    is_loopback,
)

__all__ = [
    "ENV_BLOCK",
    "ENV_LOG",
    "ENV_URL",
    "HOOK_DIR",
    "Record",
    "Redirect",
    "install_from_env",
    "mockrt_redirect",
]

ENV_URL = "MOCKRT_REDIRECT_URL"  # http://127.0.0.1:PORT: the mock's origin
ENV_BLOCK = "MOCKRT_BLOCK_NETWORK"  # "1": refuse every other non-loopback host
ENV_LOG = "MOCKRT_REDIRECT_LOG"  # a JSON Lines file the child appends its records to
HOOK_DIR = Path(__file__).with_name("_hook")  # holds the child's sitecustomize.py

Action = Literal["redirected", "passed", "blocked"]


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


class Redirect:
    """The routing decision, the records, and the patches while installed."""

    def __init__(
        self, target: str, *, block_network: bool = False, log_path: str | Path | None = None
    ) -> None:
        parts = urlsplit(target if "//" in target else f"http://{target}")
        if parts.hostname is None or parts.port is None or not is_loopback(parts.hostname):
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
        if parts.scheme not in ("http", "https", "ws", "wss") or is_loopback(host):
            return None
        if host in REDIRECTED_HOSTS:
            scheme = "ws" if parts.scheme in ("ws", "wss") else "http"
            new = urlunsplit((scheme, f"{self.host}:{self.port}", parts.path, parts.query, ""))
            self._record(Record(time.time(), library, "redirected", url, new))
            return new
        if self.block_network:
            raise self.refuse(
                library,
                url,
                f"mockrt: network blocked: {library} tried to reach {url.split('?')[0]} "
                "(only api.openai.com, redirected to the mock, and loopback are allowed; "
                "drop --block-network to let it through)",
            )
        self._record(Record(time.time(), library, "passed", url))
        return None

    def refuse(self, library: str, url: str, message: str) -> NetworkBlocked:
        """Record a refused connection; the error to raise."""
        self._record(Record(time.time(), library, "blocked", url))
        return NetworkBlocked(message)

    def _record(self, record: Record) -> None:
        with self._lock:
            self.records.append(record)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(record.to_json()) + "\n")

    def redirected(self) -> list[Record]:
        return [r for r in self.records if r.action == "redirected"]

    def other_hosts(self) -> list[str]:
        """Non-loopback hosts other than api.openai.com the program tried, in order."""
        return list(dict.fromkeys(r.host for r in self.records if r.action != "redirected"))

    # --- installing ------------------------------------------------------------------------

    def install(self) -> Redirect:
        if self._finder is not None:
            raise RuntimeError("this Redirect is already installed")
        self._finder = _PostImport(self, PATCHES)
        sys.meta_path.insert(0, self._finder)
        for module, patch in PATCHES.items():
            if module in sys.modules:
                self._finder.patched.add(module)
                patch(self, sys.modules[module])
        guard_sockets(self, block=self.block_network)
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

    def __init__(self, redirect: Redirect, patches: dict[str, Callable[[Router, Any], None]]):
        self.redirect, self.patches = redirect, patches
        self.patched: set[str] = set()
        self._busy: set[str] = set()

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in self.patches or name in self.patched or name in self._busy:
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
            def __getattr__(self, attr: str) -> Any:  # get_data, resource readers, ...
                return getattr(loader, attr)

            def create_module(self, spec: Any) -> Any:
                return loader.create_module(spec)

            def exec_module(self, module: Any) -> None:
                loader.exec_module(module)
                if finder.redirect._finder is finder and name not in finder.patched:
                    finder.patched.add(name)
                    finder.patches[name](finder.redirect, module)

        spec.loader = _Loader()
        return spec


# --- child processes -------------------------------------------------------------------------


def install_from_env(environ: dict[str, str] | None = None) -> Redirect | None:
    """What the child hook calls: install the redirect when ``MOCKRT_REDIRECT_URL`` is set."""
    env = os.environ if environ is None else environ
    origin = env.get(ENV_URL)
    if not origin:
        return None
    redirect = Redirect(
        origin, block_network=env.get(ENV_BLOCK) == "1", log_path=env.get(ENV_LOG) or None
    )
    return redirect.install()

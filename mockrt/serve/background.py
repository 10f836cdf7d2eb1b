"""BackgroundMockServer: the mock on a background thread, for synchronous tests and clients.

    with BackgroundMockServer() as server:          # or .from_options(script="hello.yaml")
        run_my_sync_client(server.url, api_key=server.api_key)
        server.journal.assert_received("input_audio_buffer.commit", count=1)
        server.reset()                              # next test starts afresh

The thread runs its own event loop with a ``MockRealtimeServer`` on 127.0.0.1; every method runs
on that loop (``run_coroutine_threadsafe``), so reading the journal from the test's thread never
races the server. Works with or without pytest-asyncio and from inside another running loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from mockrt.core.journal import Journal
from mockrt.core.script import Script
from mockrt.core.session import Session
from mockrt.serve.testing import MockRealtimeServer

__all__ = ["BackgroundMockServer"]

T = TypeVar("T")
_TIMEOUT = 30.0  # seconds any one call into the server thread may take


class BackgroundMockServer:
    """A ``MockRealtimeServer`` served by a daemon thread; the same properties, synchronous."""

    def __init__(self, server: MockRealtimeServer | None = None) -> None:
        self.server = server or MockRealtimeServer()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def from_options(cls, **options: Any) -> BackgroundMockServer:
        """Options as ``MockRealtimeServer.from_options`` (script=..., ServerConfig fields)."""
        return cls(MockRealtimeServer.from_options(**options))

    def start(self) -> BackgroundMockServer:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="mockrt-server", daemon=True)
        self._thread.start()
        if not ready.wait(_TIMEOUT):  # pragma: no cover - a thread that never starts
            raise RuntimeError("mockrt: the server thread did not start")
        self._run(self.server.start())
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        try:
            self._run(self.server.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_TIMEOUT)
            self._thread = self._loop = None

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coro.close()
            raise RuntimeError("mockrt: the background server is not running; call start()")
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(_TIMEOUT)

    def _call(self, fn: Callable[[], T]) -> T:
        async def call() -> T:
            return fn()

        return self._run(call())

    def reset(self) -> dict[str, int]:
        """See ``MockRealtimeServer.reset``."""
        return self._run(self.server.reset())

    def use_script(self, script: str | Path | Script) -> None:
        self._call(lambda: self.server.use_script(script))

    def restore_script(self) -> None:
        self._call(self.server.restore_script)

    def problems(self) -> list[str]:
        return self._call(self.server.problems)

    @property
    def journal(self) -> Journal:
        return self._call(lambda: self.server.journal)

    @property
    def sessions(self) -> list[Session]:
        return self._call(lambda: self.server.sessions)

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def api_key(self) -> str:
        return self.server.api_key

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def ws_base_url(self) -> str:
        return self.server.ws_base_url

    @property
    def http_url(self) -> str:
        return self.server.http_url

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``: where ``/healthz`` and the admin API ``/mockrt/`` are."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        return self.server.headers

    def __enter__(self) -> BackgroundMockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

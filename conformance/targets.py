"""Targets: ``mock`` (mockrt's in-process server, one per persona and case configuration),
``live`` (wss://api.openai.com, with OPENAI_API_KEY) or any ``ws://``/``wss://`` URL; and which
cases a target can run (skips name their reason).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

from conformance.casefile import Case
from mockrt.contract.scriptfile import parse_script
from mockrt.core.ids import RandomIds
from mockrt.core.options import Options
from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

__all__ = ["LIVE_URL", "Endpoint", "Target", "Targets", "parse_target", "serve_in_thread"]

LIVE_URL = "wss://api.openai.com"
Kind = Literal["mock", "live", "url"]


@dataclass(frozen=True)
class Endpoint:
    """Where one case connects: ``ws_base + /v1/realtime?…``, ``http_base + /v1/…``, the key."""

    ws_base: str
    http_base: str
    key: str


@dataclass(frozen=True)
class Target:
    """What ``--target`` named: ``mock``, ``live`` or a URL (its path up to ``/v1/realtime`` is
    kept as a prefix, so a proxy at ``ws://host/proxy/v1/realtime`` works)."""

    name: str
    kind: Kind
    key: str | None = None
    persona: str = "ga"

    def rerun(self, case_id: str) -> str:
        """The one-line command that reruns just this case against just this target."""
        return f"mockrt conformance --target {self.name} --cases {case_id}"

    def skip_reason(self, case: Case) -> str | None:
        """Why this target cannot run ``case`` (None when it can)."""
        if self.kind == "live" and not self.key:
            return "live target needs OPENAI_API_KEY (never runs without it)"
        if self.kind not in case.targets:
            return f"runs only against {', '.join(case.targets)}" + (
                f": {case.note}" if case.note else ""
            )
        if self.kind != "mock" and case.persona != self.persona:
            return (
                f"needs a server with persona {case.persona}"
                + (" (the live API retired the beta)" if self.kind == "live" else "")
                + f"; run with --persona {case.persona}"
            )
        return None

    def endpoint(self) -> Endpoint:
        base = LIVE_URL if self.kind == "live" else self.name
        parts = urlsplit(base)
        prefix = parts.path.split("/v1/realtime")[0].rstrip("/")
        ws_base = f"{parts.scheme}://{parts.netloc}{prefix}"
        http_scheme = "https" if parts.scheme == "wss" else "http"
        return Endpoint(ws_base, f"{http_scheme}://{parts.netloc}{prefix}", self.key or "")


def parse_target(text: str, key: str | None = None, persona: str = "ga") -> Target:
    """``mock``, ``live`` (key from ``key`` or OPENAI_API_KEY) or a ws:// / wss:// URL (key from
    ``key``, OPENAI_API_KEY, or mockrt's test key)."""
    if text == "mock":
        return Target("mock", "mock", TEST_API_KEY, persona)
    if text == "live":
        return Target("live", "live", key or os.environ.get("OPENAI_API_KEY") or None, persona)
    if urlsplit(text).scheme not in ("ws", "wss") or not urlsplit(text).netloc:
        raise ValueError(f"target {text!r}: expected mock, live or a ws:// or wss:// URL")
    return Target(text, "url", key or os.environ.get("OPENAI_API_KEY") or TEST_API_KEY, persona)


class Targets:
    """Endpoints per case; for ``mock`` starts (and at exit stops) one in-process server per
    persona and case configuration, keys restricted to the test key so a wrong key is refused."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._servers: dict[str, MockRealtimeServer] = {}

    async def __aenter__(self) -> Targets:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for server in self._servers.values():
            await server.stop()
        self._servers.clear()

    async def endpoint(self, case: Case) -> Endpoint:
        if self.target.kind != "mock":
            return self.target.endpoint()
        server = await self.server(case)
        return Endpoint(
            f"ws://127.0.0.1:{server.port}", f"http://127.0.0.1:{server.port}", server.api_key
        )

    async def server(self, case: Case) -> MockRealtimeServer:
        """The mock that serves ``case`` (started on first use)."""
        key = json.dumps([case.persona, case.mock], sort_keys=True)
        if key not in self._servers:
            script = case.mock.get("script")
            server = MockRealtimeServer.from_options(
                script=parse_script(script, f"case {case.id} mock.script") if script else None,
                persona=case.persona,
                api_keys=frozenset({TEST_API_KEY}),
                ids=RandomIds,
                options=Options(**case.mock.get("options", {})),
            )
            self._servers[key] = await server.start()
        return self._servers[key]


@contextmanager
def serve_in_thread() -> Iterator[MockRealtimeServer]:
    """The mock on its own event loop in a daemon thread, for synchronous clients (the
    hypothesis state machine); stopped on exit."""
    loop = asyncio.new_event_loop()
    server = MockRealtimeServer.from_options(ids=RandomIds)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, name="mockrt-conformance-mock", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the in-process mock did not start within 30 s")
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)

"""Record modes, as VCR cassettes: a directory of captures replayed, recorded, or both.

``Cassette(directory, mode, upstream)`` decides per connection (the proxy's ``route`` hook):

- ``none``: replay only; a connection beyond the recorded ones is refused (HTTP 502, saying so);
- ``once``: replay when the directory holds captures, else record every connection;
- ``new``: replay the recorded connections in order, record the ones beyond them;
- ``all``: always record; the old captures are removed first.

Replaying is a mock (``MockRealtimeServer``) whose sessions take, in connection order, the script
``mockrt.contract.fromcapture`` makes of each capture (``replay_factory``, also behind
``mockrt serve --replay``); the proxy forwards to it as to any upstream, so a replayed session is
checked the same way. ``ProxyServer`` runs the proxy (with or without a cassette) on a loopback
port, like ``MockRealtimeServer`` runs the mock. Captures older than ``max_age_days`` are named
by ``stale()`` and warned about with ``CassetteAgeWarning``, for re-recording.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Literal

from aiohttp import web

from mockrt.contract.fromcapture import script_from_capture
from mockrt.core.script import DEFAULT_SCRIPT, Script
from mockrt.core.transcriber import ScriptedTranscriber, Transcriber
from mockrt.serve.capture import capture_files, read_capture
from mockrt.serve.proxy import PROXY, ProxyConfig, ProxyState, Route, create_proxy_app
from mockrt.serve.testing import MockRealtimeServer

__all__ = [
    "Cassette",
    "CassetteAgeWarning",
    "ProxyServer",
    "RECORD_MODES",
    "RecordMode",
    "replay_factory",
]

RecordMode = Literal["none", "once", "new", "all"]
RECORD_MODES: tuple[RecordMode, ...] = ("none", "once", "new", "all")


class CassetteAgeWarning(UserWarning):
    """A capture is older than the cassette's ``max_age_days``: re-record it (``all``)."""


def replay_factory(captures: list[Path]) -> Callable[[], Transcriber]:
    """A transcriber factory for a mock: its n-th session replays the n-th capture; later
    sessions get the default script."""
    scripts: Iterator[Script] = iter(
        [script_from_capture(read_capture(path), str(path)) for path in captures]
    )

    def make() -> Transcriber:
        return ScriptedTranscriber(next(scripts, DEFAULT_SCRIPT))

    return make


class Cassette:
    """Which connections replay and which record, for one directory of captures."""

    def __init__(
        self,
        directory: Path,
        mode: RecordMode,
        upstream: str,
        *,
        max_age_days: float | None = None,
        speed: float = 1.0,
    ) -> None:
        if mode not in RECORD_MODES:
            raise ValueError(f"record mode {mode!r}: expected one of {', '.join(RECORD_MODES)}")
        self.directory, self.mode, self.upstream = directory, mode, upstream
        self.max_age_days, self.speed = max_age_days, speed
        self.recorded = capture_files(directory)
        if mode == "all":
            for path in self.recorded:
                for related in directory.glob(f"{path.stem}*"):
                    related.unlink()
            self.recorded = []
        self._mock: MockRealtimeServer | None = None

    @property
    def replays(self) -> bool:
        """Whether this run replays (some) connections."""
        return self.mode in ("none", "once", "new") and bool(self.recorded)

    @property
    def records(self) -> bool:
        """Whether this run may reach the upstream."""
        return self.mode in ("new", "all") or (self.mode == "once" and not self.recorded)

    def stale(self) -> list[Path]:
        """Captures older than ``max_age_days`` (none when no age is set)."""
        if self.max_age_days is None:
            return []
        limit = time.time() - self.max_age_days * 86400
        return [p for p in self.recorded if p.stat().st_mtime < limit]

    def warn_stale(self) -> None:
        for path in self.stale():
            warnings.warn(
                CassetteAgeWarning(
                    f"{path} is older than {self.max_age_days:g} days: re-record it "
                    "(record mode 'all') to catch drift of the live API"
                ),
                stacklevel=2,
            )

    async def route(self, number: int) -> Route:
        """The proxy's hook: connection ``number`` (from 1) replays or records."""
        if self.replays and number <= len(self.recorded):
            mock = await self._replayer()
            return Route(f"ws://127.0.0.1:{mock.port}", record=False)
        if self.records:
            return Route(self.upstream, record=True)
        return Route(
            "",
            record=False,
            refusal=f"record mode {self.mode!r}: {self.directory} has no capture for "
            f"connection {number}",
        )

    async def rest_upstream(self) -> str:
        """Where REST calls go: the upstream when this run records, else the replaying mock
        (so a key minted in a replay is known to the mock that replays the session)."""
        if self.records:
            return self.upstream
        return f"ws://127.0.0.1:{(await self._replayer()).port}"

    async def _replayer(self) -> MockRealtimeServer:
        if self._mock is None:
            self._mock = MockRealtimeServer.from_options(
                transcriber=replay_factory(self.recorded), speed=self.speed
            )
            await self._mock.start()
        return self._mock

    async def close(self) -> None:
        if self._mock is not None:
            await self._mock.stop()
            self._mock = None


class ProxyServer:
    """The proxy on 127.0.0.1 and an ephemeral port, as an async context manager."""

    def __init__(self, config: ProxyConfig, cassette: Cassette | None = None) -> None:
        if cassette is not None:
            config.route = cassette.route
            config.rest_route = cassette.rest_upstream
            if not cassette.records:
                config.record_dir = None
        self.config, self.cassette = config, cassette
        self.app = create_proxy_app(config)
        self._runner: web.AppRunner | None = None
        self.port = 0

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> ProxyServer:
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.cassette is not None:
            await self.cassette.close()

    async def __aenter__(self) -> ProxyServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def state(self) -> ProxyState:
        return self.app[PROXY]

    @property
    def ws_base_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/v1"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def url(self) -> str:
        """The transcription endpoint through the proxy."""
        return f"{self.ws_base_url}/realtime?intent=transcription"

    async def settle(self) -> None:
        """Wait until every connection the proxy handled has finished its capture."""
        await self.state.settle()

"""MockRealtimeServer: the mock on a real loopback socket, as an async context manager.

async with MockRealtimeServer() as server:
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        ...
    server.journal.assert_received("session.update")
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from mockrt.contract.scriptfile import load_script
from mockrt.core.ids import CountingIds
from mockrt.core.journal import Journal
from mockrt.core.script import Script
from mockrt.core.session import Session
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.serve import admin
from mockrt.serve.server import create_app, describe_violation
from mockrt.serve.state import STATE, ServerConfig

__all__ = ["MockRealtimeServer", "TEST_API_KEY"]

TEST_API_KEY = "sk-mockrt-test-key"


class MockRealtimeServer:
    """Runs ``create_app(config)`` on 127.0.0.1 and an ephemeral port."""

    def __init__(self, config: ServerConfig | None = None, **overrides: Any) -> None:
        base = config or ServerConfig(ids=CountingIds, speed=0)
        self.config = replace(base, **overrides) if overrides else base
        self.app = create_app(self.config)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.api_key = TEST_API_KEY

    @classmethod
    def from_options(
        cls, *, script: str | Path | Script | None = None, **config: Any
    ) -> MockRealtimeServer:
        """A server from keyword options: ``script`` (a path or a Script) and any
        ``ServerConfig`` field. Test defaults: counting ids, ``speed=0``."""
        config.setdefault("ids", CountingIds)
        config.setdefault("speed", 0)
        if script is None:
            return cls(ServerConfig(**config))
        loaded = script if isinstance(script, Script) else load_script(script)
        config["transcriber"] = lambda: ScriptedTranscriber(loaded)
        server = cls(ServerConfig(**config))
        server.app[admin.ADMIN].script = loaded
        server.app[admin.ADMIN].source = "" if isinstance(script, Script) else str(script)
        return server

    def problems(self) -> list[str]:
        """Violations the mock saw and scripted turns never consumed, one line each."""
        out: list[str] = []
        for session in self.sessions:
            for entry in session.journal.violation_entries():  # no other frame is read
                out.append(describe_violation(session, entry))
            transcriber = session.audio.transcriber
            if isinstance(transcriber, ScriptedTranscriber) and transcriber.unused_turns:
                out.append(
                    f"session {session.id}: scripted turns never consumed: "
                    f"{transcriber.unused_turns}"
                )
        return out

    async def reset(self) -> dict[str, int]:
        """Close live sessions (1001) and forget every session, minted key and id, so the next
        test starts afresh; the script stays (``restore_script()`` puts the first one back)."""
        return await admin.reset(self.app)

    def use_script(self, script: str | Path | Script) -> None:
        """Serve ``script`` (a path or a Script) to sessions that open from now on."""
        loaded = script if isinstance(script, Script) else load_script(script)
        admin.load_script(self.app, loaded, str(script) if isinstance(script, str | Path) else "")

    def restore_script(self) -> None:
        """Back to the script the server started with."""
        admin.restore_script(self.app)

    async def start(self) -> MockRealtimeServer:
        self._runner = web.AppRunner(self.app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> MockRealtimeServer:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def http_url(self) -> str:
        """``http://127.0.0.1:PORT/v1``: the openai SDK's ``base_url``."""
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def ws_base_url(self) -> str:
        """``ws://127.0.0.1:PORT/v1``: the openai SDK's ``websocket_base_url``."""
        return f"ws://127.0.0.1:{self.port}/v1"

    @property
    def url(self) -> str:
        """The transcription endpoint: ``ws://127.0.0.1:PORT/v1/realtime?intent=transcription``."""
        return f"{self.ws_base_url}/realtime?intent=transcription"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def sessions(self) -> list[Session]:
        """Every session, finished ones first, in the order they ended or opened."""
        state = self.app[STATE]
        return [*state.finished, *(live.session for live in state.live.values())]

    @property
    def journal(self) -> Journal:
        """The frames of every session, session by session."""
        combined = Journal()
        for session in self.sessions:
            for entry in session.journal:
                combined.add(entry)
        return combined

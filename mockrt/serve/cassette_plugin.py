"""The ``mockrt_cassette`` fixture: record a test's realtime sessions against the live API once,
replay them offline ever after (VCR-style record modes, ``mockrt.serve.cassette``).

    async def test_transcribes(mockrt_cassette):
        proxy = await mockrt_cassette()  # cassettes/<test module>/<test name>/ beside the test
        await my_client.run(proxy.url, api_key=os.environ.get("OPENAI_API_KEY", "sk-replay"))

Options, by keyword: ``name``, ``directory``,
``record_mode`` (``once`` by default; ``MOCKRT_RECORD_MODE`` in the environment wins, e.g. ``all``
to re-record everything), ``upstream`` (``wss://api.openai.com``), ``key_env``
(``OPENAI_API_KEY``: the key sent upstream when recording), ``max_age_days`` (older captures warn
with ``CassetteAgeWarning``), ``speed`` of the replay. A run that would need to record against the
live API without a key is skipped with the reason. Registered by ``mockrt.serve.pytest_plugin``.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:  # imported on first use: a test run without cassettes never loads aiohttp here
    from mockrt.serve.cassette import ProxyServer

__all__ = ["LIVE_UPSTREAM", "mockrt_cassette"]

LIVE_UPSTREAM = "wss://api.openai.com"
CassetteFactory = Callable[..., Awaitable["ProxyServer"]]


def _directory(request: pytest.FixtureRequest, name: str | None) -> Path:
    path = Path(str(request.node.path))
    return path.parent / "cassettes" / path.stem / (name or request.node.name)


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixture needs pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def mockrt_cassette(request: pytest.FixtureRequest) -> AsyncIterator[CassetteFactory]:
        """A factory: ``await mockrt_cassette(**options)`` starts a proxy that replays or
        records the test's sessions; point the client at its ``url``."""
        from mockrt.serve.cassette import RECORD_MODES, Cassette, ProxyServer
        from mockrt.serve.proxy import ProxyConfig

        servers: list[ProxyServer] = []

        async def factory(**options: Any) -> ProxyServer:
            mode = os.environ.get("MOCKRT_RECORD_MODE") or options.get("record_mode", "once")
            if mode not in RECORD_MODES:
                raise pytest.UsageError(f"record mode {mode!r}: expected one of {RECORD_MODES}")
            upstream = str(options.get("upstream", LIVE_UPSTREAM))
            directory = Path(options.get("directory") or _directory(request, options.get("name")))
            key_env = str(options.get("key_env", "OPENAI_API_KEY"))
            key = os.environ.get(key_env) or None
            cassette = Cassette(
                directory,
                mode,
                upstream,
                max_age_days=options.get("max_age_days"),
                speed=float(options.get("speed", 1.0)),
            )
            if cassette.records and upstream.startswith(LIVE_UPSTREAM) and key is None:
                pytest.skip(
                    f"mockrt_cassette: {directory} has nothing to replay in record mode {mode!r} "
                    f"and ${key_env} is not set, so it cannot record against the live API"
                )
            cassette.warn_stale()
            config = ProxyConfig(upstream=upstream, record_dir=directory, upstream_key=key)
            server = await ProxyServer(config, cassette).start()
            servers.append(server)
            return server

        yield factory
        for server in servers:
            await server.settle()
            await server.stop()

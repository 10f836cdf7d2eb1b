"""The async fixture ``mockrt_server`` (a factory); registered by ``mockrt.serve.pytest_plugin``
only when pytest-asyncio is active, as it imports pytest_asyncio."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
import pytest_asyncio

from mockrt.serve.pytest_report import watch
from mockrt.serve.testing import MockRealtimeServer

__all__ = ["ServerFactory", "mockrt_server"]

ServerFactory = Callable[..., Awaitable[MockRealtimeServer]]


@pytest_asyncio.fixture
async def mockrt_server(request: pytest.FixtureRequest) -> AsyncIterator[ServerFactory]:
    """A factory: ``await mockrt_server(**options)`` starts a mock on 127.0.0.1."""
    marker = request.node.get_closest_marker("mockrt")
    defaults: dict[str, Any] = dict(marker.kwargs) if marker else {}
    servers: list[tuple[MockRealtimeServer, bool]] = []

    async def factory(**kwargs: Any) -> MockRealtimeServer:
        options = {**defaults, **kwargs}
        strict = bool(options.pop("strict", True))
        server = MockRealtimeServer.from_options(**options)
        await server.start()
        servers.append((server, strict))
        name = "mockrt_server" if len(servers) == 1 else f"mockrt_server #{len(servers)}"
        watch(request.node, name, lambda: server.journal)
        return server

    yield factory
    problems: list[str] = []
    for server, strict in servers:
        await server.stop()
        if strict:
            problems.extend(server.problems())
    if problems:
        pytest.fail("mockrt: " + "\n".join(problems), pytrace=False)

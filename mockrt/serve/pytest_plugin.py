"""pytest fixtures, registered through the ``pytest11`` entry point.

    @pytest.mark.mockrt(script="hello.yaml")
    async def test_client_gets_transcript(mockrt_server):
        server = await mockrt_server()
        await my_client.run(server.url)
        server.journal.assert_received("input_audio_buffer.commit", count=1)

At teardown, protocol violations the mock saw and scripted turns never consumed fail the test
(like respx's ``assert_all_called``); ``@pytest.mark.mockrt(strict=False)`` turns that off.
Needs pytest-asyncio for the async fixture.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from mockrt.serve.redirect import Redirect
    from mockrt.serve.testing import MockRealtimeServer

__all__ = ["mockrt_redirect_fixture", "mockrt_server", "pytest_configure"]

ServerFactory = Callable[..., Awaitable["MockRealtimeServer"]]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockrt(**options): options for the mockrt_server fixture "
        "(script=PATH, strict=bool, and any ServerConfig/MockRealtimeServer option)",
    )


@pytest.fixture(name="mockrt_redirect")
def mockrt_redirect_fixture() -> Iterator[Callable[..., Redirect]]:
    """A factory: ``mockrt_redirect(server, block_network=True)`` sends this process's
    connections to api.openai.com to ``server`` until the test ends (``mockrt.serve.redirect``).
    """
    from mockrt.serve.redirect import Redirect

    installed: list[Redirect] = []

    def factory(server: Any, *, block_network: bool = False) -> Redirect:
        target = server if isinstance(server, str) else f"http://127.0.0.1:{server.port}"
        redirect = Redirect(target, block_network=block_network).install()
        installed.append(redirect)
        return redirect

    yield factory
    for redirect in reversed(installed):
        redirect.uninstall()


try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - the fixture needs pytest-asyncio
    pass
else:

    @pytest_asyncio.fixture
    async def mockrt_server(request: pytest.FixtureRequest) -> AsyncIterator[ServerFactory]:
        """A factory: ``await mockrt_server(**options)`` starts a mock on 127.0.0.1."""
        from mockrt.serve.testing import MockRealtimeServer

        marker = request.node.get_closest_marker("mockrt")
        defaults: dict[str, Any] = dict(marker.kwargs) if marker else {}
        servers: list[tuple[MockRealtimeServer, bool]] = []

        async def factory(**kwargs: Any) -> MockRealtimeServer:
            options = {**defaults, **kwargs}
            strict = bool(options.pop("strict", True))
            server = MockRealtimeServer.from_options(**options)
            await server.start()
            servers.append((server, strict))
            return server

        yield factory
        problems: list[str] = []
        for server, strict in servers:
            await server.stop()
            if strict:
                problems.extend(server.problems())
        if problems:
            pytest.fail("mockrt: " + "\n".join(problems), pytrace=False)


# The conformance suite as pytest items: ``pytest --rt-target=mock|live|URL -p mockrt``
# (hooks found by name; their home is conformance.pytest_collect).
from conformance.pytest_collect import (  # noqa: E402, F401
    pytest_addoption,
    pytest_collection_modifyitems,
    pytest_report_header,
    pytest_sessionfinish,
    pytest_terminal_summary,
)

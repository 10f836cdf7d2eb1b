"""The synchronous fixtures (no pytest-asyncio needed), in the style of pytest-httpserver:

    mockrt_server_session   one BackgroundMockServer for the whole test session
    mockrt_server_sync      that server for one test: ``@pytest.mark.mockrt(script=...)`` loads a
                            script for the test; afterwards violations and unused scripted turns
                            fail the test (unless ``strict=False``), then the server is reset

and ``WithoutPytestAsyncio``, registered in place of ``mockrt.serve.pytest_async`` when
pytest-asyncio is not active, so ``mockrt_server`` says what to install instead of "fixture
'mockrt_server' not found".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from mockrt.serve.background import BackgroundMockServer
from mockrt.serve.pytest_report import watch

if TYPE_CHECKING:
    from mockrt.serve.redirect import Redirect

__all__ = [
    "MISSING_PYTEST_ASYNCIO",
    "mockrt_redirect_fixture",
    "WithoutPytestAsyncio",
    "mockrt_server_session",
    "mockrt_server_sync",
]

MISSING_PYTEST_ASYNCIO = (
    "mockrt_server is an async fixture and needs pytest-asyncio, which is not installed or not "
    "active: pip install 'mockrt[pytest]' (or pytest-asyncio). Synchronous tests can use "
    "mockrt_server_sync instead."
)


@pytest.fixture(scope="session")
def mockrt_server_session() -> Iterator[BackgroundMockServer]:
    """One mock on a background thread for the whole session; call ``reset()`` as you need."""
    with BackgroundMockServer() as server:
        yield server


@pytest.fixture
def mockrt_server_sync(
    request: pytest.FixtureRequest, mockrt_server_session: BackgroundMockServer
) -> Iterator[BackgroundMockServer]:
    """The session's mock for one test, reset afterwards; strict teardown as ``mockrt_server``."""
    server = mockrt_server_session
    marker = request.node.get_closest_marker("mockrt")
    options = dict(marker.kwargs) if marker else {}
    strict = bool(options.pop("strict", True))
    script = options.pop("script", None)
    if options:
        raise pytest.UsageError(
            f"mockrt_server_sync shares one server: its marker takes script= and strict= only, "
            f"not {sorted(options)}; use mockrt_server or BackgroundMockServer.from_options"
        )
    server.reset()
    if script is not None:
        server.use_script(script)
    watch(request.node, "mockrt_server_sync", lambda: server.journal)
    try:
        yield server
    finally:
        journal = server.journal
        watch(request.node, "mockrt_server_sync", lambda: journal)
        problems = server.problems() if strict else []
        server.reset()
        server.restore_script()
    if problems:
        pytest.fail("mockrt: " + "\n".join(problems), pytrace=False)


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


class WithoutPytestAsyncio:
    """Stands in for ``mockrt.serve.pytest_async`` when pytest-asyncio is not active."""

    @pytest.fixture
    def mockrt_server(self) -> None:
        pytest.fail(MISSING_PYTEST_ASYNCIO, pytrace=False)

"""pytest plugin, registered through the ``pytest11`` entry point.

    @pytest.mark.asyncio
    @pytest.mark.mockrt(script="hello.yaml")
    async def test_client_gets_transcript(mockrt_server):
        server = await mockrt_server()
        await my_client.run(server.url)
        server.journal.assert_received("input_audio_buffer.commit", count=1)

Fixtures: ``mockrt_server`` (async factory, ``mockrt.serve.pytest_async``; needs pytest-asyncio,
else it fails saying what to install), ``mockrt_server_sync`` and ``mockrt_server_session`` (a
server on a background thread) and ``mockrt_redirect`` (``mockrt.serve.pytest_fixtures``). At
teardown, protocol violations the mock saw and scripted turns never consumed fail the test (like
respx's ``assert_all_called``); ``@pytest.mark.mockrt(strict=False)`` turns that off. A failing
test's report carries the mock's journal and diagnosis (``mockrt.serve.pytest_report``), saved
under ``--mockrt-journal-dir DIR`` too.
"""

from __future__ import annotations

from collections.abc import Generator

import pytest

from mockrt.serve.pytest_report import JOURNAL_DIR_OPTION, attach

__all__ = ["pytest_addoption", "pytest_configure", "pytest_runtest_makereport"]


def pytest_addoption(parser: pytest.Parser) -> None:
    _conformance_addoption(parser)
    group = parser.getgroup("mockrt")
    group.addoption(
        JOURNAL_DIR_OPTION,
        metavar="DIR",
        default=None,
        help="save the mock's journal and diagnosis of every failing test under DIR",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockrt(**options): options for the mockrt fixtures "
        "(script=PATH, strict=bool, and any ServerConfig/MockRealtimeServer option)",
    )
    from mockrt.serve import pytest_fixtures

    config.pluginmanager.register(pytest_fixtures, "mockrt-fixtures")
    if config.pluginmanager.has_plugin("asyncio"):
        from mockrt.serve import pytest_async

        config.pluginmanager.register(pytest_async, "mockrt-async")
    else:
        config.pluginmanager.register(pytest_fixtures.WithoutPytestAsyncio(), "mockrt-async")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    attach(item, report)
    return report


# The conformance suite as pytest items: ``pytest --rt-target=mock|live|URL -p mockrt``
# (hooks found by name; their home is conformance.pytest_collect).
from conformance.pytest_collect import (  # noqa: E402, F401
    pytest_addoption as _conformance_addoption,
)
from conformance.pytest_collect import (  # noqa: E402, F401
    pytest_collection_modifyitems,
    pytest_report_header,
    pytest_sessionfinish,
    pytest_terminal_summary,
)
from mockrt.serve.cassette_plugin import mockrt_cassette  # noqa: E402, F401

"""The pytest plugin: the mockrt_server fixture factory, its marker, and strict teardown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import websockets

from mockrt.serve.testing import MockRealtimeServer

pytest_plugins = ["pytester"]
HELLO = Path(__file__).resolve().parents[1] / "examples" / "scripts" / "hello.yaml"


@pytest.mark.mockrt(strict=False)
async def test_fixture_starts_a_server_on_loopback(mockrt_server) -> None:  # type: ignore[no-untyped-def]
    server: MockRealtimeServer = await mockrt_server()
    assert server.url.startswith("ws://127.0.0.1:")
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
    assert len(server.sessions) == 1


STRICT_TEST = """
import json, pytest, websockets

@pytest.mark.mockrt(script=r"{script}")
async def test_client(mockrt_server):
    server = await mockrt_server()
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        await ws.recv()
        await ws.send(json.dumps({{"type": "session.update", "session": {{"type": "realtime"}}}}))
        await ws.recv()
"""


def test_violations_and_unused_scripted_turns_fail_the_test_at_teardown(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(STRICT_TEST.format(script=HELLO))
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mockrt: session sess_0001: client event #1 session.update*-> rejected*",
            "*scripted turns never consumed: ?0, 1?*",
        ]
    )


def test_non_strict_marker_lets_violations_pass(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        STRICT_TEST.format(script=HELLO).replace(f'script=r"{HELLO}"', "strict=False")
    )
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)

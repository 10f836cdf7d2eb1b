"""The proxy in front of the live API: record one short session, replay it, diff. Runs only with
OPENAI_API_KEY (about 1.2 s of audio, well under US$0.001 at the published per-minute prices);
skips with the reason otherwise. Never runs in CI without a key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mockrt.diagnosis.diff import Tolerance, diff_journals
from mockrt.serve.capture import read_capture
from mockrt.serve.cassette import ProxyServer, replay_factory
from mockrt.serve.proxy import ProxyConfig
from mockrt.serve.testing import MockRealtimeServer

from .test_proxy_helpers import run_client

KEY = os.environ.get("OPENAI_API_KEY")
pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not KEY, reason="OPENAI_API_KEY is not set: the live API is not called"),
]


async def test_a_live_session_recorded_through_the_proxy_replays_equal(tmp_path: Path) -> None:
    assert KEY is not None
    config = ProxyConfig(upstream="wss://api.openai.com", record_dir=tmp_path / "live")
    async with ProxyServer(config) as px:
        await run_client(px.url, {"Authorization": f"Bearer {KEY}"}, linger=2.0)
        await px.settle()
    (live,) = px.state.captures
    assert not [f for f in px.state.findings if f.kind == "drift"], px.state.findings
    async with MockRealtimeServer.from_options(transcriber=replay_factory([live])) as mock:
        base = f"ws://127.0.0.1:{mock.port}"
        async with ProxyServer(ProxyConfig(upstream=base, record_dir=tmp_path / "mock")) as px2:
            await run_client(px2.url, mock.headers, linger=2.0)
            await px2.settle()
    found = diff_journals(read_capture(live), read_capture(px2.state.captures[0]), Tolerance(2.0))
    assert found == [], "\n".join(map(str, found))

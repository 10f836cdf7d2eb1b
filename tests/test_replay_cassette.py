"""Record modes as VCR cassettes (none, once, new, all), stale captures, and the
``mockrt_cassette`` fixture in a pytest run of its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import websockets

from mockrt.contract.scriptfile import parse_script
from mockrt.serve.cassette import Cassette, CassetteAgeWarning, ProxyServer
from mockrt.serve.proxy import ProxyConfig
from mockrt.serve.testing import MockRealtimeServer

from .test_proxy_helpers import TURNS, run_client

pytest_plugins = ["pytester"]

SCRIPT = parse_script({"turns": [{"transcript": "one"}, {"transcript": "two"}]})
NOWHERE = "ws://127.0.0.1:1"  # nothing listens: a run that reaches the upstream fails


def transcripts(events: list[dict[str, Any]]) -> list[str]:
    return [e["transcript"] for e in events if e["type"].endswith("transcription.completed")]


async def run(
    directory: Path, mode: str, upstream: str, sessions: int = 1
) -> tuple[ProxyServer, list[list[str]]]:
    cassette = Cassette(directory, mode, upstream, speed=0)  # type: ignore[arg-type]
    got = []
    async with ProxyServer(ProxyConfig(upstream=upstream, record_dir=directory), cassette) as px:
        for _ in range(sessions):
            got.append(transcripts(await run_client(px.url, {"Authorization": "Bearer sk-test"})))
        await px.settle()
    return px, got


async def test_once_records_an_empty_cassette_then_replays_it_offline(tmp_path: Path) -> None:
    async with MockRealtimeServer.from_options(script=SCRIPT) as upstream:
        px, first = await run(tmp_path, "once", f"ws://127.0.0.1:{upstream.port}")
    assert first == [["one", "two"]] and len(px.state.captures) == 1
    px, again = await run(tmp_path, "once", NOWHERE)
    assert again == first
    assert px.state.captures == []  # a replay writes nothing


async def test_none_refuses_a_connection_it_has_no_capture_for(tmp_path: Path) -> None:
    cassette = Cassette(tmp_path, "none", NOWHERE)
    async with ProxyServer(ProxyConfig(upstream=NOWHERE, record_dir=tmp_path), cassette) as px:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(px.url):
                pass
    assert refused.value.response.status_code == 502
    assert b"has no capture for connection 1" in refused.value.response.body
    assert list(tmp_path.iterdir()) == []


async def test_new_replays_what_it_has_and_records_what_is_missing(tmp_path: Path) -> None:
    async with MockRealtimeServer.from_options(script=SCRIPT) as upstream:
        base = f"ws://127.0.0.1:{upstream.port}"
        await run(tmp_path, "once", base)
        px, got = await run(tmp_path, "new", base, sessions=2)
    assert got == [["one", "two"], ["one", "two"]]
    assert len(px.state.captures) == 1 and len(list(tmp_path.glob("*.jsonl"))) == 2
    assert len(upstream.sessions) == 2  # one per recording run, none for the replay


async def test_all_re_records_and_drops_the_old_captures(tmp_path: Path) -> None:
    old = tmp_path / "20200101T000000-0001"
    old.with_suffix(".jsonl").write_text("")
    old.with_suffix(".wav").write_bytes(b"")
    async with MockRealtimeServer.from_options(script=SCRIPT) as upstream:
        px, got = await run(tmp_path, "all", f"ws://127.0.0.1:{upstream.port}")
    assert got == [["one", "two"]]
    assert sorted(tmp_path.iterdir()) == sorted(
        [px.state.captures[0], px.state.captures[0].with_suffix(".wav")]
    )


def test_captures_older_than_the_chosen_age_are_flagged_for_re_recording(tmp_path: Path) -> None:
    capture = tmp_path / "20200101T000000-0001.jsonl"
    capture.write_text("")
    assert Cassette(tmp_path, "once", NOWHERE).stale() == []
    aged = Cassette(tmp_path, "once", NOWHERE, max_age_days=0)
    assert aged.stale() == [capture]
    with pytest.warns(CassetteAgeWarning, match="re-record"):
        aged.warn_stale()


def test_an_unknown_record_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="none, once, new, all"):
        Cassette(tmp_path, "sometimes", NOWHERE)  # type: ignore[arg-type]


FIXTURE_TESTS = """
import json, os
from pathlib import Path
import websockets
from mockrt.contract.scriptfile import parse_script
from mockrt.serve.testing import MockRealtimeServer

CASSETTE = Path("cassette")

async def session(url):
    async with websockets.connect(url, additional_headers={"Authorization": "Bearer sk-x"}) as ws:
        return json.loads(await ws.recv())["type"]

async def test_records_once(mockrt_cassette):
    script = parse_script({"turns": [{"transcript": "hi"}]})
    async with MockRealtimeServer.from_options(script=script) as up:
        proxy = await mockrt_cassette(directory=CASSETTE, upstream=f"ws://127.0.0.1:{up.port}")
        assert await session(proxy.url) == "session.created"

async def test_replays_offline_after(mockrt_cassette):
    proxy = await mockrt_cassette(directory=CASSETTE, upstream="ws://127.0.0.1:1")
    assert await session(proxy.url) == "session.created"
    assert len(list(CASSETTE.glob("*.jsonl"))) == 1

async def test_without_a_key_nothing_is_recorded_live(mockrt_cassette):
    await mockrt_cassette(directory=Path("empty"))
"""


def test_the_fixture_records_once_replays_after_and_skips_live_without_a_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("MOCKRT_RECORD_MODE", raising=False)
    pytester.makepyfile(FIXTURE_TESTS)
    pytester.makeini(
        "[pytest]\nasyncio_mode = auto\nasyncio_default_fixture_loop_scope = function\n"
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(passed=2, skipped=1)
    result.stdout.fnmatch_lines(["*OPENAI_API_KEY is not set, so it cannot record*"])


def test_turns_fixture_audio_is_what_the_helpers_send() -> None:
    assert len(TURNS) == 2 and all(len(t) == 28_800 for t in TURNS)

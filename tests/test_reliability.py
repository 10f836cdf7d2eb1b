"""Issue 14 on a real server and a pure session: constant cost per frame, no starvation, bounded
memory, a locked inspector that never fails or shows audio, safe and redacted logs."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import aiohttp
import pytest
import websockets
from hypothesis import given
from hypothesis import strategies as st

from mockrt.core.outbox import Outbox
from mockrt.core.scrub import finite_copy, redact, strict_json
from mockrt.core.session import Session
from mockrt.serve import server as server_module
from mockrt.serve.server import describe_violation
from mockrt.serve.state import STATE, ServerConfig
from mockrt.serve.testing import MockRealtimeServer

from .conftest import make_session

# The unwrapped drain: checking 100,000 identical error events against schemas/ (conftest's
# autouse wrapper) would only make these tests slow; the fuzz tests keep that check.
_DRAIN = Outbox.drain


def _count_calls(work: Callable[[], None]) -> int:
    """Python and C function calls made by ``work``: a measure of work, not of time."""
    calls = 0

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        work()
    finally:
        sys.setprofile(None)
    return calls


def _bad_frames(session: Session, count: int, describe: bool) -> None:
    """What the server does per rejected frame: handle it, drain, describe it for the log."""
    for _ in range(count):
        session.receive_text("{}")
        session.events_to_send()
        if describe:
            entry = session.journal.entries[-1]
            assert entry.violation is not None
            describe_violation(session, entry)


def test_frame_100000_of_a_session_costs_what_frame_1000_costs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Outbox, "drain", _DRAIN)
    session = make_session()
    session.events_to_send()
    _bad_frames(session, 1_000, describe=False)
    early = _count_calls(lambda: _bad_frames(session, 200, describe=True))
    _bad_frames(session, 100_000 - 1_400, describe=False)
    late = _count_calls(lambda: _bad_frames(session, 200, describe=True))
    assert len(session.journal.received()) == 100_000
    assert late <= early * 1.1, (early, late)


async def _flood_and_count(flood: int) -> tuple[int, int]:
    """Client A floods ``flood`` bad frames; client B then does one round trip. Returns how many
    of A's frames the server handled between B's request and B's answer, and A's total."""
    async with MockRealtimeServer() as server:
        state = server.app[STATE]
        async with (
            websockets.connect(server.url, additional_headers=server.headers) as a,
            websockets.connect(server.url, additional_headers=server.headers) as b,
        ):
            await a.recv()
            await b.recv()
            a_session = next(iter(state.live.values())).session  # A connected first
            for _ in range(flood):
                await a.send("{}")
            before = len(a_session.journal.received())
            await b.send('{"type": "input_audio_buffer.clear"}')
            reply = json.loads(await asyncio.wait_for(b.recv(), 30))
            assert reply["type"] == "input_audio_buffer.cleared"
            during = len(a_session.journal.received()) - before
            return during, flood


async def test_a_client_flooding_bad_frames_does_not_hold_up_another_clients_round_trip(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(Outbox, "drain", _DRAIN)
    during, flood = await _flood_and_count(6_000)
    # Without the reader's yield, every buffered frame of A is handled first (thousands).
    assert during <= 1_000, (during, flood)


async def test_violation_lines_are_built_only_when_info_logging_is_on(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    built: list[str] = []
    original = server_module.describe_violation

    def counting(session: Session, entry: Any) -> str:
        line = original(session, entry)
        built.append(line)
        return line

    monkeypatch.setattr(server_module, "describe_violation", counting)
    for level, expected in ((logging.WARNING, 0), (logging.INFO, 5)):
        caplog.set_level(level, logger="mockrt")
        built.clear()
        async with MockRealtimeServer() as server:
            async with websockets.connect(server.url, additional_headers=server.headers) as ws:
                await ws.recv()
                for _ in range(5):
                    await ws.send("{}")
                    await ws.recv()
        assert len(built) == expected


async def test_finished_sessions_are_kept_up_to_the_limit_and_the_journal_file_has_all(
    tmp_path: Path,
) -> None:
    path = tmp_path / "all.jsonl"
    async with MockRealtimeServer(max_sessions=3, journal_path=path) as server:
        for _ in range(5):
            async with websockets.connect(server.url, additional_headers=server.headers) as ws:
                await ws.recv()
        await asyncio.sleep(0.05)
        state = server.app[STATE]
        kept = [s.id for s in state.finished]
    records = [json.loads(line) for line in path.read_text().splitlines()]
    in_file = list(dict.fromkeys(r["session"] for r in records))
    assert len(in_file) == 5
    assert kept == in_file[-3:]
    assert state.dropped == 2


async def test_finished_sessions_are_dropped_beyond_the_byte_limit() -> None:
    async with MockRealtimeServer(max_journal_bytes=4_000) as server:
        for _ in range(4):
            async with websockets.connect(server.url, additional_headers=server.headers) as ws:
                await ws.recv()
                await ws.send(json.dumps({"type": "x", "pad": "p" * 900}))
                await ws.recv()
        await asyncio.sleep(0.05)
        state = server.app[STATE]
        assert 0 < len(state.finished) < 4
        assert state.finished_bytes <= 4_000


@pytest.mark.parametrize(
    "text",
    ['{"type": "x", "pad": "' + "a" * 100_000 + '"}', "not json " * 20_000],
    ids=["json", "not_json"],
)
def test_a_long_rejected_frame_is_journaled_as_its_head_length_and_hash(text: str) -> None:
    import hashlib

    session = make_session()
    session.receive_text(text)
    (entry,) = session.journal.received()
    kept = entry.event["truncated_frame"]
    assert kept["length"] == len(text)
    assert kept["sha256"] == hashlib.sha256(text.encode()).hexdigest()
    assert text.startswith(kept["head"]) and len(kept["head"]) <= 256
    assert len(entry.to_line()) < 1_000


def test_rejected_audio_is_never_journaled_valid_or_not() -> None:
    session = make_session()
    bad = "!!!!" * 50
    session.receive_text(json.dumps({"type": "input_audio_buffer.append", "audio": bad}))
    session.receive_text(json.dumps({"type": "input_audio_buffer.append", "audio": "QUJD" * 3}))
    session.receive_text(json.dumps({"type": "input_audio_buffer.append", "audio": 5, "x": 1}))
    text = session.journal.to_jsonl()
    assert bad not in text and "QUJDQUJD" not in text


async def _get(server: MockRealtimeServer, path: str, key: str | None) -> tuple[int, str]:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}", headers=headers) as response,
    ):
        return response.status, await response.text()


async def test_the_inspector_asks_for_the_apis_key_when_keys_are_configured() -> None:
    key = "sk-only-this-one-0123456789"
    async with MockRealtimeServer(api_keys=frozenset({key})) as server:
        for path in ("/mockrt/sessions", "/mockrt/", "/mockrt/sessions/x/journal"):
            status, _ = await _get(server, path, None)
            assert status == 401
            status, _ = await _get(server, path, "sk-wrong-key-0123456789")
            assert status == 401
        status, _ = await _get(server, "/mockrt/sessions", key)
        assert status == 200


async def test_the_inspector_shows_lone_surrogates_and_controls_escaped_and_no_audio() -> None:
    audio = "!!" + "QUJD" * 200
    async with MockRealtimeServer() as server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await ws.recv()
            await ws.send(
                '{"type": "input_audio_buffer.commit", "event_id": "\\ud800\\u0000\\u001b[2J"}'
            )
            await ws.recv()
            await ws.send('{"type": "\\ud800\\n\\u0007"}')
            await ws.recv()
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
            await ws.recv()
            session_id = server.sessions[0].id
            for path in (
                "/mockrt/sessions",
                "/mockrt/",
                f"/mockrt/sessions/{session_id}",
                f"/mockrt/sessions/{session_id}/journal",
            ):
                status, text = await _get(server, path, server.api_key)
                assert status == 200, path
                assert "\x1b" not in text and "\x07" not in text and "\x00" not in text
                assert "QUJDQUJD" not in text


async def test_log_lines_escape_what_a_client_controls_and_redact_every_key_form(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="mockrt")
    custom = "my-own-configured-key"
    async with MockRealtimeServer(api_keys=frozenset({custom, "sk-mockrt-test-key"})) as server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "evil\nFORGED line \x1b[31m\x00"}))
            await ws.recv()
            for secret in ("sk-ab.c", "sk-proj-with.dots_and-more", custom, "ek_68abcdef"):
                await ws.send(json.dumps({"type": "nope", "event_id": secret}))
                await ws.recv()
    messages = [r.getMessage() for r in caplog.records if r.name == "mockrt"]
    assert messages and all("\n" not in m and "\x1b" not in m and "\x00" not in m for m in messages)
    assert any("\\n" in m for m in messages)
    logged = "\n".join(messages) + server.journal.to_jsonl()
    for secret in ("sk-ab.c", "with.dots_and-more", custom, "ek_68abcdef"):
        assert secret not in logged


def test_keys_in_query_strings_and_bearer_headers_are_redacted() -> None:
    line = '"GET /v1/realtime?intent=transcription&api_key=sk-x.y HTTP/1.1" Bearer abc.def'
    assert "sk-x.y" not in redact(line) and "abc.def" not in redact(line)
    assert redact("?key=short&token=t0k&x=1") == "?key=…&token=…&x=1"


async def test_an_aborted_handshake_is_one_quiet_debug_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with MockRealtimeServer(config=ServerConfig(speed=0)) as server:
        for _ in range(3):
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            writer.write(
                b"GET /v1/realtime?intent=transcription&api_key=sk-querysecret HTTP/1.1\r\n"
                b"Host: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                b"Authorization: Bearer sk-mockrt-test-key\r\n\r\n"
            )
            await writer.drain()
            writer.transport.abort()
        await asyncio.sleep(0.3)
        # the server still answers
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not [r for r in caplog.records if r.exc_info]
    assert all("sk-querysecret" not in r.getMessage() for r in caplog.records)


def test_the_soak_script_runs_small_and_reports_no_crash() -> None:
    """A tiny run of bench/soak.py (the full soak is run by hand; its figures are in README)."""
    import importlib.util

    path = Path(__file__).resolve().parents[1] / "bench" / "soak.py"
    spec = importlib.util.spec_from_file_location("soak", path)
    assert spec is not None and spec.loader is not None
    soak = importlib.util.module_from_spec(spec)
    sys.modules["soak"] = soak  # dataclasses look their module up
    spec.loader.exec_module(soak)
    summary = soak.main(["--sessions", "12", "--concurrency", "4", "--flood", "300"])
    assert summary["sessions"] == 12
    assert summary["crashes"] == 0 and summary["unanswered"] == 0
    assert summary["valid_sent"] == 12 * 5 + 1
    assert summary["fds_after"] <= summary["fds_before"] + 2


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


@given(_JSON)
def test_strict_json_is_compact_ascii_json_with_non_finite_numbers_named(value: object) -> None:
    text = strict_json(value)
    assert text.isascii()
    assert text == json.dumps(finite_copy(value), separators=(",", ":"), allow_nan=False)

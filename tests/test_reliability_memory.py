"""Issue 14, bounded memory: sessions opened and closed against an in-process server leave no
live objects of mockrt's own types beyond the finished sessions it keeps (counted with the
garbage collector by type, never with RSS), and a reset forgets the kept ones whole."""

from __future__ import annotations

import asyncio
import gc
import json
from collections import Counter

import aiohttp

from mockrt.core.handshake import KeyStore, create_client_secret
from mockrt.core.ids import CountingIds
from mockrt.core.options import Options
from mockrt.core.session import Session
from mockrt.serve.state import STATE, ServerConfig, ServerState
from mockrt.serve.testing import MockRealtimeServer

KEPT = 10
BAD_FRAMES = [
    "{}",
    "not json",
    '{"type": "input_audio_buffer.commit", "event_id": "\\ud800"}',
    '{"type": "x\\n\\u001b[31m"}',
    '{"type": "input_audio_buffer.append", "audio": "!!!not base64!!!"}',
    '{"type":"session.update","session":{"type":"transcription","audio":{"input":'
    '{"turn_detection":{"type":"server_vad","threshold":null}}}}}',
]
CLEAR = '{"type": "input_audio_buffer.clear"}'


def _mockrt_objects() -> Counter[str]:
    """Live objects of mockrt's own types, by type, after a full collection."""
    gc.collect()
    counts: Counter[str] = Counter()
    for obj in gc.get_objects():
        module = str(type(obj).__dict__.get("__module__", ""))
        if module.startswith("mockrt."):
            counts[f"{module}.{type(obj).__qualname__}"] += 1
    return counts


async def _one_session(http: aiohttp.ClientSession, server: MockRealtimeServer, n: int) -> None:
    async with http.ws_connect(server.url, headers=server.headers) as ws:
        await ws.receive_json(timeout=10)  # session.created
        await ws.send_str(BAD_FRAMES[n % len(BAD_FRAMES)])
        await ws.send_str(CLEAR)
        while (await ws.receive_json(timeout=10))["type"] != "input_audio_buffer.cleared":
            pass


async def _sessions(server: MockRealtimeServer, first: int, count: int) -> None:
    """``count`` sessions, 25 at a time, each a bad frame and a clear; then until none is open."""
    limit = asyncio.Semaphore(25)
    async with aiohttp.ClientSession() as http:

        async def one(n: int) -> None:
            async with limit:
                await _one_session(http, server, n)

        await asyncio.gather(*(one(n) for n in range(first, first + count)))
    state = server.app[STATE]
    for _ in range(500):  # bounded: each handler moves its session to `finished` as it ends
        if not state.live:
            break
        await asyncio.sleep(0.01)
    assert not state.live
    await asyncio.sleep(0.05)  # a release scheduled by the last close runs


def _growth(before: Counter[str], after: Counter[str]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in after if after[name] > before[name]}


async def test_five_hundred_sessions_leave_no_mockrt_objects_beyond_the_kept_sessions() -> None:
    start = _mockrt_objects()
    async with MockRealtimeServer(max_sessions=KEPT) as server:
        state: ServerState = server.app[STATE]
        await _sessions(server, 0, 50)  # warm-up: the kept sessions fill up to the limit
        warm = _mockrt_objects()
        await _sessions(server, 50, 450)
        after = _mockrt_objects()
        assert len(state.finished) == KEPT
        assert state.dropped == 500 - KEPT
        assert state.releases >= 1  # dropped sessions were collected without waiting for gc
        sessions = after[f"{Session.__module__}.Session"] - start[f"{Session.__module__}.Session"]
        assert sessions == KEPT, "only the kept finished sessions may stay alive"
        assert _growth(warm, after) == {}, "450 more sessions grew mockrt's live objects"


async def test_a_reset_forgets_the_kept_sessions_and_their_bytes() -> None:
    async with MockRealtimeServer(max_sessions=KEPT, max_journal_bytes=10**9) as server:
        state: ServerState = server.app[STATE]
        await _sessions(server, 0, 5)
        assert len(state.finished) == 5 and state.finished_bytes > 0
        assert (await server.reset())["cleared"] == 5
        assert (len(state.finished), state.finished_bytes) == (0, 0)
        await _sessions(server, 0, 1)
        assert [s.journal.approx_bytes for s in state.finished] == [state.finished_bytes]


def test_dropping_a_large_session_outside_a_loop_releases_at_once() -> None:
    """``keep_finished`` called by a direct caller (no running loop) collects on the spot."""
    state = ServerState(ServerConfig(max_sessions=0), KeyStore(None), CountingIds())
    session = Session(ids=CountingIds())
    for n in range(400):  # ~400 KiB of journal: above the idle release threshold
        session.receive_text(json.dumps({"type": "x", "n": n}))
    session.events_to_send()  # the errors are journaled as they are sent
    state.keep_finished(session)
    assert (state.dropped, len(state.finished), state.releases) == (1, 0, 1)


def test_expired_minted_keys_are_forgotten_as_new_ones_are_minted() -> None:
    keys, ids = KeyStore(None), CountingIds()
    body = {"expires_after": {"anchor": "created_at", "seconds": 10}}
    values = []
    for n in range(5_000):  # one key a second, each valid for 10 s
        status, payload = create_client_secret(body, keys, Options(), ids, float(n))
        assert status == 200
        values.append(payload["value"])
    assert len(keys.minted) <= 1_024  # not 5,000: expired keys were dropped along the way
    assert keys.check(values[-1], 4_999.0) is not False
    assert keys.check(values[0], 4_999.0) is False  # expired, forgotten or not

"""The adapter's pump: frames that queue nothing cost no wake-up, yet every event still goes out
on time and every frame still reaches the journal file (mockrt/serve/pump.py)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection

from mockrt.core.ids import CountingIds
from mockrt.serve.state import ServerConfig
from mockrt.serve.testing import MockRealtimeServer
from tests import audio_gen


def append(pcm: bytes) -> str:
    return json.dumps(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode()}
    )


async def recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def test_paced_turn_gets_its_timed_transcript_while_appends_keep_arriving() -> None:
    # speed 1: the transcript events are due later than the frames that caused them, so only
    # the sender's single timer can send them; silence keeps arriving meanwhile.
    async with MockRealtimeServer(ServerConfig(ids=CountingIds, speed=1.0)) as server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            assert (await recv(ws))["type"] == "session.created"
            model = {"transcription": {"model": "gpt-4o-transcribe"}}
            update = {"type": "transcription", "audio": {"input": model}}
            await ws.send(json.dumps({"type": "session.update", "session": update}))
            assert (await recv(ws))["type"] == "session.updated"
            speech = audio_gen.tone(600, 220, -20)
            for i in range(0, len(speech), 960):
                await ws.send(append(speech[i : i + 960]))
            seen: list[str] = []
            quiet = append(audio_gen.silence(20))
            deadline = time.monotonic() + 10
            while "conversation.item.input_audio_transcription.completed" not in seen:
                assert time.monotonic() < deadline, f"no transcript; events: {seen}"
                await ws.send(quiet)
                try:
                    seen.append((await recv(ws, timeout=0.02))["type"])
                except TimeoutError:
                    pass
    assert seen.index("input_audio_buffer.speech_stopped") < seen.index(
        "input_audio_buffer.committed"
    )


async def test_session_update_among_a_stream_of_appends_is_answered_in_order() -> None:
    async with MockRealtimeServer(ServerConfig(ids=CountingIds, speed=1.0)) as server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await recv(ws)
            quiet = append(audio_gen.silence(20))
            for round_ in range(3):
                for _ in range(50):
                    await ws.send(quiet)
                update = {"type": "session.update", "event_id": f"u{round_}"}
                update["session"] = {"type": "transcription"}
                await ws.send(json.dumps(update))
                assert (await recv(ws))["type"] == "session.updated"


async def test_appends_reach_the_journal_file_while_the_session_is_open(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    config = ServerConfig(ids=CountingIds, speed=1.0, journal_path=path)
    async with MockRealtimeServer(config) as server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await recv(ws)
            for _ in range(10):
                await ws.send(append(audio_gen.silence(20)))
            deadline = time.monotonic() + 10
            appended = 0
            while appended < 10:
                assert time.monotonic() < deadline, f"{appended} of 10 appends journaled"
                await asyncio.sleep(0.05)
                lines = path.read_text().splitlines() if path.exists() else []
                appended = sum('"input_audio_buffer.append"' in line for line in lines)
            assert not ws.close_code  # still open: written by the pump, not at the close

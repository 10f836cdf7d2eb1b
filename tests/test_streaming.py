"""Real speech through a real websockets client at several chunk sizes: identical events."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import websockets

from mockrt.core.ids import CountingIds
from mockrt.serve.state import ServerConfig
from mockrt.serve.testing import MockRealtimeServer

# A fixed wall clock: expires_at must not differ between runs that straddle a second.
FIXED_CLOCK = ServerConfig(ids=CountingIds, speed=0, wall_clock=lambda: 1_700_000_000.0)

SPEECH = (Path(__file__).parent / "data" / "speech.pcm").read_bytes()
COMPLETED = "conversation.item.input_audio_transcription.completed"


async def stream(chunk_ms: int) -> list[dict[str, Any]]:
    async with (
        MockRealtimeServer(FIXED_CLOCK) as server,
        websockets.connect(server.url, additional_headers=server.headers) as ws,
    ):
        await ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {
                        "type": "transcription",
                        "audio": {
                            "input": {
                                "transcription": {"model": "gpt-4o-transcribe"},
                                "turn_detection": {
                                    "type": "server_vad",
                                    "threshold": 0.5,
                                    "prefix_padding_ms": 300,
                                    "silence_duration_ms": 500,
                                },
                            }
                        },
                    },
                }
            )
        )
        step = chunk_ms * 48
        for start in range(0, len(SPEECH), step):
            chunk = base64.b64encode(SPEECH[start : start + step]).decode()
            await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
        events: list[dict[str, Any]] = []
        while sum(e["type"] == COMPLETED for e in events) < 2:
            events.append(json.loads(await asyncio.wait_for(ws.recv(), 10)))
        return events


async def test_chunk_size_does_not_change_a_single_event() -> None:
    # Events are made in the core, deterministically; only their interleaving on the wire with
    # a client that sends as fast as it can depends on scheduling, so compare them by id.
    runs = [sorted(await stream(ms), key=lambda e: e["event_id"]) for ms in (10, 20, 50, 100, 333)]
    for run in runs[1:]:
        assert run == runs[0]
    kinds = [e["type"] for e in runs[0]]
    assert kinds[:2] == ["session.created", "session.updated"]
    assert kinds.count("input_audio_buffer.speech_started") == 2
    assert [e["transcript"] for e in runs[0] if e["type"] == COMPLETED] == [
        "turn 1: 1.43 s of speech",
        "turn 2: 1.42 s of speech",
    ]

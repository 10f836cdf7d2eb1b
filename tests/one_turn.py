"""One transcription turn over a real WebSocket, as a client does it: configure a transcription
model with turn detection off, append 0.2 s of silence, commit, wait for the transcript."""

from __future__ import annotations

import asyncio
import base64
import json

import websockets
from websockets.datastructures import Headers

_UPDATE = {
    "type": "transcription",
    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None}},
}


async def one_turn(url: str, key: str, timeout: float = 20.0) -> tuple[Headers, str]:
    """The handshake's response headers (case-insensitive) and the turn's transcript."""
    auth = {"Authorization": f"Bearer {key}"}
    async with asyncio.timeout(timeout), websockets.connect(url, additional_headers=auth) as ws:
        assert ws.response is not None
        headers = ws.response.headers
        await ws.recv()
        await ws.send(json.dumps({"type": "session.update", "session": _UPDATE}))
        audio = base64.b64encode(bytes(48 * 200)).decode()
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        async for message in ws:
            event = json.loads(message)
            if event["type"].endswith("transcription.completed"):
                return headers, str(event["transcript"])
    raise AssertionError("no transcript")

"""Realtime transcription over a raw WebSocket (the ``websockets`` package), GA protocol.

    mockrt diagnose -- python examples/raw_websockets.py       # against the mock
    OPENAI_API_KEY=sk-... python examples/raw_websockets.py     # against the live API

Connect to /v1/realtime?intent=transcription (no model in the URL), wait for session.created,
configure with a type "transcription" session.update, stream audio, commit, read the transcript.
"""

from __future__ import annotations

import asyncio
import base64
import json
import math
import os
import sys
from array import array

import websockets

URL = os.environ.get(
    "MOCKRT_TRANSCRIPTION_URL", "wss://api.openai.com/v1/realtime?intent=transcription"
)
RATE = 24_000  # audio/pcm is 16-bit little-endian mono at 24 kHz


def tone_then_silence() -> bytes:
    """1 s of a 440 Hz tone at -20 dBFS, then 0.7 s of silence."""
    tone = [round(3277 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)]
    samples = array("h", tone + [0] * (RATE * 7 // 10))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


async def main() -> int:
    headers = {"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"}  # no OpenAI-Beta header
    async with websockets.connect(URL, additional_headers=headers, max_size=None) as ws:
        update = {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": RATE},
                        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                        "turn_detection": None,  # no server VAD: we commit the turn ourselves
                    }
                },
            },
        }
        audio = tone_then_silence()
        async for message in ws:
            event = json.loads(message)
            if event["type"] == "error":
                print("error:", event["error"]["message"])
                return 1
            if event["type"] == "session.created":
                await ws.send(json.dumps(update))
            elif event["type"] == "session.updated":  # configured: now send the audio
                for i in range(0, len(audio), RATE // 5):  # 100 ms (4,800 bytes) per append
                    chunk = base64.b64encode(audio[i : i + RATE // 5]).decode("ascii")
                    await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": chunk}))
                await ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
            elif event["type"] == "conversation.item.input_audio_transcription.completed":
                print("transcript:", event["transcript"])
                return 0
    return 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

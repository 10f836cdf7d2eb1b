"""Realtime transcription with the openai SDK: GA ``?intent=transcription`` + ``session.update``.

    mockrt diagnose -- python examples/openai_sdk_transcription.py    # against the mock
    OPENAI_API_KEY=sk-... python examples/openai_sdk_transcription.py  # against the live API

The SDK reads OPENAI_API_KEY and OPENAI_BASE_URL; the WebSocket base comes from
OPENAI_WEBSOCKET_BASE_URL when set, else from the base URL (https -> wss).
"""

from __future__ import annotations

import asyncio
import base64
import math
import os
import sys
from array import array

from openai import AsyncOpenAI

RATE = 24_000  # audio/pcm is 16-bit little-endian mono at 24 kHz


def tone_then_silence() -> bytes:
    """1 s of a 440 Hz tone at -20 dBFS, then 0.7 s of silence."""
    tone = [round(3277 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(RATE)]
    samples = array("h", tone + [0] * (RATE * 7 // 10))
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


async def main() -> int:
    client = AsyncOpenAI(websocket_base_url=os.environ.get("OPENAI_WEBSOCKET_BASE_URL"))
    # No model in the URL: the transcription model goes into the session.
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        await conn.session.update(
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": RATE},
                        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                        "turn_detection": None,  # no server VAD: we commit the turn ourselves
                    }
                },
            }
        )
        audio = tone_then_silence()
        async for event in conn:
            if event.type == "error":
                print("error:", event.error.message)
                return 1
            if event.type == "session.updated":  # configured: now send the audio
                for i in range(0, len(audio), RATE // 5):  # 100 ms (4,800 bytes) per append
                    chunk = base64.b64encode(audio[i : i + RATE // 5]).decode("ascii")
                    await conn.input_audio_buffer.append(audio=chunk)
                await conn.input_audio_buffer.commit()
            if event.type == "conversation.item.input_audio_transcription.completed":
                print("transcript:", event.transcript)
                break
    await client.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

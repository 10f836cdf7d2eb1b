"""Streaming transcription with the OpenAI Agents SDK's voice STT model (``agents.voice``).

    mockrt diagnose -- python examples/agents_voice_stt.py    # against the mock
    OPENAI_API_KEY=sk-... python examples/agents_voice_stt.py  # against the live API

This is the Agents SDK's supported transcription path: OpenAISTTModel opens
/v1/realtime?intent=transcription itself and sends a type "transcription" session.update.
(RealtimeRunner cannot do this: it always configures a conversation session.)
The WebSocket base comes from OPENAI_WEBSOCKET_BASE_URL when set, else from OPENAI_BASE_URL.
"""

from __future__ import annotations

import asyncio
import os
import sys

import numpy as np
from agents.voice import OpenAISTTModel, StreamedAudioInput, STTModelSettings
from openai import AsyncOpenAI

RATE = 24_000


def tone_then_silence() -> np.ndarray:
    """1 s of a 440 Hz tone at -20 dBFS, then 0.7 s of silence (float32; the SDK makes int16)."""
    t = np.arange(RATE) / RATE
    tone = 0.1 * np.sin(2 * np.pi * 440 * t)
    return np.concatenate([tone, np.zeros(RATE * 7 // 10)]).astype(np.float32)


async def main() -> int:
    client = AsyncOpenAI(websocket_base_url=os.environ.get("OPENAI_WEBSOCKET_BASE_URL"))
    model = OpenAISTTModel("gpt-4o-transcribe", client)
    audio = StreamedAudioInput()
    session = await model.create_session(
        audio,
        STTModelSettings(language="en"),  # turn_detection defaults to {"type": "semantic_vad"}
        trace_include_sensitive_data=False,
        trace_include_sensitive_audio_data=False,
    )
    await audio.add_audio(tone_then_silence())
    await audio.add_audio(None)  # end of input: the SDK commits what is left and finishes
    async for transcript in session.transcribe_turns():
        print("transcript:", transcript)
    await client.close()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

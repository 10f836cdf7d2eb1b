"""THE REPORTED FAILURE, for ``mockrt diagnose`` to explain: RealtimeRunner on a transcription URL.

    mockrt diagnose -- python examples/agents_realtime_runner_wrong.py

As reported, unchanged: it mints an ephemeral key for a transcription session with the openai SDK
(POST https://api.openai.com/v1/realtime/client_secrets), then points the Agents SDK's
RealtimeRunner at the hard-coded wss://api.openai.com/v1/realtime?intent=transcription.
``mockrt diagnose`` redirects both to the mock (the httpx variant:
agents_realtime_runner_wrong_httpx.py). RealtimeRunner
always configures a conversation session (type "realtime", model gpt-realtime-*, voice, tools,
tracing), so every session.update earns "Passing a realtime session update event to a
transcription session is not allowed." Working alternatives: agents_voice_stt.py and
openai_sdk_transcription.py.
"""

from __future__ import annotations

import asyncio
import sys

from agents.realtime import RealtimeAgent, RealtimeRunner
from openai import AsyncOpenAI

URL = "wss://api.openai.com/v1/realtime?intent=transcription"


async def main() -> int:
    client = AsyncOpenAI()  # OPENAI_API_KEY
    secret = await client.realtime.client_secrets.create(
        session={
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}},
        }
    )
    await client.close()
    runner = RealtimeRunner(RealtimeAgent(name="transcriber", instructions=""))
    errors = 0
    async with await runner.run(model_config={"api_key": secret.value, "url": URL}) as session:
        try:
            async with asyncio.timeout(5):
                async for event in session:
                    if event.type == "error":
                        errors += 1
                        print("RealtimeError:", event.error)
                        if errors == 2:  # one per session.update the runner sent
                            break
        except TimeoutError:
            pass
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

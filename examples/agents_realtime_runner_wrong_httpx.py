"""THE REPORTED FAILURE, key minted with httpx: RealtimeRunner on a transcription URL.

    mockrt diagnose -- python examples/agents_realtime_runner_wrong_httpx.py

As reported, unchanged: the ephemeral key comes from a hard-coded REST call with httpx
(POST https://api.openai.com/v1/realtime/client_secrets), and the Agents SDK's RealtimeRunner gets
the hard-coded wss://api.openai.com/v1/realtime?intent=transcription in ``model_config``.
RealtimeRunner configures a conversation session, so every session.update earns "Passing a
realtime session update event to a transcription session is not allowed." The openai SDK variant:
agents_realtime_runner_wrong.py.
"""

from __future__ import annotations

import asyncio
import os
import sys

import httpx
from agents.realtime import RealtimeAgent, RealtimeRunner

URL = "wss://api.openai.com/v1/realtime?intent=transcription"
CLIENT_SECRETS = "https://api.openai.com/v1/realtime/client_secrets"


async def mint_key() -> str:
    async with httpx.AsyncClient() as http:
        response = await http.post(
            CLIENT_SECRETS,
            headers={"Authorization": f"Bearer {os.environ['OPENAI_API_KEY']}"},
            json={
                "session": {
                    "type": "transcription",
                    "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}},
                }
            },
        )
        response.raise_for_status()
        return str(response.json()["value"])


async def main() -> int:
    key = await mint_key()
    runner = RealtimeRunner(RealtimeAgent(name="transcriber", instructions=""))
    errors = 0
    async with await runner.run(model_config={"api_key": key, "url": URL}) as session:
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

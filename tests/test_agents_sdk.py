"""The reported case, end to end: the Agents SDK's RealtimeRunner on ?intent=transcription."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from agents.realtime import RealtimeAgent, RealtimeRunner
from openai.types.realtime import RealtimeError as OpenAIRealtimeError

from mockrt.testing import MockRealtimeServer

RULE = "Passing a realtime session update event to a transcription session is not allowed."


async def mint_ephemeral_key(server: MockRealtimeServer) -> str:
    body = {
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "noise_reduction": {"type": "far_field"},
                    "transcription": {
                        "language": "en",
                        "model": "gpt-4o-mini-transcribe",
                        "prompt": "Expect technology terms.",
                    },
                }
            },
            "include": ["item.input_audio_transcription.logprobs"],
        }
    }
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.http_url}/realtime/client_secrets", json=body, headers=server.headers
        ) as response,
    ):
        assert response.status == 200
        return str((await response.json())["value"])


async def test_realtime_runner_surfaces_the_reported_realtime_error(
    server: MockRealtimeServer,
) -> None:
    key = await mint_ephemeral_key(server)
    runner = RealtimeRunner(RealtimeAgent(name="transcriber", instructions=""))
    errors: list[Any] = []
    session = await runner.run(model_config={"api_key": key, "url": server.url})
    async with session:

        async def collect() -> None:
            async for event in session:
                if event.type == "error":
                    errors.append(event.error)
                    if len(errors) == 2:
                        return

        await asyncio.wait_for(collect(), 10)
    expected = OpenAIRealtimeError(
        message=RULE,
        type="invalid_request_error",
        code="invalid_parameter",
        event_id=None,
        param="",
    )
    assert errors == [expected, expected]
    # Both of the SDK's realtime updates were journaled as violations; the session lived on.
    (mock_session,) = server.sessions
    assert [v.rule for v in mock_session.journal.violations()] == [
        "realtime-update-on-transcription-session"
    ] * 2
    sent = mock_session.journal.received("session.update")
    assert sent[0].event["session"]["type"] == "realtime"
    assert sent[1].event["session"] == {
        "type": "realtime",
        "model": "gpt-realtime-2.1",
        "tracing": "auto",
    }

"""The reported case, end to end: the Agents SDK's RealtimeRunner on ?intent=transcription."""

from __future__ import annotations

import asyncio
from typing import Any

from agents.realtime import RealtimeAgent, RealtimeRunner
from openai.types.realtime import RealtimeError as OpenAIRealtimeError

from mockrt.serve.testing import MockRealtimeServer

from .conftest import REPORTED_SECRET_REQUEST, mint

RULE = "Passing a realtime session update event to a transcription session is not allowed."


async def mint_ephemeral_key(server: MockRealtimeServer) -> str:
    status, secret = await mint(server, REPORTED_SECRET_REQUEST)
    assert status == 200
    return str(secret["value"])


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


async def test_the_same_runner_on_a_model_url_gets_a_conversation_session_and_no_error(
    server: MockRealtimeServer,
) -> None:
    runner = RealtimeRunner(RealtimeAgent(name="talker", instructions=""))
    url = f"{server.ws_base_url}/realtime?model=gpt-realtime"
    session = await runner.run(model_config={"api_key": server.api_key, "url": url})
    async with session:

        async def updated_twice() -> None:
            while len(server.journal.sent("session.updated")) < 2:
                await asyncio.sleep(0.01)

        await asyncio.wait_for(updated_twice(), 10)
    (mock_session,) = server.sessions
    assert mock_session.intent == "realtime"
    assert mock_session.journal.violations() == []
    assert mock_session.journal.sent()[0].event["session"]["type"] == "realtime"

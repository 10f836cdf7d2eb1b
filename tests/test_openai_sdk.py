"""The openai SDK's own realtime client against the mock: its types parse what we send."""

from __future__ import annotations

import asyncio

from openai import AsyncOpenAI

from mockrt.serve.testing import MockRealtimeServer


async def test_openai_sdk_connects_updates_and_parses_every_event(
    server: MockRealtimeServer,
) -> None:
    client = AsyncOpenAI(
        api_key=server.api_key, base_url=server.http_url, websocket_base_url=server.ws_base_url
    )
    async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
        created = await asyncio.wait_for(conn.recv(), 5)
        assert created.type == "session.created"
        assert created.session.type == "transcription"
        await conn.session.update(
            session={
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
                        "turn_detection": None,
                    }
                },
            }
        )
        updated = await asyncio.wait_for(conn.recv(), 5)
        assert updated.type == "session.updated"
        assert updated.session.type == "transcription"
        assert updated.session.audio is not None and updated.session.audio.input is not None
        transcription = updated.session.audio.input.transcription
        assert transcription is not None and transcription.model == "gpt-4o-transcribe"
        await conn.send({"type": "session.update", "session": {"type": "realtime"}})
        error = await asyncio.wait_for(conn.recv(), 5)
        assert error.type == "error"
        assert error.error.code == "invalid_parameter"
    await client.close()


async def test_openai_sdk_mints_an_ephemeral_key_with_client_secrets(
    server: MockRealtimeServer,
) -> None:
    client = AsyncOpenAI(api_key=server.api_key, base_url=server.http_url)
    secret = await client.realtime.client_secrets.create(
        session={
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}},
        },
        expires_after={"anchor": "created_at", "seconds": 120},
    )
    assert secret.value.startswith("ek_")
    assert secret.session.type == "transcription"
    await client.close()

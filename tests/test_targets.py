"""The same cases against the mock and, with OPENAI_API_KEY set, against the live API.

Without a key the live half skips, saying why; with one, each case costs a connection and a few
events (no audio is transcribed). Expectations are what the live API was seen to send
(docs/protocol.md, tests/data/evidence), with ids left out.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import websockets

from mockrt.serve.testing import MockRealtimeServer

LIVE_URL = "wss://api.openai.com/v1/realtime?intent=transcription"


@dataclass
class Target:
    url: str
    headers: dict[str, str]


@pytest.fixture(params=["mock", pytest.param("live", marks=pytest.mark.live)])
async def target(request: pytest.FixtureRequest) -> AsyncIterator[Target]:
    if request.param == "live":
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            pytest.skip(
                "live target needs OPENAI_API_KEY (runs the same cases against "
                "wss://api.openai.com)"
            )
        yield Target(LIVE_URL, {"Authorization": f"Bearer {key}"})
        return
    async with MockRealtimeServer() as server:
        yield Target(server.url, server.headers)


async def exchange(
    target: Target, events: list[dict[str, Any]], replies: int
) -> list[dict[str, Any]]:
    """Open a session, send ``events`` after session.created, collect ``replies`` frames."""
    async with websockets.connect(
        target.url, additional_headers=target.headers, max_size=None
    ) as ws:
        created = json.loads(await asyncio.wait_for(ws.recv(), 15))
        for event in events:
            await ws.send(json.dumps(event))
        out = [created]
        for _ in range(replies):
            out.append(json.loads(await asyncio.wait_for(ws.recv(), 15)))
        return out


def without_ids(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k != "event_id"}


async def test_session_created_is_a_transcription_session(target: Target) -> None:
    (created,) = await exchange(target, [], 0)
    assert created["type"] == "session.created"
    assert created["session"]["type"] == "transcription"
    assert created["session"]["object"] == "realtime.transcription_session"
    assert created["session"]["id"].startswith("sess_")


async def test_realtime_update_gets_the_reported_error(target: Target) -> None:
    update = {
        "type": "session.update",
        "session": {"type": "realtime", "model": "gpt-realtime-2.1"},
    }
    _, error = await exchange(target, [update], 1)
    assert without_ids(error) == {
        "type": "error",
        "error": {
            "type": "invalid_request_error",
            "code": "invalid_parameter",
            "param": "",
            "event_id": None,
            "message": "Passing a realtime session update event to a transcription session is not "
            "allowed.",
        },
    }


async def test_commit_of_50ms_gets_the_buffer_too_small_error(target: Target) -> None:
    events = [
        {
            "type": "session.update",
            "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
        },
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(2400)).decode()},
        {"type": "input_audio_buffer.commit", "event_id": "commit_1"},
    ]
    _, updated, error = await exchange(target, events, 2)
    assert updated["type"] == "session.updated"
    assert error["error"] == {
        "type": "invalid_request_error",
        "code": "input_audio_buffer_commit_empty",
        "param": None,
        "event_id": "commit_1",
        "message": "Error committing input audio buffer: buffer too small. Expected at least "
        "100ms of audio, but buffer only has 50.00ms of audio.",
    }


@pytest.mark.parametrize(
    ("session", "code", "message"),
    [
        (
            {"type": "transcription", "totally_made_up_field": 1},
            "unknown_parameter",
            "Unknown parameter: 'session.totally_made_up_field'.",
        ),
        (
            {"audio": {}},
            "missing_required_parameter",
            "Missing required parameter: 'session.type'.",
        ),
    ],
)
async def test_session_update_validation_errors(
    target: Target, session: dict[str, Any], code: str, message: str
) -> None:
    _, error = await exchange(target, [{"type": "session.update", "session": session}], 1)
    assert (error["error"]["code"], error["error"]["message"]) == (code, message)

"""The beta persona: the retired transcription_session.* shapes, served by the same core."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import websockets

from mockrt.core.ids import CountingIds
from mockrt.core.persona import BETA
from mockrt.serve.state import ServerConfig
from mockrt.serve.testing import MockRealtimeServer

from .conftest import make_session, send

FORUM = json.loads(
    (
        Path(__file__).parent / "data" / "evidence" / "forum-beta-transcription-session-update.json"
    ).read_text()
)
BETA_HEADERS = {"OpenAI-Beta": "realtime=v1"}


def test_beta_session_starts_with_transcription_session_created() -> None:
    session = make_session(persona=BETA)
    (created,) = session.events_to_send()
    assert created == {
        "type": "transcription_session.created",
        "event_id": "event_0001",
        "session": {
            "id": "sess_0001",
            "object": "realtime.transcription_session",
            "modalities": ["audio", "text"],
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 200,
            },
            "input_audio_format": "pcm16",
            "input_audio_transcription": None,
            "include": None,
            "client_secret": None,
            "expires_at": 1_700_003_600,
        },
    }


def test_the_forum_clients_beta_update_is_applied_and_echoed_in_beta_shape() -> None:
    session = make_session(persona=BETA)
    session.events_to_send()
    (updated,) = send(session, FORUM["client_sent"][0])
    assert updated["type"] == "transcription_session.updated"
    beta = updated["session"]
    assert beta["input_audio_transcription"] == {
        "model": "gpt-4o-mini-transcribe",
        "language": "en",
        "prompt": "",
    }
    assert beta["turn_detection"]["silence_duration_ms"] == 500
    assert beta["input_audio_noise_reduction"] == {"type": "near_field"}
    assert beta["include"] == ["item.input_audio_transcription.logprobs"]
    # The same core holds it as a GA session.
    assert session.config.audio.input.transcription.model == "gpt-4o-mini-transcribe"  # type: ignore[union-attr]


def test_beta_turns_use_conversation_item_created() -> None:
    session = make_session(persona=BETA)
    session.events_to_send()
    send(
        session,
        {
            "type": "transcription_session.update",
            "session": {
                "input_audio_transcription": {"model": "whisper-1"},
                "turn_detection": None,
            },
        },
    )
    send(session, {"type": "input_audio_buffer.append", "audio": "AAAA" * 2000})
    session.receive_text(json.dumps({"type": "input_audio_buffer.commit"}))
    session.advance(10_000)
    kinds = [e["type"] for e in session.events_to_send()]
    assert kinds[:2] == ["input_audio_buffer.committed", "conversation.item.created"]
    assert "conversation.item.added" not in kinds
    assert kinds[-1] == "conversation.item.input_audio_transcription.completed"


def test_beta_validation_names_the_beta_fields() -> None:
    session = make_session(persona=BETA)
    session.events_to_send()
    (error,) = send(
        session, {"type": "transcription_session.update", "session": {"input_audio_format": "mp3"}}
    )
    assert error["error"]["param"] == "session.input_audio_format"
    assert error["error"]["code"] == "invalid_value"


def test_ga_socket_answers_the_beta_event_as_an_unknown_type_and_applies_nothing() -> None:
    # crmitchelmore/justspeaktoit PR 427 (2026-05-08), against live: the message begins
    # "Invalid value: 'transcription_session.update'" (protocol.md §11).
    session = make_session()
    before = session.config
    session.events_to_send()
    (error,) = send(session, FORUM["client_sent"][0])
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["code"] == "invalid_value"
    assert error["error"]["param"] == "type"
    assert error["error"]["message"].startswith("Invalid value: 'transcription_session.update'.")
    assert "'transcription_session.update', " not in error["error"]["message"]
    assert error["error"]["event_id"] == FORUM["client_sent"][0]["event_id"]
    assert session.config == before and session.close_request is None
    (updated,) = send(session, {"type": "session.update", "session": {"type": "transcription"}})
    assert updated["type"] == "session.updated"


async def test_beta_server_serves_beta_header_clients_and_ga_clients_alike() -> None:
    async with MockRealtimeServer(ServerConfig(ids=CountingIds, speed=0, persona="beta")) as srv:
        headers = {**srv.headers, **BETA_HEADERS}
        async with websockets.connect(srv.url, additional_headers=headers) as ws:
            created = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert created["type"] == "transcription_session.created"
        async with websockets.connect(srv.url, additional_headers=srv.headers) as ws:
            created = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert created["type"] == "session.created"


async def rest(server: MockRealtimeServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.http_url}/realtime/transcription_sessions",
            json=body,
            headers={**server.headers, "OpenAI-Beta": "assistants=v2"},
        ) as response,
    ):
        return response.status, dict(await response.json())


async def test_beta_rest_returns_the_client_secret_shape_and_the_key_opens_a_session() -> None:
    async with MockRealtimeServer(ServerConfig(ids=CountingIds, speed=0, persona="beta")) as srv:
        status, body = await rest(
            srv, {"input_audio_transcription": {"model": "gpt-4o-transcribe", "language": "de"}}
        )
        assert status == 200
        assert set(body["client_secret"]) == {"value", "expires_at"}
        assert body["client_secret"]["value"].startswith("ek_")
        assert body["object"] == "realtime.transcription_session"
        assert body["input_audio_transcription"]["language"] == "de"
        headers = {"Authorization": f"Bearer {body['client_secret']['value']}", **BETA_HEADERS}
        async with websockets.connect(srv.url, additional_headers=headers) as ws:
            created = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert created["session"]["input_audio_transcription"]["language"] == "de"


async def test_ga_server_refuses_the_beta_rest_call(server: MockRealtimeServer) -> None:
    status, body = await rest(server, {})
    assert status == 400
    assert body["error"]["code"] == "beta_api_shape_disabled"

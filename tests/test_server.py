"""The aiohttp adapter on a real loopback socket, driven by a real websockets client."""

from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from mockrt.core.ids import CountingIds
from mockrt.core.options import Options
from mockrt.serve.state import ServerConfig
from mockrt.serve.testing import MockRealtimeServer

from .audio_gen import tone
from .conftest import REPORTED_SECRET_REQUEST, mint

RULE = "Passing a realtime session update event to a transcription session is not allowed."


async def recv(ws: ClientConnection, timeout: float = 5.0) -> dict[str, Any]:
    return dict(json.loads(await asyncio.wait_for(ws.recv(), timeout)))


async def test_session_created_arrives_first(server: MockRealtimeServer) -> None:
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        created = await recv(ws)
    assert created["type"] == "session.created"
    assert created["session"]["type"] == "transcription"
    assert created["session"]["object"] == "realtime.transcription_session"


async def test_realtime_update_before_reading_is_answered_after_session_created(
    server: MockRealtimeServer,
) -> None:
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "model": "gpt-realtime-2.1"},
                }
            )
        )
        first, second = await recv(ws), await recv(ws)
        assert first["type"] == "session.created"
        assert second["error"]["message"] == RULE
        await ws.send(json.dumps({"type": "session.update", "session": {"type": "transcription"}}))
        assert (await recv(ws))["type"] == "session.updated"


async def test_missing_key_gets_401_json_before_the_upgrade(server: MockRealtimeServer) -> None:
    with pytest.raises(websockets.InvalidStatus) as info:
        async with websockets.connect(server.url):
            pass
    response = info.value.response
    assert response.status_code == 401
    assert json.loads(response.body or b"{}")["error"]["type"] == "invalid_request_error"


async def test_browser_subprotocols_authenticate_and_echo_realtime(
    server: MockRealtimeServer,
) -> None:
    protocols = ["realtime", "openai-insecure-api-key.sk-from-browser"]
    async with websockets.connect(server.url, subprotocols=protocols) as ws:  # type: ignore[arg-type]
        assert ws.subprotocol == "realtime"
        assert (await recv(ws))["type"] == "session.created"


async def test_beta_header_gets_error_then_close_4000(server: MockRealtimeServer) -> None:
    headers = {**server.headers, "OpenAI-Beta": "realtime=v1"}
    async with websockets.connect(server.url, additional_headers=headers) as ws:
        error = await recv(ws)
        with pytest.raises(websockets.ConnectionClosed):
            await recv(ws)
    assert error["error"]["code"] == "beta_api_shape_disabled"
    assert ws.close_code == 4000
    assert ws.close_reason == "invalid_request_error.beta_api_shape_disabled"


async def test_model_with_intent_accepts_then_refuses_the_transcription_update_and_closes(
    server: MockRealtimeServer,
) -> None:
    # livekit/agents-js issue 1756 (2026-06), the default of three recorded answers (§11)
    url = server.url + "&model=gpt-4o-mini-transcribe"
    async with websockets.connect(url, additional_headers=server.headers) as ws:
        created = await recv(ws)
        update = {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"model": "gpt-4o-mini-transcribe"}}},
            },
        }
        await ws.send(json.dumps(update))
        error = await recv(ws)
        with pytest.raises(websockets.ConnectionClosed):
            await recv(ws)
    assert created["type"] == "session.created"
    assert error["error"]["code"] == "invalid_model"
    assert error["error"]["message"] == (
        'Model "gpt-4o-mini-transcribe" is not supported in transcription mode.'
    )
    assert (ws.close_code, ws.close_reason) == (4000, "invalid_request_error.invalid_model")


@pytest.mark.parametrize("name", ["must-not-provide", "at-handshake"])
async def test_model_with_intent_answered_at_the_handshake_when_chosen(name: str) -> None:
    options = Options(model_with_intent=name)  # type: ignore[arg-type]
    async with MockRealtimeServer(ServerConfig(options=options)) as srv:
        url = srv.url + "&model=gpt-realtime-whisper"
        async with websockets.connect(url, additional_headers=srv.headers) as ws:
            error = await recv(ws)
            with pytest.raises(websockets.ConnectionClosed):
                await recv(ws)
    assert error["type"] == "error" and error["error"]["code"] == "invalid_model"
    assert (ws.close_code, ws.close_reason) == (4000, "invalid_request_error.invalid_model")


async def test_model_query_opens_a_realtime_session(server: MockRealtimeServer) -> None:
    url = f"{server.ws_base_url}/realtime?model=gpt-realtime"
    async with websockets.connect(url, additional_headers=server.headers) as ws:
        created = await recv(ws)
        assert created["session"]["type"] == "realtime"
        await ws.send(json.dumps({"type": "session.update", "session": {"type": "transcription"}}))
        error = await recv(ws)
    assert error["error"]["message"] == (
        "Passing a transcription session update event to a realtime session is not allowed."
    )


async def test_ephemeral_key_opens_a_session_with_its_configuration(
    server: MockRealtimeServer,
) -> None:
    status, secret = await mint(server, REPORTED_SECRET_REQUEST)
    assert status == 200
    headers = {"Authorization": f"Bearer {secret['value']}"}
    async with websockets.connect(server.url, additional_headers=headers) as ws:
        created = await recv(ws)
    audio = created["session"]["audio"]["input"]
    assert audio["noise_reduction"] == {"type": "far_field"}
    assert audio["transcription"] == {
        "model": "gpt-4o-mini-transcribe",
        "language": "en",
        "prompt": "Expect technology terms.",
    }
    assert audio["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.7,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
    }
    assert created["session"]["include"] == ["item.input_audio_transcription.logprobs"]


async def test_client_secrets_needs_a_key(server: MockRealtimeServer) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{server.http_url}/realtime/client_secrets", json={}) as response,
    ):
        assert response.status == 401


async def test_malformed_frames_never_break_the_connection_or_other_sessions(
    server: MockRealtimeServer,
) -> None:
    async with (
        websockets.connect(server.url, additional_headers=server.headers) as bystander,
        websockets.connect(server.url, additional_headers=server.headers) as ws,
    ):
        await recv(bystander)
        await recv(ws)
        frames: list[str | bytes] = [
            "nope",
            b"\x00\xff binary",
            "[]",
            "{}",
            '{"type": 1}',
            '{"type": "x.y"}',
            '{"type": "input_audio_buffer.append", "audio": "!!!not base64!!!"}',
            '{"type": "session.update", "session": 5}',
            "{" * 5000,
            json.dumps(
                {"type": "session.update", "session": {"type": "transcription", "x": "y" * 100_000}}
            ),
        ]
        for frame in frames:
            await ws.send(frame)
            reply = await recv(ws)
            assert reply["type"] == "error", (frame, reply)
            assert "Traceback" not in json.dumps(reply)
        await ws.send(json.dumps({"type": "session.update", "session": {"type": "transcription"}}))
        assert (await recv(ws))["type"] == "session.updated"
        await bystander.send(
            json.dumps({"type": "session.update", "session": {"type": "transcription"}})
        )
        assert (await recv(bystander))["type"] == "session.updated"


async def test_journal_file_has_every_frame_both_ways_and_no_keys(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    config = ServerConfig(ids=CountingIds, speed=0, journal_path=path)
    async with MockRealtimeServer(config) as server:
        server.api_key = "sk-secret-abcdefghijklmnop"
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await recv(ws)
            await ws.send(
                json.dumps(
                    {
                        "type": "session.update",
                        "event_id": "c1",
                        "session": {
                            "type": "realtime",
                            "instructions": "sk-secret-abcdefghijklmnop",
                        },
                    }
                )
            )
            await recv(ws)
    text = path.read_text()
    assert "abcdefghijklmnop" not in text
    records = [json.loads(line) for line in text.splitlines()]
    assert [(r["direction"], r["event"]["type"]) for r in records] == [
        ("server", "session.created"),
        ("client", "session.update"),
        ("server", "error"),
    ]
    for r in records:
        assert set(r) >= {"direction", "time", "session", "event"}
        assert r["session"] == "sess_0001"
    assert records[2]["violation"]["rule"] == "realtime-update-on-transcription-session"
    assert records[2]["violation"]["client_event"] == {
        "index": 0,
        "type": "session.update",
        "event_id": "c1",
    }


async def test_violation_is_logged_as_one_readable_line(
    server: MockRealtimeServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="mockrt")
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        await ws.send(
            json.dumps(
                {
                    "type": "session.update",
                    "session": {"type": "realtime", "model": "gpt-realtime-2.1"},
                }
            )
        )
        await recv(ws)
        await recv(ws)
    lines = [r.getMessage() for r in caplog.records if "rejected" in r.getMessage()]
    assert lines == [
        f"session {server.sessions[0].id}: client event #1 session.update "
        '(session.type="realtime", model="gpt-realtime-2.1") on a transcription session '
        "-> rejected (invalid_parameter)"
    ]


async def test_healthz_answers_200(server: MockRealtimeServer) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}/healthz") as response,
    ):
        assert response.status == 200


async def test_an_append_over_15_mib_gets_an_error_and_the_connection_lives_on(
    server: MockRealtimeServer,
) -> None:
    async with websockets.connect(
        server.url, additional_headers=server.headers, max_size=None
    ) as ws:
        await recv(ws)
        huge = "A" * (((15 * 1024 * 1024) // 3 + 2) * 4)  # just over 15 MiB once decoded
        await ws.send(
            json.dumps({"type": "input_audio_buffer.append", "audio": huge, "event_id": "big"})
        )
        error = await recv(ws, timeout=30)
        assert error["error"]["param"] == "audio"
        assert error["error"]["event_id"] == "big"
        assert "exceeds the maximum" in error["error"]["message"]
        await ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert (await recv(ws))["type"] == "input_audio_buffer.cleared"
    (session,) = server.sessions
    assert session.audio.buffered_ms == 0


async def test_a_frame_over_the_websocket_limit_closes_with_1009_and_spares_others() -> None:
    config = ServerConfig(ids=CountingIds, speed=0, max_frame_bytes=64 * 1024)
    async with (
        MockRealtimeServer(config) as server,
        websockets.connect(server.url, additional_headers=server.headers) as bystander,
    ):
        await recv(bystander)
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await recv(ws)
            await ws.send("x" * (65 * 1024))
            with pytest.raises(websockets.ConnectionClosed):
                await recv(ws)
        assert ws.close_code == 1009
        await bystander.send(json.dumps({"type": "input_audio_buffer.clear"}))
        assert (await recv(bystander))["type"] == "input_audio_buffer.cleared"


async def test_a_refused_update_followed_by_audio_closes_even_as_fast_as_possible() -> None:
    # LiveKit's order: the update and its audio without waiting; at speed 0 the server once
    # kept jumping to events queued behind the close instead of closing.
    async with MockRealtimeServer.from_options(speed=0) as srv:
        url = srv.url + "&model=gpt-4o-transcribe"
        async with websockets.connect(url, additional_headers=srv.headers) as ws:
            update = {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"transcription": {}}}},
            }
            await ws.send(json.dumps(update))
            speech = base64.b64encode(tone(1000)).decode()  # VAD events queue behind the close
            chunk = {"type": "input_audio_buffer.append", "audio": speech}
            for _ in range(5):
                await ws.send(json.dumps(chunk))
            kinds = []
            with pytest.raises(websockets.ConnectionClosed):
                for _ in range(100):
                    kinds.append((await recv(ws))["type"])
    assert kinds == ["session.created", "error"]
    assert ws.close_code == 4000

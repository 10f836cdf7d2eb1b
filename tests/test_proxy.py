"""The validating proxy over real sockets: a second mockrt (or a scripted aiohttp upstream that
misbehaves) behind it, real websockets clients in front of it."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import aiohttp
import pytest
import websockets
from aiohttp import WSMsgType, web

from mockrt.cli.schemas import validate_records
from mockrt.core.energy import ulaw_table
from mockrt.serve.capture import append_audio, read_capture, read_wav
from mockrt.serve.cassette import ProxyServer
from mockrt.serve.proxy import ProxyConfig, upstream_url
from mockrt.serve.testing import MockRealtimeServer
from tests import audio_gen

from .test_proxy_helpers import TURNS, echo_typed, run_client, scripted_upstream

KEY = "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"


def proxy_for(upstream: str, tmp_path: Path | None = None, **kw: object) -> ProxyServer:
    return ProxyServer(ProxyConfig(upstream=upstream, record_dir=tmp_path, **kw))  # type: ignore[arg-type]


def mock_base(server: MockRealtimeServer) -> str:
    return f"ws://127.0.0.1:{server.port}"


def test_upstream_urls_join_the_request_path_and_switch_scheme_for_rest() -> None:
    assert (
        upstream_url("wss://api.openai.com", "/v1/realtime?intent=transcription")
        == "wss://api.openai.com/v1/realtime?intent=transcription"
    )
    assert (
        upstream_url("wss://api.openai.com/v1/", "/v1/realtime/client_secrets", "http")
        == "https://api.openai.com/v1/realtime/client_secrets"
    )
    assert upstream_url("ws://127.0.0.1:9/p", "/v1/x", "http") == "http://127.0.0.1:9/p/v1/x"


async def test_a_session_through_the_proxy_gets_what_the_upstream_sends_in_order(
    tmp_path: Path,
) -> None:
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream), tmp_path) as px:
        got = await run_client(px.url, upstream.headers)
        await px.settle()
    sent = [e.event for e in upstream.journal.server()]
    assert got == sent  # nothing dropped, merged or reordered, byte-equal JSON content
    (capture,) = px.state.captures
    journal = read_capture(capture)
    assert [e.event for e in journal.server()] == sent
    assert len(journal.client()) == len(upstream.journal.client())
    assert [(c.direction, c.code) for c in journal.closes] == [("client", 1000)]
    assert px.state.findings == []
    assert px.state.max_queued <= px.config.queue_size


async def test_captured_audio_sits_in_a_wav_and_appends_reference_it(tmp_path: Path) -> None:
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream), tmp_path) as px:
        await run_client(px.url, upstream.headers)
        await px.settle()
    (capture,) = px.state.captures
    fmt, data = read_wav(capture.with_suffix(".wav"))
    assert fmt == "audio/pcm" and data == b"".join(TURNS)
    journal = read_capture(capture)
    appends = journal.received("input_audio_buffer.append")
    assert appends and all(e.audio is not None for e in appends)
    assert appends[0].event["audio"] == "<6400 base64 chars>"  # as the mock's journal has it
    assert append_audio(capture, appends[1]) == base64.b64encode(TURNS[0][4800:9600]).decode()
    assert capture.stat().st_size < len(data)  # the JSON Lines stay small
    records = [json.loads(line) for line in capture.read_text().splitlines()]
    assert validate_records(records) == []  # mockrt validate accepts a capture


async def test_g711_audio_is_captured_in_a_mu_law_wav(tmp_path: Path) -> None:
    ulaw = audio_gen.to_g711(audio_gen.tone(600), ulaw_table())
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream), tmp_path) as px:
        await run_client(px.url, upstream.headers, (ulaw,), fmt={"type": "audio/pcmu"})
        await px.settle()
    (capture,) = px.state.captures
    raw = capture.with_suffix(".wav").read_bytes()
    assert raw[20:22] == (7).to_bytes(2, "little")  # WAVE_FORMAT_MULAW
    assert int.from_bytes(raw[24:28], "little") == 8000
    assert read_wav(capture.with_suffix(".wav")) == ("audio/pcmu", ulaw)


async def test_the_client_key_goes_upstream_but_never_into_the_capture_or_the_log(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="mockrt")
    async with (
        MockRealtimeServer(api_keys=frozenset({KEY})) as upstream,
        proxy_for(mock_base(upstream), tmp_path) as px,
    ):
        async with websockets.connect(
            px.url, additional_headers={"Authorization": f"Bearer {KEY}"}
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
            await ws.send(
                json.dumps({"type": "session.update", "session": {"type": "realtime", "x": KEY}})
            )
            await ws.recv()
        await px.settle()
    text = "".join(p.read_text(errors="replace") for p in tmp_path.iterdir())
    assert KEY[8:] not in text  # at most a prefix is kept
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("mockrt")]
    assert any("client-rule" in line for line in logged)
    assert not any(KEY in line for line in logged)


async def test_a_key_from_the_environment_replaces_the_clients(tmp_path: Path) -> None:
    async with (
        MockRealtimeServer(api_keys=frozenset({KEY})) as upstream,
        proxy_for(mock_base(upstream), upstream_key=KEY) as px,
    ):
        headers = {"Authorization": "Bearer sk-not-the-real-one"}
        async with websockets.connect(px.url, additional_headers=headers) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"


async def test_a_refused_upgrade_reaches_the_client_with_the_upstreams_status_and_body() -> None:
    async with (
        MockRealtimeServer(api_keys=frozenset({KEY})) as upstream,
        proxy_for(mock_base(upstream)) as px,
    ):
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(
                px.url, additional_headers={"Authorization": "Bearer sk-wrong-key"}
            ):
                pass
        direct = await aiohttp.ClientSession().__aenter__()
        try:
            async with direct.get(
                upstream.url.replace("ws://", "http://"),
                headers={"Authorization": "Bearer sk-wrong-key"},
            ) as resp:
                body = await resp.read()
        finally:
            await direct.close()
    assert refused.value.response.status_code == 401
    assert refused.value.response.body == body
    assert json.loads(body)["error"]["code"] == "invalid_api_key"


async def test_an_ephemeral_key_minted_through_the_proxy_opens_a_session_upstream() -> None:
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream)) as px:
        async with aiohttp.ClientSession() as http:
            async with http.post(
                f"{px.http_url}/realtime/client_secrets",
                headers=upstream.headers,
                json={"session": {"type": "transcription"}},
            ) as resp:
                assert resp.status == 200
                secret = (await resp.json())["value"]
        assert secret.startswith("ek_")
        async with websockets.connect(
            px.url, additional_headers={"Authorization": f"Bearer {secret}"}
        ) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"


async def test_the_upstreams_close_code_and_reason_reach_the_client(tmp_path: Path) -> None:
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream), tmp_path) as px:
        headers = {**upstream.headers, "OpenAI-Beta": "realtime=v1"}
        async with websockets.connect(px.url, additional_headers=headers) as ws:
            error = json.loads(await ws.recv())
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        await px.settle()
    assert error["error"]["code"] == "beta_api_shape_disabled"
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (
        4000,
        "invalid_request_error.beta_api_shape_disabled",
    )
    (capture,) = px.state.captures
    assert [(c.direction, c.code) for c in read_capture(capture).closes] == [("server", 4000)]


@pytest.mark.parametrize("code", [1011, 4000])
async def test_an_upstream_that_closes_mid_session_closes_the_client_the_same_way(
    code: int,
) -> None:
    async def close_after_one(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.send_str('{"type":"session.created","event_id":"e1","session":{}}')
        await ws.receive()
        await ws.close(code=code, message=b"upstream says no")

    async with scripted_upstream(close_after_one) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            await ws.recv()
            await ws.send('{"type":"input_audio_buffer.clear"}')
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (code, "upstream says no")


async def test_the_clients_close_code_and_reason_reach_the_upstream() -> None:
    seen: list[tuple[int, str]] = []

    async def record_close(ws: web.WebSocketResponse, request: web.Request) -> None:
        msg = await ws.receive()
        if msg.type is WSMsgType.CLOSE:
            seen.append((msg.data, msg.extra))
            await ws.close()

    async with scripted_upstream(record_close) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            await ws.close(4001, "client leaves")
        await px.settle()
    assert seen == [(4001, "client leaves")]


async def test_an_upstream_that_drops_the_connection_drops_the_client_too() -> None:
    async def drop(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.send_str('{"type":"session.created","event_id":"e1","session":{}}')
        assert request.transport is not None
        request.transport.abort()

    async with scripted_upstream(drop) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
    assert closed.value.rcvd is None  # no close frame: 1006 on this side as well


async def test_text_stays_text_and_binary_stays_binary_both_ways() -> None:
    async with scripted_upstream(echo_typed) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            frames: list[str | bytes] = ['{"type":"a"}', b"\x00\x01binary", "not json", b""]
            for frame in frames:
                await ws.send(frame)
            echoed = [await asyncio.wait_for(ws.recv(), 5) for _ in frames]
    assert echoed == frames
    assert [type(e) for e in echoed] == [str, bytes, str, bytes]


async def test_a_slow_upstream_slows_the_client_without_losing_or_reordering_frames() -> None:
    received: list[str] = []

    async def slow_reader(ws: web.WebSocketResponse, request: web.Request) -> None:
        async for msg in ws:
            received.append(msg.data)
            if len(received) % 20 == 0:
                await asyncio.sleep(0.01)  # reads slowly, so TCP pushes back through the proxy
            if len(received) == 300:
                await ws.close()

    payload = "x" * 65_536
    async with scripted_upstream(slow_reader) as base, proxy_for(base, queue_size=8) as px:
        async with websockets.connect(px.url, max_size=None) as ws:
            for n in range(300):
                await ws.send(f'{{"n":{n},"pad":"{payload}"}}')
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 20)
        await px.settle()
    assert [json.loads(r)["n"] for r in received] == list(range(300))
    assert px.state.max_queued <= 8  # the recorder's queue never grew past its bound


async def test_frames_the_contract_does_not_know_are_reported_as_drift() -> None:
    async def drifting(ws: web.WebSocketResponse, request: web.Request) -> None:
        await ws.send_str(
            json.dumps({"type": "input_audio_buffer.cleared", "event_id": "e1", "new_field": 1})
        )
        await ws.send_str(json.dumps({"type": "brand.new_event", "event_id": "e2"}))
        await ws.close()

    async with scripted_upstream(drifting) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
        await px.settle()
    drift = [str(f) for f in px.state.findings if f.kind == "drift"]
    assert any("new_field" in line for line in drift), drift
    assert any("brand.new_event" in line for line in drift), drift


async def test_a_client_frame_that_breaks_a_rule_is_reported_with_the_rule() -> None:
    async with MockRealtimeServer() as upstream, proxy_for(mock_base(upstream)) as px:
        async with websockets.connect(px.url, additional_headers=upstream.headers) as ws:
            await ws.recv()
            await ws.send(json.dumps({"type": "session.update", "session": {"type": "realtime"}}))
            assert json.loads(await ws.recv())["type"] == "error"
        await px.settle()
    (finding,) = px.state.findings
    assert finding.kind == "client-rule" and finding.index == 0
    assert "Passing a realtime session update event" in finding.message


async def test_an_unreachable_upstream_answers_502() -> None:
    async with proxy_for("ws://127.0.0.1:1") as px:
        with pytest.raises(websockets.InvalidStatus) as refused:
            async with websockets.connect(px.url):
                pass
    assert refused.value.response.status_code == 502


async def test_a_committed_item_without_a_result_is_reported_when_the_connection_ends() -> None:
    async def forgetful(ws: web.WebSocketResponse, request: web.Request) -> None:
        session = {"type": "transcription", "object": "realtime.transcription_session"}
        await ws.send_str(
            json.dumps({"type": "session.created", "event_id": "e1", "session": session})
        )
        committed = {"type": "input_audio_buffer.committed", "event_id": "e2", "item_id": "item_1"}
        await ws.send_str(json.dumps({**committed, "previous_item_id": None}))
        await ws.close(code=1011, message=b"gone")

    async with scripted_upstream(forgetful) as base, proxy_for(base) as px:
        async with websockets.connect(px.url) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                while True:
                    await asyncio.wait_for(ws.recv(), 5)
        await px.settle()
    invariants = [f for f in px.state.findings if f.kind == "invariant"]
    assert [(f.direction, f.index) for f in invariants] == [("server", 1)]
    assert "never got a completed or failed event" in invariants[0].message


async def test_a_browser_style_key_in_the_subprotocols_reaches_the_upstream() -> None:
    async with (
        MockRealtimeServer(api_keys=frozenset({KEY})) as upstream,
        proxy_for(mock_base(upstream)) as px,
    ):
        protocols = ["realtime", f"openai-insecure-api-key.{KEY}"]
        async with websockets.connect(px.url, subprotocols=protocols) as ws:  # type: ignore[arg-type]
            assert ws.subprotocol == "realtime"
            assert json.loads(await ws.recv())["type"] == "session.created"


async def test_mockrt_proxy_command_records_and_reports_on_exit(tmp_path: Path) -> None:
    import signal
    import sys

    async with MockRealtimeServer() as upstream:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "mockrt", "proxy", "--upstream", mock_base(upstream),
            "--port", "0", "--record", str(tmp_path),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        assert proc.stdout is not None
        url = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode().strip()
        assert url.startswith("ws://127.0.0.1:") and url.endswith(
            "/v1/realtime?intent=transcription"
        )
        async with websockets.connect(url, additional_headers=upstream.headers) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
        proc.send_signal(signal.SIGINT)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0
    assert "1 connection(s), 1 capture(s), 0 finding(s)" in err.decode()
    assert len(list(tmp_path.glob("*.jsonl"))) == 1

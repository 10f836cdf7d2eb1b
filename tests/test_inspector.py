"""The inspector on a real server: a real WebSocket session, then its JSON and HTML views."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import aiohttp
import websockets

from mockrt.serve import inspector
from mockrt.serve.testing import MockRealtimeServer
from tests import audio_gen

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz"


async def get(server: MockRealtimeServer, path: str) -> tuple[int, str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        text = await response.text()
        is_json = response.content_type == "application/json"
        return response.status, text, json.loads(text) if is_json else None


async def test_sessions_and_journal_are_visible_while_the_client_is_connected() -> None:
    server = MockRealtimeServer()
    inspector.add_routes(server.app)
    inspector.add_routes(server.app)  # idempotent: create_app may already have added them
    async with server:
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            assert json.loads(await ws.recv())["type"] == "session.created"
            update = {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "audio": {
                        "input": {"transcription": {"model": "whisper-1"}, "turn_detection": None}
                    },
                },
            }
            await ws.send(json.dumps(update))
            assert json.loads(await ws.recv())["type"] == "session.updated"
            pcm = audio_gen.tone(300, 440)
            await ws.send(
                json.dumps({"type": "input_audio_buffer.append", "audio": audio_gen.to_b64(pcm)})
            )
            await ws.send(json.dumps({"type": "input_audio_buffer.commit", "event_id": SECRET}))
            realtime = {"type": "session.update", "event_id": "<script>alert(1)</script>"}
            await ws.send(json.dumps({**realtime, "session": {"type": "realtime"}}))
            while json.loads(await ws.recv())["type"] != "error":
                pass

            status, _, listing = await get(server, "/mockrt/sessions")
            assert status == 200
            (row,) = listing
            session_id = row["id"]
            assert row["intent"] == "transcription" and row["state"] == "open"
            assert (row["client_frames"], row["violations"]) == (4, 1)
            assert row["server_frames"] >= 4
            assert isinstance(row["created_at"], int) and row["created_at"] > 1_600_000_000
            assert row["journal"] == f"/mockrt/sessions/{session_id}/journal"

            status, text, journal = await get(server, row["journal"])
            assert status == 200
            assert SECRET not in text and "sk-proj…" in text  # keys are redacted
            assert journal["session"]["id"] == session_id
            directions = [(e["direction"], e["event"].get("type")) for e in journal["entries"]]
            assert directions[:2] == [("server", "session.created"), ("client", "session.update")]
            (violation,) = journal["violations"]
            assert violation["rule"] == "realtime-update-on-transcription-session"
            assert violation["client_event"]["index"] == 3
            assert journal["diagnosis"]["problems"][0]["rule"] == violation["rule"]
            _, _, later = await get(server, f"{row['journal']}?since=3")
            assert later["entries"] == journal["entries"][3:]

            status, page, _ = await get(server, f"/mockrt/sessions/{session_id}")
            assert status == 200
            assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
            assert SECRET not in page
            assert "realtime-update-on-transcription-session" in page

        for _ in range(100):  # the server notices the close
            _, _, listing = await get(server, "/mockrt/sessions")
            if listing[0]["state"] == "closed":
                break
            await asyncio.sleep(0.01)
        assert [r["state"] for r in listing] == ["closed"]


async def test_unknown_session_is_a_json_404_and_the_html_index_lists_sessions() -> None:
    server = MockRealtimeServer()
    inspector.add_routes(server.app)
    async with server:
        status, _, body = await get(server, "/mockrt/sessions/sess_nope/journal")
        assert status == 404
        assert body["error"]["code"] == "not_found" and "sess_nope" in body["error"]["message"]
        status, page, _ = await get(server, "/mockrt/")
        assert status == 200 and "No session yet." in page
        async with websockets.connect(server.url, additional_headers=server.headers) as ws:
            await ws.recv()
            status, page, _ = await get(server, "/mockrt/")
        assert 'href="/mockrt/sessions/sess_0001"' in page

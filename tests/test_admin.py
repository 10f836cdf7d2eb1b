"""The admin API under /mockrt/: keys, script replacement, reset, configuration, journal, and the
OpenAPI document that describes it (docs/openapi.json is current)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import websockets

from mockrt.serve.openapi import openapi_document
from mockrt.serve.testing import MockRealtimeServer
from tests.one_turn import one_turn

ROOT = Path(__file__).resolve().parents[1]
KEY = "sk-admin"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def transcribe_one_turn(server: MockRealtimeServer) -> str:
    return (await one_turn(server.url, KEY, timeout=10))[1]


async def call(
    server: MockRealtimeServer, method: str, path: str, body: Any = None, auth: bool = True
) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as http:
        async with http.request(
            method,
            f"http://127.0.0.1:{server.port}{path}",
            json=body,
            headers=AUTH if auth else {},
        ) as response:
            return response.status, await response.json()


async def test_admin_routes_need_one_of_the_api_keys_when_keys_are_set() -> None:
    async with MockRealtimeServer(api_keys=frozenset({KEY})) as server:
        for method, path in [("GET", "/mockrt/config"), ("POST", "/mockrt/reset")]:
            status, body = await call(server, method, path, auth=False)
            assert status == 401 and "--api-key" in body["error"]["message"]
        status, _ = await call(server, "GET", "/mockrt/config")
        assert status == 200


async def test_a_script_put_at_runtime_transcribes_the_next_session_and_delete_restores() -> None:
    async with MockRealtimeServer() as server:
        assert await transcribe_one_turn(server) == "turn 1: 0.20 s of speech"
        status, body = await call(
            server, "PUT", "/mockrt/script", {"turns": [{"transcript": "from the admin API"}]}
        )
        assert (status, body) == (200, {"source": "PUT /mockrt/script", "turns": 1})
        assert await transcribe_one_turn(server) == "from the admin API"
        assert (await call(server, "DELETE", "/mockrt/script")) == (200, {"script": None})
        assert await transcribe_one_turn(server) == "turn 1: 0.20 s of speech"


async def test_an_invalid_script_is_refused_with_the_field_and_reason() -> None:
    async with MockRealtimeServer() as server:
        status, body = await call(
            server, "PUT", "/mockrt/script", {"turns": [{"transcript": "x", "deltas": 3}]}
        )
        assert status == 400
        assert body["error"]["message"].startswith("PUT /mockrt/script: turns[0].deltas")
        _, config = await call(server, "GET", "/mockrt/config")
        assert config["script"] is None


async def test_reset_forgets_sessions_and_journal_and_numbers_sessions_afresh() -> None:
    async with MockRealtimeServer() as server:
        await transcribe_one_turn(server)
        _, journal = await call(server, "GET", "/mockrt/journal")
        assert journal["entries"][0]["session"] == "sess_0001"
        assert (await call(server, "POST", "/mockrt/reset")) == (200, {"closed": 0, "cleared": 1})
        assert (await call(server, "GET", "/mockrt/journal")) == (200, {"entries": []})
        await transcribe_one_turn(server)
        assert [s.id for s in server.sessions] == ["sess_0001"]


async def test_reset_closes_live_sessions_with_1001() -> None:
    async with MockRealtimeServer() as server:
        async with websockets.connect(server.url, additional_headers=AUTH) as ws:
            await ws.recv()
            assert await server.reset() == {"closed": 1, "cleared": 1}
            await ws.wait_closed()
            assert ws.close_code == 1001
        assert server.sessions == []


async def test_config_shows_the_running_configuration_without_keys() -> None:
    async with MockRealtimeServer.from_options(
        script=ROOT / "examples" / "scripts" / "hello.yaml", api_keys=frozenset({KEY})
    ) as server:
        status, config = await call(server, "GET", "/mockrt/config")
    assert status == 200
    assert config["persona"] == "ga" and config["api_keys"] == 1
    assert config["script"] == {"source": str(ROOT / "examples/scripts/hello.yaml"), "turns": 2}
    assert KEY not in json.dumps(config)


async def test_the_served_openapi_document_is_the_one_in_docs() -> None:
    kept = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert kept == openapi_document(), "regenerate docs/openapi.json (see tests/test_admin.py)"
    async with MockRealtimeServer() as server:
        assert await call(server, "GET", "/mockrt/openapi.json", auth=False) == (200, kept)


def test_every_admin_route_is_documented() -> None:
    app = MockRealtimeServer().app
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None
        and route.method != "HEAD"
        and route.resource.canonical.startswith(("/mockrt/", "/v1/realtime/", "/healthz"))
    }
    inspector = {
        "/mockrt/",
        "/mockrt/sessions",
        "/mockrt/sessions/{id}",
        "/mockrt/sessions/{id}/journal",
    }
    served = {(method, path) for method, path in served if path not in inspector}
    documented = {
        (method.upper(), path)
        for path, ops in openapi_document()["paths"].items()
        for method in ops
    }
    assert served and served <= documented

"""The redirect of api.openai.com, in-process, with every client stack it patches: each client
opens the live URL unchanged and reaches the mock. Every test blocks the network, so nothing
leaves the machine (a non-loopback connect would raise NetworkBlocked)."""

from __future__ import annotations

import asyncio
import json
import socket
import warnings
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import httpx
import openai
import pytest
import pytest_asyncio
import requests
import websockets
import websockets.sync.client

from mockrt.serve.redirect import Redirect, mockrt_redirect
from mockrt.serve.redirect_hook import to_journal
from mockrt.serve.redirect_patches import NetworkBlocked
from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # websockets 14+: legacy is deprecated
    import websockets.legacy.client

LIVE_WS = "wss://api.openai.com/v1/realtime?intent=transcription"
LIVE_SECRETS = "https://api.openai.com/v1/realtime/client_secrets"
AUTH = {"Authorization": f"Bearer {TEST_API_KEY}"}
SECRET_BODY = {"session": {"type": "transcription"}}


@pytest_asyncio.fixture
async def server() -> AsyncIterator[MockRealtimeServer]:
    async with MockRealtimeServer() as server:
        yield server


def assert_redirected(redirect: Redirect, server: MockRealtimeServer, url: str, lib: str) -> None:
    (record,) = redirect.redirected()
    assert (record.url, record.library) == (url, lib)
    scheme = "ws" if url.startswith("ws") else "http"
    assert record.to == url.replace(url.split("/v1")[0], f"{scheme}://127.0.0.1:{server.port}")
    (entry,) = to_journal(redirect.records, 0.0).connections()
    assert entry.event["type"] == "mockrt.redirect" and entry.event["url"] == url


async def test_websockets_asyncio_client_on_the_live_url_opens_a_transcription_session(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        async with websockets.connect(LIVE_WS, additional_headers=AUTH) as ws:
            created = json.loads(await ws.recv())
    assert created["type"] == "session.created"
    assert created["session"]["type"] == "transcription"  # the query string was kept
    assert_redirected(redirect, server, LIVE_WS, "websockets")


async def test_legacy_websockets_client_on_the_live_url_reaches_the_mock(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        async with websockets.legacy.client.connect(LIVE_WS, extra_headers=AUTH) as ws:
            created = json.loads(await ws.recv())
    assert created["session"]["type"] == "transcription"
    assert_redirected(redirect, server, LIVE_WS, "websockets.legacy")


async def test_sync_websockets_client_on_the_live_url_reaches_the_mock(
    server: MockRealtimeServer,
) -> None:
    def client() -> Any:
        with websockets.sync.client.connect(LIVE_WS, additional_headers=AUTH) as ws:
            return json.loads(ws.recv(timeout=10))

    with mockrt_redirect(server, block_network=True) as redirect:
        created = await asyncio.to_thread(client)
    assert created["session"]["type"] == "transcription"
    assert_redirected(redirect, server, LIVE_WS, "websockets.sync")


async def test_aiohttp_ws_connect_and_post_on_live_urls_reach_the_mock(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        async with aiohttp.ClientSession() as http:
            async with http.post(LIVE_SECRETS, json=SECRET_BODY, headers=AUTH) as response:
                secret = await response.json()
            async with http.ws_connect(
                LIVE_WS, headers={"Authorization": f"Bearer {secret['value']}"}
            ) as ws:
                created = await ws.receive_json()
    assert response.status == 200 and secret["value"].startswith("ek_")
    assert created["session"]["type"] == "transcription"
    assert [(r.library, r.url) for r in redirect.redirected()] == [
        ("aiohttp", LIVE_SECRETS),
        ("aiohttp", LIVE_WS),
    ]


@pytest.mark.parametrize("flavour", ["sync", "async"])
async def test_httpx_post_to_the_live_client_secrets_url_mints_a_key_at_the_mock(
    server: MockRealtimeServer, flavour: str
) -> None:
    def sync_post() -> httpx.Response:
        with httpx.Client() as http:
            return http.post(LIVE_SECRETS, json=SECRET_BODY, headers=AUTH)

    with mockrt_redirect(server, block_network=True) as redirect:
        if flavour == "sync":
            response = await asyncio.to_thread(sync_post)
        else:
            async with httpx.AsyncClient() as http:
                response = await http.post(LIVE_SECRETS, json=SECRET_BODY, headers=AUTH)
    assert response.status_code == 200
    assert response.json()["value"].startswith("ek_")
    assert str(response.request.url) == LIVE_SECRETS.replace(
        "https://api.openai.com", f"http://127.0.0.1:{server.port}"
    )
    assert_redirected(redirect, server, LIVE_SECRETS, "httpx")


async def test_requests_post_to_the_live_url_mints_a_key_at_the_mock(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        response = await asyncio.to_thread(
            requests.post, LIVE_SECRETS, json=SECRET_BODY, headers=AUTH, timeout=10
        )
    assert response.status_code == 200 and response.json()["value"].startswith("ek_")
    assert_redirected(redirect, server, LIVE_SECRETS, "requests")


async def test_openai_sdk_with_its_default_base_url_mints_a_key_and_connects_at_the_mock(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        client = openai.AsyncOpenAI(api_key=TEST_API_KEY, max_retries=0)
        assert str(client.base_url) == "https://api.openai.com/v1/"
        secret = await client.realtime.client_secrets.create(session={"type": "transcription"})
        async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
            created = await conn.recv()
        await client.close()
    assert secret.value.startswith("ek_")
    assert created.type == "session.created"
    assert [r.url for r in redirect.redirected()] == [
        LIVE_SECRETS,
        "wss://api.openai.com/v1/realtime?intent=transcription",
    ]


async def test_websocket_client_on_the_live_url_reaches_the_mock(
    server: MockRealtimeServer,
) -> None:
    import websocket  # websocket-client, as in OpenAI's Realtime docs examples

    def client() -> Any:
        ws = websocket.create_connection(LIVE_WS, header=[f"Authorization: Bearer {TEST_API_KEY}"])
        try:
            return json.loads(ws.recv())
        finally:
            ws.close()

    with mockrt_redirect(server, block_network=True) as redirect:
        created = await asyncio.to_thread(client)
    assert created["session"]["type"] == "transcription"
    assert_redirected(redirect, server, LIVE_WS, "websocket-client")


async def test_a_library_the_redirect_does_not_cover_is_refused_api_openai_com_with_the_fix(
    server: MockRealtimeServer,
) -> None:
    import urllib.request

    with mockrt_redirect(server) as redirect:  # even without block_network
        with pytest.raises(OSError, match="redirect does not cover.*OPENAI_BASE_URL or MOCKRT_URL"):
            urllib.request.urlopen("https://api.openai.com/v1/models", timeout=5)
    assert [(r.library, r.action, r.url) for r in redirect.records] == [
        ("socket", "blocked", "dns://api.openai.com")
    ]


async def test_an_unknown_rest_route_raises_the_sdks_typed_not_found_error(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True):
        client = openai.AsyncOpenAI(api_key=TEST_API_KEY, max_retries=0)
        with pytest.raises(openai.NotFoundError) as caught:
            await client.models.list()
        await client.close()
    assert caught.value.status_code == 404
    assert caught.value.body == {
        "message": "Invalid URL (GET /v1/models)",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


async def test_block_network_refuses_other_hosts_with_a_clear_error_in_every_stack(
    server: MockRealtimeServer,
) -> None:
    with mockrt_redirect(server, block_network=True) as redirect:
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.ConnectError, match="network blocked: httpx tried"):
                await http.get("https://example.com/v1/x?secret=1")
        with pytest.raises(NetworkBlocked, match="websockets tried to reach wss://example.com"):
            await websockets.connect("wss://example.com/socket")
        async with aiohttp.ClientSession() as http:
            with pytest.raises(aiohttp.ClientConnectionError, match="network blocked"):
                await http.get("http://198.51.100.7/")
        with pytest.raises(requests.ConnectionError, match="network blocked"):
            requests.get("https://example.org/", timeout=5)
        with socket.socket() as raw, pytest.raises(NetworkBlocked, match="192.0.2.1:443"):
            raw.connect(("192.0.2.1", 443))  # no library at all: the socket guard
        with pytest.raises(NetworkBlocked, match="name lookup of example.net"):
            socket.getaddrinfo("example.net", 443)
    assert redirect.other_hosts() == [
        "example.com",
        "198.51.100.7",
        "example.org",
        "192.0.2.1:443",
        "example.net",
    ]
    assert redirect.redirected() == []


async def test_other_hosts_are_left_alone_and_listed_without_block_network(
    server: MockRealtimeServer,
) -> None:
    # The outer redirect blocks, so the request the inner one lets through never leaves.
    with mockrt_redirect(server, block_network=True), mockrt_redirect(server) as inner:
        async with httpx.AsyncClient() as http:
            with pytest.raises(httpx.ConnectError, match="network blocked"):
                await http.get("https://example.com/status")
            response = await http.get(f"http://127.0.0.1:{server.port}/healthz")
    assert response.status_code == 200  # loopback passes, unrecorded
    assert [(r.action, r.url) for r in inner.records] == [("passed", "https://example.com/status")]
    assert inner.other_hosts() == ["example.com"]


def patched_functions() -> list[Callable[..., Any]]:
    return [
        httpx.HTTPTransport.handle_request,
        httpx.AsyncHTTPTransport.handle_async_request,
        aiohttp.ClientSession._request,
        requests.adapters.HTTPAdapter.send,
        websockets.asyncio.client.connect.create_connection,
        websockets.legacy.client.Connect.__init__,
        websockets.sync.client.connect,
        socket.socket.connect,
        socket.getaddrinfo,
    ]


async def test_leaving_the_block_restores_every_library(server: MockRealtimeServer) -> None:
    import sys

    before, finders = patched_functions(), list(sys.meta_path)
    with mockrt_redirect(server, block_network=True):
        during = patched_functions()
    assert all(a is not b for a, b in zip(before, during, strict=True))
    assert patched_functions() == before
    assert sys.meta_path == finders


async def test_the_fixture_redirects_until_the_test_ends(
    server: MockRealtimeServer, mockrt_redirect: Callable[..., Redirect]
) -> None:
    redirect = mockrt_redirect(server, block_network=True)
    async with websockets.connect(LIVE_WS, additional_headers=AUTH) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
    assert [r.url for r in redirect.redirected()] == [LIVE_WS]

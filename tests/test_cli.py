"""``mockrt serve`` as a user runs it: a subprocess on a free port, stopped by a signal."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import aiohttp
import pytest
import websockets

from mockrt.cli.main import build_parser


@pytest.fixture
def serve(tmp_path: object) -> Iterator[tuple[subprocess.Popen[str], str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mockrt", "serve", "--port", "0", "--log-level", "warning"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    try:
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=10)  # reaps the process and closes its pipes


def test_first_stdout_line_is_the_ready_transcription_url(
    serve: tuple[subprocess.Popen[str], str],
) -> None:
    _, url = serve
    assert url.startswith("ws://127.0.0.1:")
    assert url.endswith("/v1/realtime?intent=transcription")
    assert int(url.split(":")[2].split("/")[0]) > 0


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
async def test_signal_closes_open_sessions_with_1001_and_exits_0(
    serve: tuple[subprocess.Popen[str], str], sig: signal.Signals
) -> None:
    proc, url = serve
    port = url.split(":")[2].split("/")[0]
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/healthz") as response,
    ):
        assert response.status == 200
    async with websockets.connect(url, additional_headers={"Authorization": "Bearer sk-cli"}) as ws:
        assert json.loads(await ws.recv())["type"] == "session.created"
        proc.send_signal(sig)
        with pytest.raises(websockets.ConnectionClosed):
            await asyncio.wait_for(ws.recv(), 10)
    assert ws.close_code == 1001
    assert await asyncio.to_thread(proc.wait, 10) == 0


def test_serve_defaults_bind_loopback_on_8000() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.speed) == ("127.0.0.1", 8000, 1.0)


def test_console_script_and_module_print_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mockrt", "serve", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--api-key" in out.stdout and "--journal" in out.stdout

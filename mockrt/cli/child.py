"""A program run against the mock: the mock on 127.0.0.1, the child's environment (endpoint
variables, the redirect hook), its process group, its timeout, what it did.

``run_with_mock`` is shared by ``mockrt diagnose`` (which explains the outcome) and ``mockrt run``
(which returns the program's exit code). Must never import the diagnosis' rendering.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shlex
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from mockrt.core.handshake import CloseAfterUpgrade, decide
from mockrt.core.journal import Journal
from mockrt.diagnosis.findings import Connection
from mockrt.serve.redirect import Record
from mockrt.serve.redirect_hook import hook_env, read_log, to_journal
from mockrt.serve.server import create_app
from mockrt.serve.state import STATE, ServerConfig

__all__ = [
    "DUMMY_API_KEY",
    "Outcome",
    "add_redirect_arguments",
    "child_env",
    "program_env",
    "run_with_mock",
]

DUMMY_API_KEY = "sk-mockrt-diagnose"


def add_redirect_arguments(parser: argparse.ArgumentParser) -> None:
    """``--block-network`` and ``--no-redirect``, for ``mockrt diagnose`` and ``mockrt run``."""
    parser.add_argument(
        "--block-network",
        action="store_true",
        help="refuse every connection to a host other than api.openai.com (redirected) and "
        "loopback, with a clear error; default: leave other hosts alone and list them",
    )
    parser.add_argument(
        "--no-redirect",
        dest="redirect",
        action="store_false",
        help="do not install the redirect hook; set OPENAI_BASE_URL and "
        "OPENAI_WEBSOCKET_BASE_URL instead (for non-Python programs)",
    )


def program_env(port: int, environ: Mapping[str, str], *, base_urls: bool = True) -> dict[str, str]:
    """``environ`` with every endpoint variable pointing at the mock on ``port``; without
    ``base_urls`` the openai SDK's variables are left alone (the redirect hook does it, and
    LiveKit must see api.openai.com)."""
    env = dict(environ)
    base = f"127.0.0.1:{port}/v1"
    if base_urls:
        env["OPENAI_BASE_URL"] = f"http://{base}"
        env["OPENAI_WEBSOCKET_BASE_URL"] = f"ws://{base}"
    env["MOCKRT_URL"] = f"ws://{base}/realtime"
    env["MOCKRT_TRANSCRIPTION_URL"] = f"ws://{base}/realtime?intent=transcription"
    if not env.get("OPENAI_API_KEY", "").startswith("sk-"):
        env["OPENAI_API_KEY"] = DUMMY_API_KEY
    env.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def child_env(port: int, log_path: Path, *, redirect: bool, block_network: bool) -> dict[str, str]:
    """The environment of the program under ``mockrt diagnose`` and ``mockrt run``."""
    env = program_env(port, os.environ, base_urls=not redirect)
    if not redirect:
        return env
    origin = f"http://127.0.0.1:{port}"
    return hook_env(env, origin, block_network=block_network, log_path=log_path)


@dataclass
class Outcome:
    """What happened while the program ran against the mock."""

    command: tuple[str, ...]
    returncode: int | None
    timed_out: bool
    duration: float
    failed_to_start: str | None
    journal: Journal  # every session's frames
    connections: list[Connection]  # every HTTP request the mock answered
    records: list[Record] = field(default_factory=list)  # what the redirect hook saw


class _Recorder:
    """Records every HTTP request the mock answers, so refused handshakes are diagnosed too."""

    def __init__(self, started: float) -> None:
        self.started = started
        self.connections: list[Connection] = []

    async def on_response_prepare(self, request: web.Request, response: web.StreamResponse) -> None:
        if request.path.startswith("/mockrt") or request.path == "/healthz":
            return
        headers = request.headers
        protocols = [
            p.strip() for p in headers.get("Sec-WebSocket-Protocol", "").split(",") if p.strip()
        ]
        beta = "realtime=v1" in headers.get("OpenAI-Beta", "").lower() or any(
            p == "openai-beta.realtime-v1" for p in protocols
        )
        error: dict[str, Any] | None = None
        rule: str | None = None
        if isinstance(response, web.WebSocketResponse):
            state = request.app[STATE]
            decision = decide(
                request.query,
                headers,
                protocols,
                state.keys,
                state.config.options,
                state.config.wall_clock(),
                state.config.persona,
            )
            if isinstance(decision, CloseAfterUpgrade):
                error = decision.error.wire(None)
                rule = decision.error.rule.value
        elif isinstance(response, web.Response) and response.status >= 400:
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                body = json.loads(response.text or "")
                error = body.get("error") if isinstance(body, dict) else None
        self.connections.append(
            Connection(
                time=time.monotonic() - self.started,
                method=request.method,
                path=request.path,
                query=tuple(request.query.items()),
                status=response.status,
                user_agent=headers.get("User-Agent"),
                beta_header=beta,
                error=error,
                rule=rule,
            )
        )


async def run_with_mock(
    command: list[str],
    *,
    config: ServerConfig,
    timeout: float | None,
    quiet: bool = False,
    redirect: bool = True,
    block_network: bool = False,
    name: str = "mockrt diagnose",
) -> Outcome:
    """Start the mock (with its inspector), run ``command`` against it (stopped after
    ``timeout`` s), stop the mock. The program's output passes through; with ``quiet`` its
    stdout goes to stderr. The redirect's records are appended to the journal file, if any."""
    from mockrt.serve import inspector

    started, started_at = time.monotonic(), time.time()
    app = create_app(config)
    inspector.add_routes(app)
    recorder = _Recorder(started)
    app.on_response_prepare.append(recorder.on_response_prepare)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    hooked = " (api.openai.com redirected here)" if redirect else ""
    print(
        f"{name}: mock on ws://127.0.0.1:{port}/v1/realtime{hooked} "
        f"(inspector: http://127.0.0.1:{port}/mockrt/); running: {shlex.join(command)}",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    returncode: int | None = None
    timed_out = False
    failed_to_start: str | None = None
    with tempfile.TemporaryDirectory(prefix="mockrt-") as tmp:
        log_path = Path(tmp) / "redirect.jsonl"
        try:
            stdout: Any = None
            if quiet:
                try:
                    stdout = sys.stderr.fileno()
                except (AttributeError, OSError, ValueError):
                    stdout = asyncio.subprocess.DEVNULL
            try:
                proc = await asyncio.create_subprocess_exec(
                    *command,
                    env=child_env(port, log_path, redirect=redirect, block_network=block_network),
                    stdout=stdout,
                    start_new_session=True,  # its own process group: a timeout stops children
                )
            except OSError as exc:
                failed_to_start = str(exc)
            else:
                try:
                    returncode = await asyncio.wait_for(proc.wait(), timeout)
                except TimeoutError:
                    timed_out = True
                    returncode = await _stop(proc)
                except asyncio.CancelledError:
                    await _stop(proc)
                    raise
                await _settle(app)
        finally:
            await runner.cleanup()  # closes sessions still open with 1001
        records = read_log(log_path)
    if config.journal_path is not None and records:
        with config.journal_path.open("a", encoding="utf-8") as journal_file:
            journal_file.write(to_journal(records, started_at).to_jsonl())
    state = app[STATE]
    journal = Journal()
    for session in [*state.finished, *(live.session for live in state.live.values())]:
        for entry in session.journal:
            journal.add(entry)
    return Outcome(
        command=tuple(command),
        returncode=returncode,
        timed_out=timed_out,
        duration=time.monotonic() - started,
        failed_to_start=failed_to_start,
        journal=journal,
        connections=recorder.connections,
        records=records,
    )


async def _stop(proc: asyncio.subprocess.Process) -> int | None:
    """SIGTERM the program's process group, then SIGKILL after 3 s."""
    for sig, grace in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 3.0)):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)
        try:
            return await asyncio.wait_for(proc.wait(), grace)
        except TimeoutError:
            continue
    return proc.returncode


async def _settle(app: web.Application, limit: float = 1.0) -> None:
    """Give the server a moment to see the program's sockets close and finish its sessions."""
    state = app[STATE]
    deadline = time.monotonic() + limit
    while state.live and time.monotonic() < deadline:
        await asyncio.sleep(0.02)

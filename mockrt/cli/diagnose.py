"""``mockrt diagnose``: run a program against the mock, then explain what its client did wrong.

    mockrt diagnose [--timeout S] [--json] [--script FILE] -- COMMAND [ARG ...]
    mockrt diagnose --journal FILE.jsonl [--json]

The first form starts the mock in-process on 127.0.0.1 and a free port, runs COMMAND with the
environment pointing at it (``program_env``), stops it after ``--timeout`` seconds, and prints the
report of ``mockrt.diagnosis.analysis`` for every session and every refused connection. The second
explains a recorded journal (the mock's ``--journal`` file, or a capture in the same format). Exit
status: 0 when the client was conformant (and the program succeeded), 1 otherwise, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import json
import os
import shlex
import signal
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aiohttp import web

from mockrt.contract.scriptfile import load_script
from mockrt.core.handshake import CloseAfterUpgrade, decide
from mockrt.core.ids import RandomIds
from mockrt.core.journal import Journal, read_jsonl
from mockrt.core.script import ScriptError
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.diagnosis.analysis import diagnose
from mockrt.diagnosis.findings import Connection, RunInfo
from mockrt.diagnosis.report import Report
from mockrt.serve.server import create_app
from mockrt.serve.state import STATE, ServerConfig

__all__ = ["DUMMY_API_KEY", "program_env", "register", "run", "run_program"]

DUMMY_API_KEY = "sk-mockrt-diagnose"

_EPILOG = """\
environment given to COMMAND:
  OPENAI_BASE_URL            http://127.0.0.1:PORT/v1   (the openai SDK's base_url)
  OPENAI_WEBSOCKET_BASE_URL  ws://127.0.0.1:PORT/v1     (AsyncOpenAI(websocket_base_url=...))
  MOCKRT_URL                 ws://127.0.0.1:PORT/v1/realtime
  MOCKRT_TRANSCRIPTION_URL   ws://127.0.0.1:PORT/v1/realtime?intent=transcription
  OPENAI_API_KEY             yours if it is an sk- key, else sk-mockrt-diagnose
  OPENAI_AGENTS_DISABLE_TRACING=1 unless set (keeps the Agents SDK from exporting traces)

examples:
  mockrt diagnose -- python examples/agents_realtime_runner_wrong.py
  mockrt diagnose --json --timeout 10 -- python my_app.py
  mockrt diagnose --journal recorded.jsonl
"""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``diagnose`` subcommand."""
    parser = subparsers.add_parser(
        "diagnose",
        help="run a program against the mock and explain what its client did wrong",
        description="Run COMMAND against the mock (or read a journal) and explain every client "
        "event, every rule it broke, the error the live API sends, and the fix.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="S",
        help="stop COMMAND after S seconds (default 30)",
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--journal",
        type=Path,
        metavar="FILE",
        help="explain a recorded JSON Lines journal ('-' for stdin) instead of running COMMAND",
    )
    parser.add_argument(
        "--script", type=Path, metavar="FILE", help="transcripts and faults (YAML or JSON)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="pacing factor for scripted latencies; 0 = as fast as possible (default 1)",
    )
    parser.add_argument(
        "--save-journal",
        type=Path,
        metavar="FILE",
        help="also write the run's journal to FILE (for --journal later)",
    )
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the program to run, after --")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The ``diagnose`` subcommand: print the report, return the exit status."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if args.journal is not None:
        if command:
            return _usage("give either --journal FILE or -- COMMAND, not both")
        try:
            journal = _read_journal(args.journal)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return _usage(f"cannot read {args.journal}: {exc}")
        report = diagnose(journal)
    else:
        if not command:
            return _usage("nothing to run: give -- COMMAND [ARG ...] or --journal FILE")
        if args.timeout <= 0 or args.speed < 0:
            return _usage("--timeout must be > 0 and --speed >= 0")
        transcriber = None
        if args.script is not None:
            try:
                script = load_script(args.script)
            except (OSError, ScriptError) as exc:
                return _usage(str(exc))
            transcriber = functools.partial(ScriptedTranscriber, script)
        config = ServerConfig(
            ids=RandomIds,
            speed=args.speed,
            journal_path=args.save_journal,
            transcriber=transcriber,
        )
        report = asyncio.run(
            run_program(command, config=config, timeout=args.timeout, quiet=args.json)
        )
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(report.to_text())
    sys.stdout.flush()
    return report.exit_code


def _usage(message: str) -> int:
    print(f"mockrt diagnose: {message}", file=sys.stderr)
    return 2


def _read_journal(path: Path) -> Journal:
    if str(path) == "-":
        return read_jsonl(sys.stdin)
    with path.open(encoding="utf-8") as lines:
        return read_jsonl(lines)


def program_env(port: int, environ: Mapping[str, str]) -> dict[str, str]:
    """``environ`` with every endpoint variable pointing at the mock on ``port``."""
    env = dict(environ)
    base = f"127.0.0.1:{port}/v1"
    env["OPENAI_BASE_URL"] = f"http://{base}"
    env["OPENAI_WEBSOCKET_BASE_URL"] = f"ws://{base}"
    env["MOCKRT_URL"] = f"ws://{base}/realtime"
    env["MOCKRT_TRANSCRIPTION_URL"] = f"ws://{base}/realtime?intent=transcription"
    if not env.get("OPENAI_API_KEY", "").startswith("sk-"):
        env["OPENAI_API_KEY"] = DUMMY_API_KEY
    env.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


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


async def run_program(
    command: list[str], *, config: ServerConfig, timeout: float, quiet: bool = False
) -> Report:
    """Start the mock, run ``command`` against it (stopped after ``timeout`` s), diagnose.

    The program's output passes through; with ``quiet`` its stdout goes to stderr, so that
    this process's stdout carries only the report.
    """
    from mockrt.serve import inspector

    started = time.monotonic()
    app = create_app(config)
    inspector.add_routes(app)
    recorder = _Recorder(started)
    app.on_response_prepare.append(recorder.on_response_prepare)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = int(runner.addresses[0][1])
    print(
        f"mockrt diagnose: mock on ws://127.0.0.1:{port}/v1/realtime "
        f"(inspector: http://127.0.0.1:{port}/mockrt/); running: {shlex.join(command)}",
        file=sys.stderr,
        flush=True,
    )
    sys.stdout.flush()
    returncode: int | None = None
    timed_out = False
    failed_to_start: str | None = None
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
                env=program_env(port, os.environ),
                stdout=stdout,
                start_new_session=True,  # its own process group: a timeout stops its children too
            )
        except OSError as exc:
            failed_to_start = str(exc)
        else:
            try:
                returncode = await asyncio.wait_for(proc.wait(), timeout)
            except TimeoutError:
                timed_out = True
                returncode = await _stop(proc)
            await _settle(app)
    finally:
        await runner.cleanup()  # closes sessions still open with 1001
    state = app[STATE]
    journal = Journal()
    for session in [*state.finished, *(live.session for live in state.live.values())]:
        for entry in session.journal:
            journal.add(entry)
    run = RunInfo(
        command=tuple(command),
        returncode=returncode,
        timed_out=timed_out,
        timeout=timeout,
        duration=time.monotonic() - started,
        failed_to_start=failed_to_start,
    )
    return diagnose(journal, connections=recorder.connections, run=run, infer=False)


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

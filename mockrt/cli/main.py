"""The command line: ``mockrt serve`` here; other subcommands live in the modules of
``SUBCOMMANDS``, each with ``register(subparsers)`` setting ``func`` on its parser."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from aiohttp import web

from mockrt.contract.scriptfile import load_script
from mockrt.core.options import Options
from mockrt.core.script import ScriptError
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.serve.server import create_app
from mockrt.serve.state import ServerConfig

__all__ = ["SUBCOMMANDS", "build_parser", "main"]

# Modules that add subcommands: each has register(subparsers: argparse._SubParsersAction).
SUBCOMMANDS: tuple[str, ...] = (
    "mockrt.cli.diagnose",
    "mockrt.cli.run",
    "mockrt.cli.schemas",
    "mockrt.cli.conformance",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockrt",
        description="A local mock of the OpenAI Realtime API in transcription mode.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the mock server until SIGINT/SIGTERM")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port; 0 picks a free one")
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help="accept only this key (repeatable); default: any sk-… key",
    )
    serve.add_argument(
        "--journal",
        type=Path,
        metavar="FILE.jsonl",
        help="append every frame both ways to this JSON Lines file",
    )
    serve.add_argument(
        "--max-sessions",
        type=int,
        default=100,
        metavar="N",
        help="finished sessions kept in memory for the inspector, the newest (default 100); "
        "--journal FILE still has them all",
    )
    serve.add_argument(
        "--max-journal-bytes",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
        help="approximate memory of the finished sessions kept (default 16 MiB); "
        "older ones are dropped first",
    )
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.add_argument(
        "--script",
        type=Path,
        metavar="FILE",
        help="YAML/JSON script of the turns' transcripts and faults "
        "(default text: 'turn N: X.XX s of speech')",
    )
    serve.add_argument(
        "--speed",
        type=float,
        default=1.0,
        help="pacing factor for scripted latencies; 0 = as fast as possible",
    )
    serve.add_argument(
        "--persona",
        choices=["ga", "beta"],
        default="ga",
        help="ga (default): beta clients get beta_api_shape_disabled and close 4000, as live "
        "today; beta: clients sending OpenAI-Beta: realtime=v1 get the retired beta shapes",
    )
    serve.add_argument(
        "--rule-wording",
        choices=["event", "later"],
        default="event",
        help="wording of the realtime-on-transcription error (default: event)",
    )
    serve.add_argument(
        "--model-with-intent",
        choices=["close", "http"],
        default="close",
        help="?intent=transcription&model=X: error frame + close 4000 (recent) "
        "or HTTP 400 at the handshake (older)",
    )
    serve.set_defaults(func=_serve)
    for module in SUBCOMMANDS:
        importlib.import_module(module).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


def _serve(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.speed < 0:
        raise SystemExit("mockrt serve: --speed must be >= 0")
    options = Options(rule_wording=args.rule_wording, model_with_intent=args.model_with_intent)
    transcriber = None
    if args.script is not None:
        try:
            script = load_script(args.script)
        except ScriptError as exc:
            raise SystemExit(f"mockrt serve: {exc}") from exc
        transcriber = partial(ScriptedTranscriber, script)
    config = ServerConfig(
        persona=args.persona,
        transcriber=transcriber,
        options=options,
        api_keys=frozenset(args.api_keys) if args.api_keys else None,
        journal_path=args.journal,
        speed=args.speed,
        max_sessions=max(0, args.max_sessions),
        max_journal_bytes=max(0, args.max_journal_bytes),
    )
    asyncio.run(_run(config, args.host, args.port))
    return 0


async def _run(config: ServerConfig, host: str, port: int) -> None:
    runner = web.AppRunner(create_app(config), handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    print(f"ws://{shown}:{bound_port}/v1/realtime?intent=transcription", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()  # on_shutdown closes every session with 1001

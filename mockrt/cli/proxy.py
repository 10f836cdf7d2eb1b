"""``mockrt proxy``: the validating, recording proxy in front of the live API (or any upstream).

The app connects to the proxy as to the mock; every frame is forwarded to ``--upstream``, checked
on the way (findings are logged as warnings) and, with ``--record DIR``, written as captures
(docs/captures.md). ``--record-mode`` makes DIR a cassette (none | once | new | all, as VCR).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

from mockrt.serve.cassette import RECORD_MODES, Cassette, ProxyServer
from mockrt.serve.proxy import ProxyConfig

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``mockrt proxy``."""
    proxy = subparsers.add_parser(
        "proxy",
        help="forward an app's realtime traffic to an upstream, validating and recording it",
        description="Listen like the mock; forward every frame both ways to --upstream "
        "unchanged; report client frames that break the API's rules and server frames "
        "schemas/ does not know (drift); with --record, write captures (JSON Lines + .wav).",
    )
    proxy.add_argument(
        "--upstream",
        default="wss://api.openai.com",
        help="ws:// or wss:// base of the upstream (default wss://api.openai.com)",
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8001, help="port; 0 picks a free one")
    proxy.add_argument("--record", type=Path, metavar="DIR", help="write captures to DIR")
    proxy.add_argument(
        "--record-mode",
        choices=RECORD_MODES,
        help="treat DIR as a cassette: none = replay only, once = record if DIR is empty, "
        "new = replay what DIR has and record the rest, all = re-record everything "
        "(default: no cassette, record every connection)",
    )
    proxy.add_argument(
        "--upstream-key-env",
        metavar="VAR",
        help="send the key in environment variable VAR upstream instead of the client's",
    )
    proxy.add_argument(
        "--max-age-days",
        type=float,
        help="with --record-mode: warn about captures older than this (re-record them)",
    )
    proxy.add_argument(
        "--speed", type=float, default=1.0, help="pacing of replayed sessions (0 = at once)"
    )
    proxy.add_argument(
        "--schemas", type=Path, metavar="DIR", help="schema directory (default: the contract)"
    )
    proxy.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    proxy.set_defaults(func=_proxy)


def _proxy(args: argparse.Namespace) -> int:
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    key = None
    if args.upstream_key_env:
        key = os.environ.get(args.upstream_key_env)
        if not key:
            raise SystemExit(f"mockrt proxy: ${args.upstream_key_env} is not set")
    if args.record_mode and args.record is None:
        raise SystemExit("mockrt proxy: --record-mode needs --record DIR")
    config = ProxyConfig(
        upstream=args.upstream, record_dir=args.record, upstream_key=key, schemas=args.schemas
    )
    cassette = None
    if args.record_mode:
        cassette = Cassette(
            args.record,
            args.record_mode,
            args.upstream,
            max_age_days=args.max_age_days,
            speed=args.speed,
        )
        for path in cassette.stale():
            print(f"mockrt proxy: {path} is older than {args.max_age_days:g} days", file=sys.stderr)
    asyncio.run(_run(ProxyServer(config, cassette), args.host, args.port))
    return 0


async def _run(server: ProxyServer, host: str, port: int) -> None:
    await server.start(host, port)
    print(f"ws://{host}:{server.port}/v1/realtime?intent=transcription", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
        state = server.state
        print(
            f"mockrt proxy: {state.connections} connection(s), {len(state.captures)} capture(s), "
            f"{len(state.findings)} finding(s)",
            file=sys.stderr,
        )

"""``mockrt run``: the mock plus a program, the program unchanged.

    mockrt run [--journal FILE] [--script FILE] [--block-network] [--timeout S] -- COMMAND [ARG ...]

Starts the mock on 127.0.0.1 (inspector at /mockrt/, journal written to ``--journal``, default
``mockrt-journal.jsonl``, protocol violations logged on stderr as they happen), runs COMMAND with
the redirect hook (every connection a Python program opens to api.openai.com goes to the mock),
then lists the redirected connections and the other hosts contacted, and exits with the
program's exit code (124 when ``--timeout`` stopped it, 127 when it could not start).
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import sys
from pathlib import Path

from mockrt.cli.child import add_redirect_arguments, run_with_mock
from mockrt.contract.scriptfile import load_script
from mockrt.core.script import ScriptError
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.serve.redirect_hook import summary_lines
from mockrt.serve.state import ServerConfig

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``run`` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="run a program against the mock, its api.openai.com connections redirected",
        description="Run COMMAND, unchanged, against the mock: its connections to "
        "api.openai.com (HTTP and WebSocket, from Python) go to the mock; journal and inspector "
        "on; exits with COMMAND's exit code.",
    )
    parser.add_argument(
        "--journal",
        type=Path,
        default=Path("mockrt-journal.jsonl"),
        metavar="FILE",
        help="append every frame and redirected connection here (default mockrt-journal.jsonl)",
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
        "--timeout", type=float, metavar="S", help="stop COMMAND after S seconds (default: none)"
    )
    add_redirect_arguments(parser)
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the program to run, after --")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """The ``run`` subcommand: the program's exit code."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        return _usage("nothing to run: give -- COMMAND [ARG ...]")
    if (args.timeout is not None and args.timeout <= 0) or args.speed < 0:
        return _usage("--timeout must be > 0 and --speed >= 0")
    transcriber = None
    if args.script is not None:
        try:
            script = load_script(args.script)
        except (OSError, ScriptError) as exc:
            return _usage(str(exc))
        transcriber = functools.partial(ScriptedTranscriber, script)
    logging.basicConfig(level="INFO", stream=sys.stderr, format="%(name)s: %(message)s")
    config = ServerConfig(journal_path=args.journal, speed=args.speed, transcriber=transcriber)
    outcome = asyncio.run(
        run_with_mock(
            command,
            config=config,
            timeout=args.timeout,
            redirect=args.redirect,
            block_network=args.block_network,
            name="mockrt run",
        )
    )
    for line in summary_lines(outcome.records):
        print(f"mockrt run: {line}", file=sys.stderr)
    print(f"mockrt run: journal in {args.journal}", file=sys.stderr)
    if outcome.failed_to_start is not None:
        print(f"mockrt run: cannot start {command[0]}: {outcome.failed_to_start}", file=sys.stderr)
        return 127
    if outcome.timed_out:
        print(f"mockrt run: stopped after {args.timeout:g} s (--timeout)", file=sys.stderr)
        return 124
    code = outcome.returncode if outcome.returncode is not None else 1
    return code if code >= 0 else 128 - code  # killed by a signal: 128 + N, as shells say


def _usage(message: str) -> int:
    print(f"mockrt run: {message}", file=sys.stderr)
    return 2

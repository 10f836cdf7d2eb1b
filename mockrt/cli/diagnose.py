"""``mockrt diagnose``: run a program against the mock, then explain what its client did wrong.

    mockrt diagnose [--timeout S] [--json] [--script FILE] [--block-network] -- COMMAND [ARG ...]
    mockrt diagnose --journal FILE.jsonl [--json]

The first form starts the mock in-process on 127.0.0.1 and a free port, runs COMMAND with the
redirect hook (``mockrt.serve.redirect``: every connection a Python program opens to
api.openai.com goes to the mock, unchanged programs included) and the environment pointing at it
(``program_env``), stops it after ``--timeout`` seconds, and prints the report of
``mockrt.diagnosis.analysis`` for every session and every refused connection, with the redirected
connections and the other hosts the program contacted. The second
explains a recorded journal (the mock's ``--journal`` file, or a capture in the same format). Exit
status: 0 when the client was conformant (and the program succeeded), 1 otherwise, 2 for usage
errors.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
from dataclasses import replace
from pathlib import Path

from mockrt.cli.child import DUMMY_API_KEY as DUMMY_API_KEY  # its old home, still importable
from mockrt.cli.child import add_redirect_arguments, run_with_mock
from mockrt.cli.child import program_env as program_env
from mockrt.contract.scriptfile import load_script
from mockrt.core.ids import RandomIds
from mockrt.core.journal import Journal, read_jsonl
from mockrt.core.script import ScriptError
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.diagnosis.analysis import diagnose
from mockrt.diagnosis.findings import Note, RunInfo
from mockrt.diagnosis.report import Report
from mockrt.serve.redirect import Record
from mockrt.serve.state import ServerConfig

__all__ = [
    "redirect_notes",
    "register",
    "run",
    "run_program",
]

_EPILOG = """\
environment given to COMMAND:
  PYTHONPATH                 mockrt's sitecustomize hook first (chains to yours): a Python
                             program's connections to api.openai.com (http, https, ws, wss;
                             httpx, aiohttp, requests, websockets) go to the mock, unchanged
  MOCKRT_REDIRECT_URL        http://127.0.0.1:PORT (what the hook redirects to)
  OPENAI_BASE_URL            http://127.0.0.1:PORT/v1   only with --no-redirect (non-Python
  OPENAI_WEBSOCKET_BASE_URL  ws://127.0.0.1:PORT/v1     programs); the hook keeps api.openai.com
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
    add_redirect_arguments(parser)
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
            run_program(
                command,
                config=config,
                timeout=args.timeout,
                quiet=args.json,
                redirect=args.redirect,
                block_network=args.block_network,
            )
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
        return _frames(read_jsonl(sys.stdin))
    with path.open(encoding="utf-8") as lines:
        return _frames(read_jsonl(lines))


def _frames(journal: Journal) -> Journal:
    """The sessions' frames only: the redirect's "connection" entries are reported apart."""
    return Journal([e for e in journal if e.direction != "connection"])


def redirect_notes(records: list[Record]) -> list[Note]:
    """What the report says about the connections the redirect hook saw."""
    notes: list[Note] = []
    redirected = [r for r in records if r.action == "redirected"]
    if redirected:
        lines = "; ".join(f"{r.url} ({r.library})" for r in redirected)
        notes.append(
            Note(
                f"{len(redirected)} connection(s) to api.openai.com were redirected to the mock",
                f"The program is unchanged; mockrt's hook sent these here: {lines}.",
            )
        )
    for action, title, detail in (
        ("passed", "Other hosts contacted (left alone)", "not the mock: --block-network"),
        ("blocked", "Other hosts refused (--block-network)", "refused with NetworkBlocked"),
    ):
        hosts = list(dict.fromkeys(r.host for r in records if r.action == action))
        if hosts:
            notes.append(Note(title, f"{', '.join(hosts)} ({detail})."))
    return notes


async def run_program(
    command: list[str],
    *,
    config: ServerConfig,
    timeout: float,
    quiet: bool = False,
    redirect: bool = True,
    block_network: bool = False,
) -> Report:
    """Start the mock, run ``command`` against it (stopped after ``timeout`` s), diagnose.

    The program's output passes through; with ``quiet`` its stdout goes to stderr, so that
    this process's stdout carries only the report.
    """
    outcome = await run_with_mock(
        command,
        config=config,
        timeout=timeout,
        quiet=quiet,
        redirect=redirect,
        block_network=block_network,
    )
    run = RunInfo(
        command=outcome.command,
        returncode=outcome.returncode,
        timed_out=outcome.timed_out,
        timeout=timeout,
        duration=outcome.duration,
        failed_to_start=outcome.failed_to_start,
    )
    report = diagnose(outcome.journal, connections=outcome.connections, run=run, infer=False)
    notes = (*redirect_notes(outcome.records), *report.notes)
    if not report.sessions and not report.refused:
        if outcome.records:
            notes = tuple(n for n in notes if n.title != "The program never reached the mock")
        elif redirect:
            notes += (
                Note(
                    "Nothing was redirected",
                    "The hook saw no connection to api.openai.com. A program not written in "
                    "Python (or started so that it ignores PYTHONPATH) is not redirected: rerun "
                    "with --no-redirect, which sets OPENAI_BASE_URL and "
                    "OPENAI_WEBSOCKET_BASE_URL, and make it read them or MOCKRT_URL.",
                ),
            )
    return replace(report, notes=notes)

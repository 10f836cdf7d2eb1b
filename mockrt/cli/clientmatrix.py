"""``mockrt conformance --client NAME …``: the client matrix (``conformance.matrix``): each named
client driver on each client case (``conformance/client_cases/``) against the mock, the live API
or a URL; progress on stderr, a verdict table and every reason that is not OK on stdout, and with
``--report DIR`` report.json, junit.xml, index.html and one wire log per cell. Exit 1 when a
cell FAILED or is UNIMPLEMENTED. ``mockrt.cli.conformance`` adds the options and calls ``run``.
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["add_client_arguments", "run_client_matrix"]

_MARK = {"OK": ".", "NON-STRICT": "n", "FAILED": "F", "UNIMPLEMENTED": "U", "SKIPPED": "s"}


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    """The client matrix's options on ``mockrt conformance``."""
    group = parser.add_argument_group(
        "client matrix",
        "Check client libraries instead of a server: each --client runs every client case "
        "(conformance/client_cases/) against the target; the mock plays each case's script, "
        "faults included, and its journal feeds the client checks.",
    )
    group.add_argument(
        "--client",
        action="append",
        metavar="NAME",
        help="a client driver (conformance/clients/: raw-ga, raw-beta, openai-sdk, "
        "agents-runner-intent, agents-runner-default, agents-voice-stt, livekit, pipecat, "
        "pipecat-server-vad), 'all', or a driver file path/to/driver.py (repeatable)",
    )
    group.add_argument(
        "--client-cases",
        action="append",
        metavar="GLOB",
        help="client case ids or description globs (repeatable), e.g. C1, 'C*'",
    )
    group.add_argument(
        "--report", type=Path, metavar="DIR", help="write report.json, junit.xml, index.html"
    )
    group.add_argument(
        "--jobs", type=int, default=3, metavar="N", help="cells run at once (default 3)"
    )


def _quiet_library_logs() -> None:
    """Pipecat logs every frame at DEBUG through loguru; the matrix's progress stays readable."""
    try:
        from loguru import logger
    except ImportError:
        return
    logger.remove()
    logger.add(sys.stderr, level="ERROR")


def run_client_matrix(args: argparse.Namespace) -> int:
    from conformance.casefile import CaseError
    from conformance.clientcases import load_client_cases, select_client_cases
    from conformance.clients import drivers
    from conformance.matrix import Cell, load_driver, run_matrix
    from conformance.matrix_report import summary_line, write_report
    from conformance.targets import parse_target

    try:
        target = parse_target(args.target, args.api_key, args.persona)
        names = [n for spec in args.client for n in (drivers() if spec == "all" else [spec])]
        clients = [load_driver(name) for name in dict.fromkeys(names)]
        cases = select_client_cases(load_client_cases(), args.client_cases)
    except (ValueError, KeyError, CaseError) as exc:
        print(f"mockrt conformance: {exc}", file=sys.stderr)
        return 2
    if not cases:
        print(f"mockrt conformance: no client case matches {args.client_cases}", file=sys.stderr)
        return 2
    if target.kind == "live" and not target.key:
        print("SKIPPED: the live target needs OPENAI_API_KEY; nothing was sent.")
        return 0
    total = len(clients) * len(cases)
    print(
        f"mockrt conformance: {len(clients)} client(s) x {len(cases)} case(s) against "
        f"{target.name} (persona {target.persona})",
        file=sys.stderr,
    )
    done: list[Cell] = []

    def progress(cell: Cell) -> None:
        done.append(cell)
        print(
            f"  [{len(done)}/{total}] {cell.client} {cell.case.id} {cell.verdict.verdict}",
            file=sys.stderr,
            flush=True,
        )

    _quiet_library_logs()
    cells = asyncio.run(run_matrix(clients, cases, target, jobs=args.jobs, progress=progress))
    _print_table(cells, [c.id for c in cases])
    print(summary_line(cells))
    directory: Path | None = args.report
    scratch = None
    if directory is None and (args.json or args.junit):
        scratch = directory = Path(tempfile.mkdtemp(prefix="mockrt-matrix-"))
    if directory is not None:
        paths = write_report(directory, cells, target.name)
        if args.json:
            shutil.copyfile(paths["json"], args.json)
        if args.junit:
            shutil.copyfile(paths["junit"], args.junit)
        if scratch is None:
            print(f"report: {paths['html']}")
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)
    failed = [c for c in cells if c.verdict.verdict in ("FAILED", "UNIMPLEMENTED")]
    return 1 if failed else 0


def _print_table(cells: list[Any], case_ids: list[str]) -> None:
    """One row per client (``.`` OK, ``n`` NON-STRICT, ``F``, ``U``, ``s``), then the reasons."""
    width = max(len(c.client) for c in cells)
    print(f"{'':<{width}}  " + " ".join(f"{i:>3}" for i in case_ids))
    for client in dict.fromkeys(c.client for c in cells):
        row = {c.case.id: c.verdict.verdict for c in cells if c.client == client}
        print(f"{client:<{width}}  " + " ".join(f"{_MARK[row[i]]:>3}" for i in case_ids))
    print("legend: . OK  n NON-STRICT  F FAILED  U UNIMPLEMENTED  s SKIPPED")
    for cell in cells:
        if cell.verdict.verdict != "OK":
            print(f"  {cell.client} {cell.case.id} {cell.verdict.verdict}: {cell.verdict.reason}")

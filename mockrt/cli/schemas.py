"""The contract on the command line: ``mockrt schemas export DIR``, ``mockrt schemas check [DIR]
[--against-sdk]`` and ``mockrt validate FILE``.

``validate`` reads a recorded stream (mockrt's journal, or a JSON Lines capture of live traffic in
the same format: one ``{"direction": "client"|"server", "event": {...}}`` per line, other fields
optional), checks every frame against schemas/ (client frames against the client union, server
frames against the server union of the persona) and a few lifecycle rules per session (with
``--invariants``, every invariant of ``conformance.invariants``: item order, one item per turn,
previous_item_id, error event_id echo), and prints ``frame <index> (<direction> <type>)
<pointer>: <message> [rule]`` for each violation; the index counts records from 0. The checks
live in ``conformance.invariants`` (the same library the conformance suite uses). Must never
import aiohttp or websockets.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

from conformance.invariants import FIRST_EVENT, FrameViolation, validate_records
from mockrt.contract import schema

__all__ = ["FIRST_EVENT", "FrameViolation", "register", "validate_records"]


def _read(path: Path) -> list[object]:
    """The records of a JSON Lines file; a line that is not JSON becomes its ``ValueError``."""
    records: list[object] = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                try:
                    records.append(json.loads(line))
                except ValueError as exc:
                    records.append(exc)
    return records


def _validate(args: argparse.Namespace) -> int:
    records = _read(args.file)
    found = validate_records(records, args.persona, args.schemas, invariants=args.invariants)
    for violation in found:
        print(violation)
    print(f"{len(found)} violation(s) in {len(records)} frame(s)", file=sys.stderr)
    return 1 if found else 0


def _export(args: argparse.Namespace) -> int:
    from mockrt.contract import asyncapi

    written = schema.export(args.dir)
    asyncapi.export_asyncapi(args.dir)
    print(f"wrote {len(written)} schema documents and {asyncapi.ASYNCAPI_FILE} to {args.dir}")
    return 0


def _sdk_missing(module: str) -> str:
    """What to install for ``--against-sdk``: the openai pin of the ``test`` extra (pyproject)."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        wanted = [r.split(";")[0].strip() for r in requires("mockrt") or () if "extra" in r]
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        wanted = []
    needed = ("openai", "hypothesis", "hypothesis-jsonschema")
    pins = [r for r in wanted if re.split(r"[<>=!~ \[]", r, maxsplit=1)[0] in needed]
    return (
        f"mockrt schemas check --against-sdk: compares schemas/ with the openai package's types, "
        f"and {module} is not installed. Install: pip install "
        f"{' '.join(repr(p) for p in pins or ['openai'])} "
        f"(or pip install 'mockrt[test]')"
    )


def _check(args: argparse.Namespace) -> int:
    if not args.dir.is_dir():
        print(
            f"mockrt schemas check: no directory {args.dir}; run it from a clone of mockrt, "
            f"give DIR, or write one with `mockrt schemas export {args.dir}`"
        )
        return 1
    from mockrt.contract import asyncapi

    problems = schema.check(args.dir) + asyncapi.check_asyncapi(args.dir)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{args.dir}: up to date ({len(schema.documents())} documents)")
    failed = bool(problems)
    if args.against_sdk:
        try:
            from mockrt.contract.sdkcheck import check_against_sdk
        except ModuleNotFoundError as exc:
            print(_sdk_missing(exc.name or "openai"), file=sys.stderr)
            return 2
        report = check_against_sdk(
            args.dir,
            max_examples=args.max_examples,
            with_instances=args.max_examples > 0,
        )
        for line in report.lines():
            if args.verbose or not line.startswith("allowed "):
                print(line)
        print(
            f"{len(report.unexpected)} drift(s), {len(report.unused)} unused allow-list "
            f"entr(ies), {len(report.allowed)} allowed"
        )
        failed = failed or not report.ok
    return 1 if failed else 0


def register(subparsers: Any) -> None:
    """Add ``schemas export``, ``schemas check`` and ``validate`` to the ``mockrt`` parser."""
    schemas = subparsers.add_parser("schemas", help="export or check the JSON Schema contract")
    sub = schemas.add_subparsers(dest="schemas_command", required=True)
    export = sub.add_parser("export", help="write the schemas generated from the models")
    export.add_argument("dir", type=Path, metavar="DIR")
    export.set_defaults(func=_export)
    check = sub.add_parser(
        "check", help="fail when DIR differs from the generated schemas (exit 1)"
    )
    check.add_argument("dir", type=Path, nargs="?", default=Path("schemas"), metavar="DIR")
    check.add_argument(
        "--against-sdk",
        action="store_true",
        help="also compare with the installed openai package's types (needs the [test] extra)",
    )
    check.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="hypothesis examples per event for --against-sdk; 0 skips instances (default 25)",
    )
    check.add_argument("-v", "--verbose", action="store_true", help="list allowed differences")
    check.set_defaults(func=_check)
    validate = subparsers.add_parser(
        "validate", help="validate a recorded stream (JSON Lines) against the contract"
    )
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.add_argument("--persona", choices=["ga", "beta"], default="ga")
    validate.add_argument(
        "--schemas",
        type=Path,
        default=None,
        metavar="DIR",
        help="schema directory (default: the contract generated from the installed models)",
    )
    validate.add_argument(
        "--invariants",
        action="store_true",
        help="also check the ordering invariants: item lifecycle order, one item id per turn, "
        "previous_item_id chain, error.event_id echoes a client event_id",
    )
    validate.set_defaults(func=_validate)

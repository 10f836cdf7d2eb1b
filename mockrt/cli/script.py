"""``mockrt script check FILE ...``, ``mockrt script schema [--check [FILE]]`` and
``mockrt script from-capture CAPTURE``: script files without a server.

``check`` loads each file as ``mockrt serve --script`` loads it (``mockrt.contract.scriptfile``); a
good file prints ``FILE: ok (N turns)``, a bad one its error as ``file:line: field: reason``; exit
1 when any file is bad. ``schema`` prints the JSON Schema generated from the script file model
(``mockrt.contract.scriptmodel``); ``mockrt script schema > mockrt/data/script.schema.json``
regenerates the shipped copy, and ``--check`` compares it (exit 1 when stale). ``from-capture``
prints the script ``mockrt serve --script`` (or ``--replay CAPTURE`` directly) plays back
(``mockrt.contract.fromcapture``); what a script cannot reproduce goes to stderr. Must never
import aiohttp.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``script`` subcommand."""
    script = subparsers.add_parser(
        "script", help="check script files, print their JSON Schema, or make one from a capture"
    )
    sub = script.add_subparsers(dest="script_command", required=True)
    check = sub.add_parser(
        "check",
        help="validate script files without starting a server (exit 1 when one is bad)",
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check.set_defaults(func=_check)
    schema = sub.add_parser(
        "schema", help="print the JSON Schema of script files (generated from the model)"
    )
    schema.add_argument(
        "--check",
        nargs="?",
        type=Path,
        const=_shipped(),
        metavar="FILE",
        help="compare FILE (default: the shipped mockrt/data/script.schema.json) with the "
        "generated schema instead; exit 1 when it differs",
    )
    schema.set_defaults(func=_schema)
    from_capture = sub.add_parser(
        "from-capture",
        help="print the script (YAML) that replays a captured session",
        description="Transcripts, delta splits, pacing (ms after the commit), usage, failures "
        "and the server's close, from the first session of CAPTURE (docs/captures.md).",
    )
    from_capture.add_argument("capture", type=Path, metavar="CAPTURE")
    from_capture.set_defaults(func=_from_capture)


def _shipped() -> Path:
    return Path(__file__).resolve().parents[1] / "data" / "script.schema.json"


def _from_capture(args: argparse.Namespace) -> int:
    import yaml

    from mockrt.contract.fromcapture import limits, script_data
    from mockrt.serve.capture import read_capture

    try:
        journal = read_capture(args.capture)
    except (OSError, ValueError, KeyError) as exc:
        print(f"mockrt script: cannot read {args.capture}: {exc}", file=sys.stderr)
        return 1
    data = script_data(journal)
    print(f"# mockrt script from-capture {args.capture}")
    sys.stdout.write(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    for line in limits(journal):
        print(f"mockrt script: not reproduced: {line}", file=sys.stderr)
    return 0


def _check(args: argparse.Namespace) -> int:
    from mockrt.contract.scriptfile import load_script
    from mockrt.core.script import ScriptError

    bad = 0
    for path in args.files:
        try:
            script = load_script(path)
        except ScriptError as exc:
            bad += 1
            print(exc)
        else:
            print(f"{path}: ok ({len(script.turns)} turn{'s' if len(script.turns) != 1 else ''})")
    return 1 if bad else 0


def _schema(args: argparse.Namespace) -> int:
    from mockrt.contract.scriptmodel import render_script_schema

    wanted = render_script_schema()
    if args.check is None:
        print(wanted, end="")
        return 0
    have = args.check.read_text("utf-8") if args.check.exists() else ""
    if have == wanted:
        print(f"{args.check}: up to date")
        return 0
    diff = difflib.unified_diff(
        have.splitlines(), wanted.splitlines(), str(args.check), "generated", lineterm=""
    )
    print("\n".join([*list(diff)[:40], f"stale; regenerate: mockrt script schema > {args.check}"]))
    return 1

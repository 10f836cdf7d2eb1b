"""``mockrt script check FILE ...``: validate script files without starting a server.

Each file is loaded as ``mockrt serve --script`` loads it (``mockrt.contract.scriptfile``); a good
file prints ``FILE: ok (N turns)``, a bad one its error as ``file:line: field: reason``; exit 1
when any file is bad. Must never import aiohttp.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``script`` subcommand."""
    script = subparsers.add_parser("script", help="check script files")
    sub = script.add_subparsers(dest="script_command", required=True)
    check = sub.add_parser(
        "check",
        help="validate script files without starting a server (exit 1 when one is bad)",
    )
    check.add_argument("files", type=Path, nargs="+", metavar="FILE")
    check.set_defaults(func=_check)


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

"""The command line: ``mockrt COMMAND``. Each command lives in its own module with
``register(subparsers)`` setting ``func`` on its parser; ``SUBCOMMANDS`` maps each command to its
module and one-line help, so that start-up imports only the chosen command's module (``mockrt
--help`` and ``mockrt --version`` import none). Must never import aiohttp at module level.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version

__all__ = ["SUBCOMMANDS", "build_parser", "main", "package_version"]

# command -> (module with register(subparsers), one-line help shown by `mockrt --help`).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("mockrt.cli.serve", "run the mock server until SIGINT/SIGTERM"),
    "diagnose": (
        "mockrt.cli.diagnose",
        "run a program against the mock and explain what its client did wrong",
    ),
    "validate": ("mockrt.cli.schemas", "check a recorded stream against schemas/"),
    "schemas": ("mockrt.cli.schemas", "export or check the JSON Schemas of the events"),
}


def package_version() -> str:
    """The installed distribution's version: the one source is pyproject.toml."""
    try:
        return version("mockrt")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0+unknown"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's module is imported (the others get a
    placeholder that lists them in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="mockrt",
        description="A local mock of the OpenAI Realtime API in transcription mode.",
    )
    parser.add_argument("--version", action="version", version=f"mockrt {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wanted = list(SUBCOMMANDS) if command is None else [command]
    for module in dict.fromkeys(SUBCOMMANDS[name][0] for name in wanted if name in SUBCOMMANDS):
        importlib.import_module(module).register(sub)
    for name, (_, help_text) in SUBCOMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    args = build_parser(command if command in SUBCOMMANDS else "").parse_args(args_list)
    return int(args.func(args))

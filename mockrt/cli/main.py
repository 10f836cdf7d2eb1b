"""The command line: ``mockrt COMMAND``. Each command lives in its own module (``SUBCOMMANDS``)
with ``register(subparsers)`` setting ``func`` on its parser; ``COMMANDS`` maps each command to
its module and one-line help, so that start-up imports only the chosen command's module
(``mockrt --help`` and ``mockrt --version`` import none). Must never import aiohttp at module
level.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence
from typing import Any

__all__ = ["COMMANDS", "SUBCOMMANDS", "build_parser", "main", "package_version"]

# Modules that add subcommands: each has register(subparsers: argparse._SubParsersAction).
SUBCOMMANDS: tuple[str, ...] = (
    "mockrt.cli.serve",
    "mockrt.cli.diagnose",
    "mockrt.cli.run",
    "mockrt.cli.schemas",
    "mockrt.cli.script",
    "mockrt.cli.conformance",
    "mockrt.cli.proxy",
    "mockrt.cli.diff",
)
# command -> (its module, one-line help for `mockrt --help`): start-up imports only the module
# of the command given. A SUBCOMMANDS module without an entry here is imported every time.
COMMANDS: dict[str, tuple[str, str]] = {
    "serve": ("mockrt.cli.serve", "run the mock server until SIGINT/SIGTERM"),
    "diagnose": (
        "mockrt.cli.diagnose",
        "run a program against the mock and explain what its client did wrong",
    ),
    "run": (
        "mockrt.cli.run",
        "run a program against the mock, its api.openai.com connections redirected",
    ),
    "validate": ("mockrt.cli.schemas", "check a recorded stream against schemas/"),
    "schemas": ("mockrt.cli.schemas", "export or check the JSON Schemas of the events"),
    "script": ("mockrt.cli.script", "check script files, or make one from a capture"),
    "conformance": (
        "mockrt.cli.conformance",
        "run the protocol conformance suite against the mock, the live API or a URL",
    ),
    "proxy": (
        "mockrt.cli.proxy",
        "forward an app's realtime traffic to an upstream, validating and recording it",
    ),
    "diff": ("mockrt.cli.diff", "compare two captures event by event (exit 1 on differences)"),
}


def package_version() -> str:
    """The installed distribution's version: the one source is pyproject.toml."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mockrt")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "0+unknown"


class _Version(argparse._VersionAction):
    """``--version``, reading the package metadata only when it is given (``mockrt serve``
    starts without reading it; issue 15)."""

    def __call__(self, parser: argparse.ArgumentParser, *args: Any, **kwargs: Any) -> None:
        self.version = f"mockrt {package_version()}"
        super().__call__(parser, *args, **kwargs)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``command``, only that command's module is imported (the others get a
    placeholder that lists them in ``--help``)."""
    parser = argparse.ArgumentParser(
        prog="mockrt",
        description="A local mock of the OpenAI Realtime API in transcription mode.",
    )
    parser.add_argument("--version", action=_Version)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    mapped = {module for module, _ in COMMANDS.values()}
    modules = [m for m in SUBCOMMANDS if m not in mapped]  # unmapped: always imported
    if command is None:
        modules += SUBCOMMANDS
    elif command in COMMANDS:
        modules.append(COMMANDS[command][0])
    for module in dict.fromkeys(modules):
        importlib.import_module(module).register(sub)
    for name, (_, help_text) in COMMANDS.items():
        if name not in sub.choices:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    import sys

    args_list = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in args_list if not a.startswith("-")), None)
    args = build_parser(command or "").parse_args(args_list)
    return int(args.func(args))

"""The command line: ``mockrt`` and its subcommands, one thin module each (``mockrt.cli.main``
builds the parser and dispatches)."""

from __future__ import annotations

__all__: list[str] = []

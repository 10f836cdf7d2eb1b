"""The command line: ``mockrt`` and its subcommands, one thin module each (``mockrt.cli.main``
builds the parser and dispatches).

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "child": "DUMMY_API_KEY Outcome add_redirect_arguments child_env program_env run_with_mock",
    "clientmatrix": "add_client_arguments run_client_matrix",
    "diagnose": "redirect_notes run_program",
    "main": "build_parser COMMANDS package_version SUBCOMMANDS",
    "serve": "ENV_PREFIX env_name warn_if_exposed",
    "schemas": "FIRST_EVENT FrameViolation validate_records",
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The protocol core (the whole ``mockrt/core/`` folder) imports no I/O library, no YAML or
JSON Schema tooling: file loading and schema checks live outside it."""

from __future__ import annotations

import pkgutil
import subprocess
import sys

import mockrt.core

CORE = sorted(m.name for m in pkgutil.iter_modules(mockrt.core.__path__, "mockrt.core."))
BANNED = ("aiohttp", "websockets", "asyncio", "yaml", "jsonschema")


def test_the_core_folder_is_not_empty() -> None:
    assert "mockrt.core.session" in CORE and len(CORE) > 10


def test_importing_the_core_loads_no_io_library_yaml_or_jsonschema() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {BANNED!r})\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

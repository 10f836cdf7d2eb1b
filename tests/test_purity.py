"""The protocol core imports no I/O library."""

from __future__ import annotations

import subprocess
import sys

CORE = [
    "mockrt.session",
    "mockrt.events",
    "mockrt.errors",
    "mockrt.validation",
    "mockrt.sessionconf",
    "mockrt.handshake",
    "mockrt.turns",
    "mockrt.journal",
    "mockrt.machine",
    "mockrt.ids",
    "mockrt.audio",
    "mockrt.vad",
    "mockrt.script",
    "mockrt.beta",
    "mockrt.persona",
    "mockrt.diagnose",
    "mockrt.fingerprints",
    "mockrt.explanations",
    "mockrt.diagnose_text",
]


def test_importing_the_core_loads_neither_aiohttp_nor_websockets() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in CORE)
        + "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiohttp', 'websockets', 'asyncio'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

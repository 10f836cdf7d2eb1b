"""``mockrt serve`` imports only what serving needs (issue 15): no schema tooling, SDK check or
diagnosis at start-up. Checked in a fresh interpreter, by module names, never by time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# What `mockrt serve` does up to its ready line: parse `serve` arguments, build the app, start it.
PROBE = """
import asyncio, json, sys
from aiohttp import web
from mockrt.cli.main import build_parser
from mockrt.serve.server import create_app

args = build_parser("serve").parse_args(["serve", "--port", "0"])

async def start():
    runner = web.AppRunner(create_app(), handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    await runner.cleanup()

asyncio.run(start())
print(json.dumps(sorted(sys.modules)))
"""

NOT_AT_START_UP = ("jsonschema", "yaml.", "referencing", "mockrt.diagnosis", "mockrt.contract")


def test_serve_start_up_imports_no_schema_tooling_sdk_check_or_diagnosis() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    modules = json.loads(result.stdout)
    assert "mockrt.serve.server" in modules  # the probe did start a server
    assert [m for m in modules if m == "yaml" or m.startswith(NOT_AT_START_UP)] == []


def test_the_full_parser_still_lists_every_command() -> None:
    from mockrt.cli.main import SUBCOMMANDS, build_parser

    help_text = build_parser().format_help()
    assert "serve" in help_text
    assert len(SUBCOMMANDS) >= 2
    for command in ("diagnose", "schemas"):
        assert command in help_text

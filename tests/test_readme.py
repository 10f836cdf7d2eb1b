"""README's quickstart lines are what CI runs, and its client snippets work against the mock."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from mockrt.serve.testing import MockRealtimeServer

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def block(marker: str) -> str:
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```\w+\n(.*?)```", README, re.S)
    assert match, f"README has no block marked {marker!r}"
    return match.group(1)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    (line,) = block("test-command").strip().splitlines()
    assert line in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_serve_command_installs_and_starts_the_mock() -> None:
    (line,) = block("serve-command").strip().splitlines()
    assert "pip install" in line and line.endswith("mockrt serve")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("raw", "turn 1: 0.50 s of speech"),
        ("openai", "turn 1: 0.40 s of speech"),
        (
            "agents",
            "Passing a realtime session update event to a transcription session is not allowed.",
        ),
    ],
)
async def test_readme_example_runs_against_the_mock(
    name: str, expected: str, tmp_path: Path
) -> None:
    program = tmp_path / f"readme_{name}.py"
    program.write_text(block(f"example: {name}"))
    async with MockRealtimeServer() as server:
        env = {
            **os.environ,
            "MOCKRT_TRANSCRIPTION_URL": server.url,
            "OPENAI_BASE_URL": server.http_url,
            "OPENAI_WEBSOCKET_BASE_URL": server.ws_base_url,
        }
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(program),
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().strip().splitlines()[0] == expected

"""The working recipes in examples/ run against the mock and print the scripted transcript.

(The failing example, agents_realtime_runner_wrong.py, runs in tests/test_diagnose_cli.py.)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

import pytest

from mockrt.cli.diagnose import program_env
from mockrt.core.script import Script, Turn
from mockrt.serve.testing import MockRealtimeServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
SCRIPT = Script(turns=(Turn(transcript="Hello from the mock."),))


async def run_example(name: str, server: MockRealtimeServer) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(EXAMPLES / name),
        env=program_env(server.port, os.environ),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.mark.parametrize(
    "name", ["agents_voice_stt.py", "openai_sdk_transcription.py", "raw_websockets.py"]
)
async def test_working_example_prints_the_scripted_transcript(name: str) -> None:
    async with MockRealtimeServer.from_options(script=SCRIPT) as server:
        code, out, err = await run_example(name, server)
    assert code == 0, err
    assert out.splitlines()[0] == "transcript: Hello from the mock."
    assert server.problems() == []  # no rule broken, the scripted turn consumed
    (session,) = server.sessions
    assert session.journal.received("session.update")[0].event["session"]["type"] == (
        "transcription"
    )

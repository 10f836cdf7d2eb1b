"""Record the traffic of real client libraries against the mock, as journal JSON Lines.

Run from the repository root with the test extras installed:

    python tests/data/traffic/record.py

Each driver of conformance/clients/ named below streams tests/data/speech.pcm (in real time, so
the timing of the appends is the library's own) to an in-process mock with a two-turn script;
the mock's journal of that session is written to tests/data/traffic/<driver>.jsonl, with the
session id and times kept and the key redacted as every journal is.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))

from conformance.clients import Audio, Plan, Target, run_client  # noqa: E402
from mockrt.core.script import Script, Turn  # noqa: E402
from mockrt.serve.testing import MockRealtimeServer  # noqa: E402

HERE = Path(__file__).parent
SPEECH = Audio((HERE.parent / "speech.pcm").read_bytes(), "speech.pcm", chunk_ms=20, pace=1.0)
SCRIPT = Script(
    turns=(
        Turn(transcript="Hello from the mock server."),
        Turn(transcript="This is the second phrase."),
    )
)
# driver -> the plan its application follows
DRIVERS = {
    "openai-sdk": Plan(idle_s=3.0, timeout_s=30.0),
    "pipecat": Plan(model="gpt-realtime-whisper", idle_s=3.0, timeout_s=30.0),
}


async def record(name: str, plan: Plan) -> None:
    async with MockRealtimeServer.from_options(script=SCRIPT, speed=1.0) as server:
        run = await run_client(name, Target.mock(server), SPEECH, plan)
        sessions = server.sessions
    if run.unimplemented or not sessions:
        raise SystemExit(f"{name}: {run.unimplemented or 'no session'}")
    text = "".join(s.journal.to_jsonl() for s in sessions)
    (HERE / f"{name}.jsonl").write_text(text, encoding="utf-8")
    print(name, run.transcripts, f"{sum(len(s.journal) for s in sessions)} entries")


async def main(names: list[str]) -> None:
    for name in names or list(DRIVERS):
        await record(name, DRIVERS[name])


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))

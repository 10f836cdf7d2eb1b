"""Driver ``pipecat-server-vad``: Pipecat's ``OpenAIRealtimeSTTService`` with
``turn_detection={"type": "server_vad"}``: the server detects and commits the turns, and no local
VAD runs in the pipeline. See ``_pipecat`` for how the pipeline runs standalone.
Imports pipecat only inside ``run()``.
"""

from __future__ import annotations

from conformance.clients._pipecat import run_pipecat
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "pipecat-server-vad"
LIBRARY = "pipecat-ai[openai]"
SUMMARY = "pipecat OpenAIRealtimeSTTService with turn_detection server_vad"


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    return await run_pipecat(NAME, target, audio, plan, server_vad=True)

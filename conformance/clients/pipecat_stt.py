"""Driver ``pipecat``: Pipecat's ``OpenAIRealtimeSTTService`` in its default mode, local VAD
(``turn_detection=False`` sends ``turn_detection: null``; a Silero ``VADProcessor`` ahead of it
makes the service commit each turn). See ``_pipecat`` for how the pipeline runs standalone.
Imports pipecat only inside ``run()``.
"""

from __future__ import annotations

from conformance.clients._pipecat import run_pipecat
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "pipecat"
LIBRARY = "pipecat-ai[openai]"
SUMMARY = "pipecat OpenAIRealtimeSTTService, local Silero VAD commits each turn"


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    return await run_pipecat(NAME, target, audio, plan, server_vad=False)

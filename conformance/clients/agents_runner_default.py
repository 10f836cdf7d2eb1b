"""Driver ``agents-runner-default``: the Agents SDK's ``RealtimeRunner`` as its defaults connect
it, on ``/v1/realtime?model=<the SDK's default realtime model>`` with the API key: a conversation
session, whose input transcription (``gpt-4o-mini-transcribe`` by the SDK's default settings) is
what the application reads. The control for ``agents-runner-intent``.
Imports agents only inside ``run()``.
"""

from __future__ import annotations

from conformance.clients._agents_runner import run_runner
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "agents-runner-default"
LIBRARY = "openai-agents"
SUMMARY = "RealtimeRunner with its defaults on the realtime URL (?model=)"


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    # agents.realtime.openai_realtime: url defaults to wss://api.openai.com/v1/realtime?model=…
    from agents.realtime.openai_realtime import DEFAULT_REALTIME_MODEL

    url = f"{target.ws_base}/realtime?model={DEFAULT_REALTIME_MODEL}"
    return await run_runner(NAME, target, audio, plan, url=url, api_key=target.api_key)

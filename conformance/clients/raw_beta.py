"""Driver ``raw-beta``: raw websockets with ``OpenAI-Beta: realtime=v1`` and the beta
``transcription_session.update`` (flat ``input_audio_format``, ``input_audio_transcription``,
``turn_detection``), as clients written before the GA release still do (docs/protocol.md §3;
tests/data/evidence/forum-beta-transcription-session-update.json). The live API now refuses the
beta header (``beta_api_shape_disabled``, §1.6); a ``--persona beta`` mock still serves it.
Imports websockets only inside ``run()``.
"""

from __future__ import annotations

from typing import Any

from conformance.clients._raw import run_raw
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run", "session_update"]

NAME = "raw-beta"
LIBRARY = "websockets"
SUMMARY = "raw websockets, OpenAI-Beta: realtime=v1 and transcription_session.update"


def session_update(plan: Plan) -> dict[str, Any]:
    """openai.types.beta.realtime.TranscriptionSessionUpdate."""
    transcription: dict[str, Any] = {"model": plan.model}
    if plan.language is not None:
        transcription["language"] = plan.language
    turn_detection = None if plan.turn_detection == "none" else {"type": plan.turn_detection}
    return {
        "type": "transcription_session.update",
        "session": {
            "input_audio_format": "pcm16",
            "input_audio_transcription": transcription,
            "turn_detection": turn_detection,
        },
    }


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    return await run_raw(
        NAME,
        target,
        audio,
        plan,
        update=session_update(plan),
        headers={"OpenAI-Beta": "realtime=v1"},
    )

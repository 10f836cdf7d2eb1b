"""Driver ``raw-ga``: raw websockets on ``?intent=transcription`` with the GA
``session.update`` (``session.type: "transcription"``), server VAD, then appends.
Imports websockets only inside ``run()``.
"""

from __future__ import annotations

from typing import Any

from conformance.clients._raw import run_raw
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run", "session_update"]

NAME = "raw-ga"
LIBRARY = "websockets"
SUMMARY = "raw websockets, GA session.update with session.type 'transcription'"


def session_update(plan: Plan) -> dict[str, Any]:
    """openai.types.realtime.SessionUpdateEvent with a RealtimeTranscriptionSessionCreateRequest."""
    transcription: dict[str, Any] = {"model": plan.model}
    if plan.language is not None:
        transcription["language"] = plan.language
    turn_detection = None if plan.turn_detection == "none" else {"type": plan.turn_detection}
    return {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24_000},
                    "transcription": transcription,
                    "turn_detection": turn_detection,
                }
            },
        },
    }


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    return await run_raw(NAME, target, audio, plan, update=session_update(plan), headers={})

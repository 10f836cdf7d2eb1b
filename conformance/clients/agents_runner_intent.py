"""Driver ``agents-runner-intent``: the reported case (tests/data/evidence/
agents-runner-on-transcription.json). An ephemeral key minted from
``POST /v1/realtime/client_secrets`` for a transcription session, and the Agents SDK's
``RealtimeRunner`` pointed at ``?intent=transcription`` with it. The runner always configures a
conversation session, so the live API answers each of its ``session.update`` with "Passing a
realtime session update event to a transcription session is not allowed."
Imports openai and agents only inside ``run()``.
"""

from __future__ import annotations

from typing import Any

from conformance.clients._agents_runner import run_runner
from conformance.clients.base import Audio, ClientRun, Plan, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run", "secret_request"]

NAME = "agents-runner-intent"
LIBRARY = "openai-agents"
SUMMARY = "RealtimeRunner on ?intent=transcription with an ephemeral transcription key"


def secret_request(plan: Plan) -> dict[str, Any]:
    """The reported client-secret request: a transcription session (its prompt elided there)."""
    transcription: dict[str, Any] = {"model": plan.model, "prompt": "Expect technology terms."}
    if plan.language is not None:
        transcription["language"] = plan.language
    return {
        "type": "transcription",
        "audio": {
            "input": {"noise_reduction": {"type": "far_field"}, "transcription": transcription}
        },
        "include": ["item.input_audio_transcription.logprobs"],
    }


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    from openai import AsyncOpenAI

    async with AsyncOpenAI(api_key=target.api_key, base_url=target.http_base) as client:
        secret = await client.realtime.client_secrets.create(session=secret_request(plan))  # type: ignore[arg-type]
    run = await run_runner(
        NAME, target, audio, plan, url=target.transcription_url, api_key=secret.value
    )
    run.notes.insert(0, f"ephemeral key from client_secrets for a {secret.session.type} session")
    return run

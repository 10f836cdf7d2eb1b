"""The application both RealtimeRunner drivers share: open a ``RealtimeSession`` with
``RealtimeRunner(RealtimeAgent(...)).run(model_config={"api_key", "url"})``, stream the audio with
``session.send_audio``, and read the session's events (errors, transcripts, exceptions).
Imports agents only inside ``run_runner``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target

__all__ = ["handle", "run_runner"]


def handle(rec: Recorder, event: Any) -> None:
    """What the application does with one ``RealtimeSessionEvent``."""
    if event.type == "error":
        error = event.error
        if isinstance(error, dict):  # RealtimeError.error: the SDK's model or the raw dict
            rec.error(error.get("code"), str(error.get("message", "")))
        else:
            rec.error(getattr(error, "code", None), str(getattr(error, "message", error)))
        return
    if event.type != "raw_model_event":
        rec.seen()
        return
    data = event.data
    if data.type == "input_audio_transcription_completed":
        rec.final(data.transcript, data.item_id)
    elif data.type == "exception":
        rec.exception(data.exception)
    elif data.type == "connection_status" and data.status == "disconnected":
        rec.closed("disconnected")
    elif data.type == "raw_server_event" and isinstance(data.data, dict):
        raw = data.data
        if raw.get("type") == "conversation.item.input_audio_transcription.delta":
            rec.interim(str(raw.get("delta", "")), raw.get("item_id"))
        else:
            rec.seen()
    else:
        rec.seen()


async def run_runner(
    name: str, target: Target, audio: Audio, plan: Plan, *, url: str, api_key: str
) -> ClientRun:
    from agents.realtime import RealtimeAgent, RealtimeRunner

    rec = Recorder(name, target)

    async def listen(session: Any) -> None:
        try:
            async for event in session:
                handle(rec, event)
        except Exception as exc:  # the session's iterator raises into the application
            rec.exception(exc)

    try:
        runner = RealtimeRunner(RealtimeAgent(name="transcriber", instructions=""))
        session = await runner.run(model_config={"api_key": api_key, "url": url})
        async with session:
            rec.mark("connected")
            listener = asyncio.create_task(listen(session))
            try:
                async for chunk in audio.stream():
                    await session.send_audio(chunk)
                rec.mark("audio_done")
                await rec.settle(plan)
            finally:
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
    except Exception as exc:  # the handshake refused, the session closed under the app…
        rec.exception(exc)
    return rec.finish()

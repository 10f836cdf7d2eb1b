"""Driver ``openai-sdk``: the openai SDK's own realtime client,
``AsyncOpenAI(...).realtime.connect(extra_query={"intent": "transcription"})`` (openai 3.57.0;
docs/protocol.md §8.1), the GA transcription ``session.update``, then appends; the application
reads the SDK's typed events.
Imports openai only inside ``run()``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from typing import Any, cast

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target
from conformance.clients.raw_ga import session_update

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "openai-sdk"
LIBRARY = "openai"
SUMMARY = "AsyncOpenAI().realtime.connect(extra_query={'intent': 'transcription'})"


def handle(rec: Recorder, event: Any) -> None:
    kind = event.type
    if kind == "conversation.item.input_audio_transcription.delta":
        rec.interim(event.delta or "", event.item_id)
    elif kind == "conversation.item.input_audio_transcription.completed":
        rec.final(event.transcript, event.item_id)
    elif kind == "conversation.item.input_audio_transcription.failed":
        rec.error(event.error.code, event.error.message or "")
    elif kind == "error":
        rec.error(event.error.code, event.error.message)
    elif kind == "session.created":
        rec.mark("created")
    elif kind == "session.updated":
        rec.mark("updated")
    else:
        rec.seen()


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    from openai import AsyncOpenAI

    rec = Recorder(NAME, target)
    client = AsyncOpenAI(
        api_key=target.api_key, base_url=target.http_base, websocket_base_url=target.ws_base
    )

    async def receive(conn: Any) -> None:
        try:
            async for event in conn:
                handle(rec, event)
        except Exception as exc:  # the SDK raises ConnectionClosed, parse errors… into the app
            rec.exception(exc)
        rec.closed("closed")

    try:
        async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
            rec.mark("connected")
            listener = asyncio.create_task(receive(conn))
            try:
                await rec.settle(plan, lambda: "created" in rec.run.timings)
                await conn.send(cast(Any, session_update(plan)))  # a plain dict, as apps send
                await rec.settle(plan, lambda: "updated" in rec.run.timings or bool(rec.run.errors))
                if rec.run.closed is None and "updated" in rec.run.timings:
                    async for chunk in audio.stream():
                        await conn.input_audio_buffer.append(
                            audio=base64.b64encode(chunk).decode("ascii")
                        )
                    rec.mark("audio_done")
                    await rec.settle(plan)
            finally:
                await conn.close()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(listener, plan.idle_s)
    except Exception as exc:  # the handshake refused, the socket gone mid-send…
        rec.exception(exc)
    finally:
        await client.close()
    return rec.finish()

"""The raw-websockets application both raw drivers share, as most hand-written clients do it
(docs/protocol.md §8.5): connect, wait for the session to be created, send the update, wait for
it to be applied, stream appends, then listen until the transcripts are in.
Imports websockets only inside ``run_raw``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import Callable
from typing import Any

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target

__all__ = ["run_raw"]

CREATED = ("session.created", "transcription_session.created")
UPDATED = ("session.updated", "transcription_session.updated")


def handle(rec: Recorder, event: dict[str, Any]) -> None:
    """What the application does with one server event."""
    kind = event.get("type")
    item = event.get("item_id")
    if kind == "conversation.item.input_audio_transcription.delta":
        rec.interim(str(event.get("delta", "")), item)
    elif kind == "conversation.item.input_audio_transcription.completed":
        rec.final(str(event.get("transcript", "")), item)
    elif kind in ("error", "conversation.item.input_audio_transcription.failed"):
        error = event.get("error") or {}
        rec.error(error.get("code"), str(error.get("message", "")))
    elif kind in CREATED:
        rec.mark("created")
    elif kind in UPDATED:
        rec.mark("updated")
    else:
        rec.seen()


async def run_raw(
    name: str,
    target: Target,
    audio: Audio,
    plan: Plan,
    *,
    update: dict[str, Any],
    headers: dict[str, str],
) -> ClientRun:
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    rec = Recorder(name, target)

    async def receive(ws: Any) -> None:
        try:
            async for message in ws:
                handle(rec, json.loads(message))
        except ConnectionClosed:
            pass
        if ws.protocol.close_rcvd_then_sent:  # the server closed; else the application did
            code, reason = ws.close_code, ws.close_reason
            rec.closed(f"{code} {reason}".strip() if code is not None else "closed without a code")

    def has(moment: str) -> Callable[[], bool]:
        return lambda: moment in rec.run.timings or bool(rec.run.errors)

    try:
        async with connect(
            target.transcription_url, additional_headers={**target.headers, **headers}
        ) as ws:
            rec.mark("connected")
            listener = asyncio.create_task(receive(ws))
            try:
                await rec.settle(plan, has("created"))
                if rec.run.closed is None and not rec.run.errors:
                    await ws.send(json.dumps(update))
                    await rec.settle(plan, has("updated"))
                if "updated" in rec.run.timings and rec.run.closed is None:
                    async for chunk in audio.stream():
                        payload = base64.b64encode(chunk).decode("ascii")
                        await ws.send(
                            json.dumps({"type": "input_audio_buffer.append", "audio": payload})
                        )
                    rec.mark("audio_done")
                    await rec.settle(plan)
                if rec.run.errors and rec.run.closed is None:
                    await rec.poll(lambda: listener.done(), plan.idle_s)  # does it close?
            finally:
                await ws.close()
                with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                    await asyncio.wait_for(listener, plan.idle_s)
    except Exception as exc:  # ConnectionClosed, InvalidStatus, OSError… reach the app as-is
        rec.exception(exc)
    return rec.finish()

"""Driver ``livekit``: ``livekit.plugins.openai.STT(use_realtime=True)`` used standalone, without
a LiveKit server (livekit-agents and livekit-plugins-openai 1.8.9; docs/protocol.md §8.3): audio
frames pushed into ``stt.stream()``, speech events read back.

The plugin adds ``?model=`` to the upgrade URL for any host other than api.openai.com (for
gateways), and the live API refuses ``?model=`` next to ``intent=transcription``. So:
- ``target.redirect`` unset: the plugin's ``base_url`` is the target, and the application meets
  the ``?model=`` refusal (``invalid_model``) exactly as a user who points it at a mock or a proxy;
- ``target.redirect`` set: the plugin keeps its default host, api.openai.com, and runs inside the
  redirect (``mockrt.serve.redirect``), which is what an unchanged program does.
Imports livekit only inside ``run()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "livekit"
LIBRARY = "livekit-agents, livekit-plugins-openai"
SUMMARY = "livekit.plugins.openai.STT(use_realtime=True), standalone stream()"
SAMPLE_RATE = 24_000


def handle(rec: Recorder, event: Any) -> None:
    """What the application does with one ``livekit.agents.stt.SpeechEvent``."""
    kind = getattr(event.type, "value", event.type)
    text = event.alternatives[0].text if event.alternatives else ""
    if kind == "final_transcript":
        rec.final(text, event.request_id or None)
    elif kind == "interim_transcript":
        rec.interim(text, event.request_id or None)
    else:
        rec.seen()


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    from livekit import rtc
    from livekit.agents.utils import http_context
    from livekit.plugins import openai as lk_openai

    rec = Recorder(NAME, target)
    if target.redirect is None:
        rec.note(f"base_url={target.http_base}: the plugin adds ?model= for this host")
    else:
        rec.note("api.openai.com redirected to the target: the plugin leaves ?model= out")
    options: dict[str, Any] = {"use_realtime": True, "model": plan.model, "api_key": target.api_key}
    if plan.language is not None:
        options["language"] = plan.language
    if target.redirect is None:
        options["base_url"] = target.http_base

    closing = False  # set when the application ends the stream itself

    async def listen(stream: Any) -> None:
        try:
            async for event in stream:
                handle(rec, event)
            if not closing:
                rec.closed("stream ended")
        except Exception as exc:  # APIError, APIStatusError… raised into the application
            rec.exception(exc)
            rec.closed("stream failed")

    try:
        async with contextlib.AsyncExitStack() as stack:
            if target.redirect is not None:
                redirect = target.redirect()
                if isinstance(redirect, contextlib.AbstractAsyncContextManager):
                    await stack.enter_async_context(redirect)
                else:
                    stack.enter_context(redirect)
            await stack.enter_async_context(http_context.open())
            stt = lk_openai.STT(**options)

            def on_error(error: Any) -> None:  # the STT's "error" event, before the raise
                inner = getattr(error, "error", error)
                body = getattr(inner, "body", None)
                code = body.get("code") if isinstance(body, dict) else None
                rec.error(code, str(getattr(inner, "message", inner)))

            stt.on("error", on_error)
            stream = stt.stream()
            rec.mark("connected")
            listener = asyncio.create_task(listen(stream))
            try:
                async for chunk in audio.stream():
                    if listener.done():
                        break
                    frame = rtc.AudioFrame(chunk, SAMPLE_RATE, 1, len(chunk) // 2)
                    try:
                        stream.push_frame(frame)
                    except RuntimeError:  # "SpeechStream is closed": its failure is recorded
                        rec.note("stopped sending audio: the stream had closed")
                        break
                rec.mark("audio_done")
                await rec.settle(plan)
            finally:
                closing = True
                with contextlib.suppress(Exception):
                    stream.end_input()
                await stream.aclose()
                listener.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await listener
                await stt.aclose()
    except Exception as exc:  # the plugin refused its options, the redirect failed…
        rec.exception(exc)
    return rec.finish()

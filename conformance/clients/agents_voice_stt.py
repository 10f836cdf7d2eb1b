"""Driver ``agents-voice-stt``: the Agents SDK's supported transcription path, ``agents.voice``
``OpenAISTTModel`` in a ``VoicePipeline`` fed by a ``StreamedAudioInput`` (openai-agents 0.24.0;
docs/protocol.md §8.2). The SDK opens ``?intent=transcription`` itself, sends a type
"transcription" ``session.update`` (its default turn detection, ``semantic_vad``), commits what is
left at the end of input and yields each transcript to the workflow. The workflow here records the
transcript and answers nothing, so the pipeline never calls a TTS model.
Imports agents, openai and numpy only inside ``run()``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target

__all__ = ["LIBRARY", "NAME", "SUMMARY", "run"]

NAME = "agents-voice-stt"
LIBRARY = "openai-agents"
SUMMARY = "agents.voice OpenAISTTModel in a VoicePipeline with StreamedAudioInput"


async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun:
    import numpy as np
    from agents.voice import (
        OpenAISTTModel,
        OpenAIVoiceModelProvider,
        StreamedAudioInput,
        STTModelSettings,
        VoicePipeline,
        VoicePipelineConfig,
        VoiceWorkflowBase,
    )
    from openai import AsyncOpenAI

    rec = Recorder(NAME, target)

    class Transcribed(VoiceWorkflowBase):
        async def run(self, transcription: str) -> AsyncIterator[str]:
            rec.final(transcription)
            return
            yield  # an async generator that says nothing

    client = AsyncOpenAI(
        api_key=target.api_key, base_url=target.http_base, websocket_base_url=target.ws_base
    )
    pipeline = VoicePipeline(
        workflow=Transcribed(),
        stt_model=OpenAISTTModel(plan.model, client),
        config=VoicePipelineConfig(
            model_provider=OpenAIVoiceModelProvider(openai_client=client),
            stt_settings=STTModelSettings(language=plan.language),
            tracing_disabled=True,
        ),
    )

    async def listen(result: Any) -> None:
        try:
            async for event in result.stream():
                if event.type == "voice_stream_event_error":
                    rec.exception(event.error)
                elif (
                    event.type == "voice_stream_event_lifecycle" and event.event == "session_ended"
                ):
                    rec.closed("session_ended")
                    return
                else:
                    rec.seen()
        except Exception as exc:  # the stream re-raises the pipeline's failure into the app
            rec.exception(exc)
            rec.closed("stream failed")

    streamed = StreamedAudioInput()  # type: ignore[no-untyped-call]
    listener: asyncio.Task[None] | None = None
    try:
        result = await pipeline.run(streamed)
        rec.mark("connected")
        listener = asyncio.create_task(listen(result))
        async for chunk in audio.stream():
            await streamed.add_audio(np.frombuffer(chunk, dtype="<i2"))
        await streamed.add_audio(None)  # end of input: the SDK commits the rest and finishes
        rec.mark("audio_done")
        await rec.settle(plan, listener.done)
        if not listener.done():
            await asyncio.wait_for(asyncio.shield(listener), plan.idle_s)
    except Exception as exc:  # UserError, STTWebsocketConnectionError… raised into the app
        rec.exception(exc)
    finally:
        if listener is not None and not listener.done():
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await listener
        await client.close()
    return rec.finish()

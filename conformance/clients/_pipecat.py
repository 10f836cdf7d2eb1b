"""The Pipecat application both pipecat drivers share: ``OpenAIRealtimeSTTService`` in a
``Pipeline`` run by a ``PipelineWorker`` and ``WorkerRunner`` with no transport (pipecat 1.14.0;
docs/protocol.md §8.4). The driver plays the transport: it queues ``InputAudioRawFrame``s at
16 kHz (the rate Silero VAD takes; the service resamples to 24 kHz itself), and a sink at the end
of the pipeline records the transcription frames; errors come from ``on_pipeline_error``.

The service sends audio as soon as its socket is open, before its ``session.update`` is applied.
A transport's audio starts later than that handshake in practice, so the driver starts the audio
once the service says its session is configured (pipecat's own ``_session_ready`` flag), and
notes it when that never happens.
Imports pipecat only inside ``run_pipecat``.
"""

from __future__ import annotations

import asyncio
import contextlib
import warnings
from typing import Any

from conformance.clients.base import Audio, ClientRun, Plan, Recorder, Target

__all__ = ["run_pipecat"]

PIPELINE_RATE = 16_000


async def run_pipecat(
    name: str, target: Target, audio: Audio, plan: Plan, *, server_vad: bool
) -> ClientRun:
    # pipecat.audio.utils imports audioop, deprecated since Python 3.11: the library's
    # warning, not the application's, so it does not fail a run under -W error.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "'audioop' is deprecated", DeprecationWarning)
        from pipecat.audio.utils import create_file_resampler
        from pipecat.audio.vad.silero import SileroVADAnalyzer
        from pipecat.frames.frames import (
            EndFrame,
            Frame,
            InputAudioRawFrame,
            InterimTranscriptionFrame,
            TranscriptionFrame,
        )
        from pipecat.pipeline.pipeline import Pipeline
        from pipecat.pipeline.worker import PipelineParams, PipelineWorker
        from pipecat.processors.audio.vad_processor import VADProcessor
        from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
        from pipecat.services.openai.stt import OpenAIRealtimeSTTService
        from pipecat.transcriptions.language import Language
        from pipecat.workers.runner import WorkerRunner

    rec = Recorder(name, target)

    class Sink(FrameProcessor):
        async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
            await super().process_frame(frame, direction)
            if isinstance(frame, TranscriptionFrame):
                rec.final(frame.text)
            elif isinstance(frame, InterimTranscriptionFrame):
                rec.interim(frame.text)
            await self.push_frame(frame, direction)

    settings = OpenAIRealtimeSTTService.Settings(
        model=plan.model, language=Language(plan.language) if plan.language else None
    )
    stt = OpenAIRealtimeSTTService(
        api_key=target.api_key,
        base_url=f"{target.ws_base}/realtime",
        settings=settings,
        turn_detection={"type": "server_vad"} if server_vad else False,
    )
    processors: list[Any] = [stt, Sink()]
    if not server_vad:  # the local VAD commits each turn (the service's default mode)
        processors.insert(0, VADProcessor(vad_analyzer=SileroVADAnalyzer()))
    worker = PipelineWorker(
        Pipeline(processors),
        cancel_on_idle_timeout=False,
        enable_rtvi=False,
        params=PipelineParams(audio_in_sample_rate=PIPELINE_RATE),
    )
    started = asyncio.Event()

    async def on_started(_worker: Any, _frame: Any) -> None:
        started.set()

    async def on_error(_worker: Any, frame: Any) -> None:
        rec.error(None, str(frame.error))

    worker.add_event_handler("on_pipeline_started", on_started)
    worker.add_event_handler("on_pipeline_error", on_error)

    pcm16k = await create_file_resampler().resample(audio.pcm, 24_000, PIPELINE_RATE)
    chunk_bytes = audio.chunk_ms * PIPELINE_RATE * 2 // 1000

    runner = WorkerRunner(handle_sigint=False)
    running: asyncio.Task[None] | None = None
    try:
        await runner.add_workers(worker)
        running = asyncio.create_task(runner.run())
        await asyncio.wait_for(started.wait(), plan.timeout_s)
        rec.mark("connected")
        if not await rec.poll(lambda: bool(stt._session_ready or rec.run.errors), plan.idle_s):
            rec.note("the service never reported its session configured; sent audio anyway")
        for i in range(0, len(pcm16k), chunk_bytes):
            chunk = pcm16k[i : i + chunk_bytes]
            await worker.queue_frame(InputAudioRawFrame(chunk, PIPELINE_RATE, 1))
            await asyncio.sleep(audio.pace * audio.chunk_ms / 1000)
        rec.mark("audio_done")
        await rec.settle(plan)
        await worker.queue_frame(EndFrame())
        await asyncio.wait_for(asyncio.shield(running), plan.idle_s + 2)
    except Exception as exc:  # the pipeline failed to start, or to end…
        rec.exception(exc)
    finally:
        if running is not None and not running.done():
            await runner.cancel(reason="the conformance driver is done")
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(running, 5)
    return rec.finish()

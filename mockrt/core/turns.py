"""Input audio and turns: buffer accounting from the real bytes, VAD turns, scripted transcripts.

Owns the ``input_audio_buffer.*`` client events and where turns begin and end, in the live order
(protocol.md §5.1, §5.2): ``speech_started`` → ``speech_stopped`` → the committed turn, whose
events ``mockrt.core.turn_events`` builds. A streaming model's turn opens at its first speech and
sends deltas in audio time before its commit (``mockrt.core.streaming``, protocol.md §5.3).
Positions are milliseconds of audio since the session began, whatever the format.

Nothing here calls back into the Session: every client event returns what should happen
(``mockrt.core.effects``: emit a server event after a delay, reject with an error, fire a scripted
fault), in order, and the Session schedules it. Must never import aiohttp or websockets, nor the
session.

Appends received together (``hold`` … ``release``, ``Session.receive_texts``) are heard by the
detector in one pass: their audio is held and measured as one piece at a refused append, at
``release``, or when the caller asks (``hear``), which it must before any other client event,
so the events and their order are those of hearing each append at once.
"""

from __future__ import annotations

from pydantic import BaseModel

from mockrt.core import errors
from mockrt.core.audio import FORMATS, AudioFormatSpec, decode_base64, decoded_length
from mockrt.core.effects import ClientRef, Effect, Emit, Reject
from mockrt.core.ids import Ids
from mockrt.core.options import Options
from mockrt.core.persona import Persona
from mockrt.core.script import TurnRequest
from mockrt.core.server_events import (
    InputAudioBufferCleared,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
)
from mockrt.core.session_objects import RealtimeSession, TranscriptionSession
from mockrt.core.streaming import DEFAULT_DELAY, DELAY_MS, SpeechMeter, StreamingTurn
from mockrt.core.transcriber import ScriptedTranscriber, Transcriber
from mockrt.core.turn_config import transcription_of
from mockrt.core.turn_events import delta_event, point_faults, turn_events
from mockrt.core.vad import IdleTimeout, SpeechStarted, SpeechStopped, TurnDetector, VadConfig

__all__ = ["InputAudio"]


def _append_ref(index: int | None, event_id: str | None) -> ClientRef:
    """The ``ClientRef`` of a refused append, made only when one is refused."""
    return ClientRef(index, "input_audio_buffer.append", event_id)


class InputAudio:
    """The input audio buffer of one transcription session and the turns cut from it."""

    def __init__(
        self,
        config: TranscriptionSession | RealtimeSession,
        *,
        options: Options,
        ids: Ids,
        persona: Persona,
        transcriber: Transcriber | None = None,
        faults: tuple[object, ...] = (),
    ) -> None:
        self._options = options
        self._ids = ids
        self._persona = persona
        self._faults = faults  # the session's point faults apply to every turn
        self._out: list[Effect] = []
        self.config = config
        self.transcriber: Transcriber = transcriber or ScriptedTranscriber()
        self.received_ms = 0.0  # all audio appended in the session
        self.buffer_start_ms = 0.0  # where the uncommitted buffer begins
        self.turns = 0  # committed turns
        self.last_item_id: str | None = None
        self.pending_item_id: str | None = None  # announced by speech_started
        self.speech_ms = 0.0  # speech detected in the uncommitted buffer
        self._started_ms = 0  # audio_start_ms of the speech in progress
        self.spec: AudioFormatSpec = FORMATS["audio/pcm"]
        self.detector: TurnDetector | None = None
        self._detector_config: VadConfig | None = None
        # (format, turn_detection, streaming model) as last followed
        self._followed: tuple[object, object, bool] | None = None
        self._meter: SpeechMeter | None = None  # a streaming model without VAD
        self._stream: StreamingTurn | None = None  # its turn in progress
        self._held: list[bytes] | None = None  # appends not heard yet (hold), or not holding
        self._follow(config)
        self._out.clear()

    def _take(self) -> list[Effect]:
        out, self._out = self._out, []
        return out

    def _emit(self, event: BaseModel, delay_ms: float = 0.0, turn: int | None = None) -> None:
        self._out.append(Emit(event, delay_ms, turn))

    def _event_id(self) -> str:
        return self._ids.make("event")

    # --- configuration ---------------------------------------------------------------------

    def reconfigure(self, config: TranscriptionSession | RealtimeSession) -> list[Effect]:
        """Follow the format and turn detection of the session after a ``session.update``."""
        self._follow(config)
        return self._take()

    def _follow(self, config: TranscriptionSession | RealtimeSession) -> None:
        self.config = config
        if not isinstance(config, TranscriptionSession):
            return
        audio_input = config.audio.input
        td = audio_input.turn_detection
        transcription = audio_input.transcription
        streaming = (
            td is None
            and transcription is not None
            and transcription.model in self._options.streaming_models
        )
        followed = (audio_input.format, td, streaming)
        if followed == self._followed:
            return  # most updates leave the format, turn detection and model kind as they were
        self._followed = followed
        spec = FORMATS[audio_input.format.type]
        vad = None
        if td is not None:
            vad = VadConfig.from_turn_detection(td.model_dump(mode="json"), base=self._options.vad)
        if not streaming:
            self._meter = None
        elif self._meter is None or self._meter.spec != spec:
            base = self._options.vad
            self._meter = SpeechMeter(spec, base.threshold_dbfs, base.frame_ms)
            self._meter.skip_to(self.received_ms)
        if spec == self.spec and vad == self._detector_config:
            return
        if self.detector is not None and self.detector.in_speech:
            self._stop_speech()  # the turn's item id stays announced for the next commit
        self.spec = spec
        self._detector_config = vad
        self.detector = None
        if vad is not None:
            self.detector = TurnDetector(vad, spec)
            self.detector.skip_to(self.received_ms)

    @property
    def buffered_ms(self) -> float:
        return self.received_ms - self.buffer_start_ms

    # --- client events ---------------------------------------------------------------------

    def append(
        self, b64: str, index: int | None, event_id: str | None, size: int | None = None
    ) -> list[Effect]:
        """``input_audio_buffer.append`` of the client's ``index``-th frame: never acknowledged;
        errors for bad audio. ``size``: ``decoded_length(b64)`` when the caller has it."""
        limit = self._options.max_append_bytes
        if size is None:
            size = decoded_length(b64)
        if size > limit:
            return self._refuse(errors.audio_too_large(size, limit), index, event_id)
        try:
            raw = decode_base64(b64)
        except ValueError:
            return self._refuse(errors.invalid_base64(), index, event_id)
        return self.append_raw(raw, index, event_id)

    def append_raw(self, raw: bytes, index: int | None, event_id: str | None) -> list[Effect]:
        """``input_audio_buffer.append`` of audio already decoded (mockrt.core.fastpath); the
        per-frame path, so its ``ClientRef`` is made only for an error."""
        size = len(raw)
        limit = self._options.max_append_bytes
        if size > limit:
            return self._refuse(errors.audio_too_large(size, limit), index, event_id)
        spec = self.spec
        if size % spec.sample_bytes:
            return self._refuse(errors.partial_sample(size, spec.sample_bytes), index, event_id)
        self.received_ms += spec.ms_for_bytes(size)
        held = self._held
        if held is not None and self.detector is not None and self._meter is None:
            held.append(raw)  # heard with the others received together
            return []
        self._listen(raw)
        if not self._out:
            return []  # the common case: audio taken, nothing to say
        return self._take()

    def _refuse(
        self, detail: errors.ErrorDetail, index: int | None, event_id: str | None
    ) -> list[Effect]:
        """The error for a refused append, after what the audio held before it made happen."""
        self._hear()
        return [*self._take(), Reject(detail, _append_ref(index, event_id))]

    def _listen(self, raw: bytes) -> None:
        if self.detector is not None:
            for vad_event in self.detector.feed(raw):
                self._on_vad(vad_event)
        if self._meter is not None:
            self._stream_audio(self._meter, raw)

    def hold(self) -> None:
        """Hold the audio of the appends that follow until ``release``: the detector hears it in
        one vectorised pass (perf-notes.md: per-frame numpy calls cost more than the sums)."""
        if self._held is None:
            self._held = []

    def hear(self) -> list[Effect]:
        """What the held audio makes happen, heard now (still holding): before any other
        client event of the same read."""
        self._hear()
        return self._take()

    def release(self) -> list[Effect]:
        """Stop holding; what the held audio makes happen."""
        self._hear()
        self._held = None
        return self._take()

    def _hear(self) -> None:
        held = self._held
        if held:
            raw = held[0] if len(held) == 1 else b"".join(held)
            held.clear()
            self._listen(raw)

    def _stream_audio(self, meter: SpeechMeter, raw: bytes) -> None:
        """A streaming model hears ``raw``: open the turn at its first speech, send the deltas
        that became due (mockrt.core.streaming)."""
        frames = meter.feed(raw)
        stream = self._stream
        if stream is None:
            first = next((i for i, (_, speech) in enumerate(frames) if speech), None)
            if first is None:
                return
            stream = self._open_stream(frames[first][0] - meter.frame_ms, meter)
            frames = frames[first:]
        stream.hear(frames)
        index = stream.request.index
        for i in stream.due(self.received_ms):
            delta = delta_event(self._ids, stream.request.item_id, stream.plan, i)
            self._emit(delta, turn=index)
            if i == 0:
                faults = (*self._faults, *stream.plan.faults)
                self._out += point_faults(self._ids, index, faults, "first_delta")

    def _open_stream(self, onset_ms: float, meter: SpeechMeter) -> StreamingTurn:
        transcription, logprobs = transcription_of(self.config)
        assert transcription is not None  # a meter runs only with a streaming model (_follow)
        self.pending_item_id = self.pending_item_id or self._ids.make("item")
        request = TurnRequest(
            index=self.turns + 1,
            item_id=self.pending_item_id,
            duration_ms=max(0.0, onset_ms - self.buffer_start_ms),
            speech_ms=0.0,
            model=transcription.model,
            language=transcription.language,
            include_logprobs=logprobs,
            streaming=True,
        )
        plan = self.transcriber.transcribe(request)
        delay = DELAY_MS[transcription.delay or DEFAULT_DELAY]
        self._stream = StreamingTurn(request, plan, delay, float(meter.frame_ms))
        return self._stream

    def commit(self, ref: ClientRef) -> list[Effect]:
        """``input_audio_buffer.commit``: at least ``min_commit_ms`` since the last commit."""
        buffered = self.buffered_ms
        if buffered < self._options.min_commit_ms:
            # [live-JP]: no committed; the error carries the commit's event_id.
            return [Reject(errors.commit_empty(buffered), ref)]
        if self.detector is not None:
            if self.detector.in_speech:
                # A manual commit during speech closes the turn speech_started announced.
                self.speech_ms += self.received_ms - self.detector.onset_ms
                self._stop_speech()
            self.detector.reset()
        self._commit(self.received_ms)
        return self._take()

    def _stop_speech(self) -> None:
        """End a speech in progress at the current position (manual commit or clear), so every
        speech_started gets its speech_stopped. UNCONFIRMED: the live API's events here."""
        assert self.detector is not None and self.pending_item_id is not None
        end = max(round(self.received_ms), self._started_ms + 1)
        self._emit(
            InputAudioBufferSpeechStopped(
                event_id=self._event_id(), audio_end_ms=end, item_id=self.pending_item_id
            ),
            turn=self.turns + 1,
        )

    def clear(self, ref: ClientRef) -> list[Effect]:
        """``input_audio_buffer.clear`` → ``input_audio_buffer.cleared``."""
        if self.detector is not None:
            if self.detector.in_speech:
                self._stop_speech()
            self.detector.reset()
        self.buffer_start_ms = self.received_ms
        self.speech_ms = 0.0
        self.pending_item_id = None
        self._stream = None  # UNCONFIRMED: live's deltas already sent for a cleared buffer
        self._emit(InputAudioBufferCleared(event_id=self._event_id()))
        return self._take()

    # --- turns -------------------------------------------------------------------------------

    def _on_vad(self, vad_event: SpeechStarted | SpeechStopped | IdleTimeout) -> None:
        ids = self._ids
        upcoming = self.turns + 1
        if isinstance(vad_event, SpeechStarted):
            self.pending_item_id = ids.make("item")
            self._started_ms = vad_event.audio_start_ms
            self._emit(
                InputAudioBufferSpeechStarted(
                    event_id=ids.make("event"),
                    audio_start_ms=vad_event.audio_start_ms,
                    item_id=self.pending_item_id,
                ),
                turn=upcoming,
            )
        elif isinstance(vad_event, SpeechStopped):
            item_id = self.pending_item_id or ids.make("item")
            self.pending_item_id = item_id
            self._emit(
                InputAudioBufferSpeechStopped(
                    event_id=ids.make("event"), audio_end_ms=vad_event.audio_end_ms, item_id=item_id
                ),
                turn=upcoming,
            )
            assert self.detector is not None
            voiced_end = vad_event.audio_end_ms - self.detector.config.silence_duration_ms
            self.speech_ms += max(0.0, voiced_end - vad_event.onset_ms)
            # server_vad commits the buffer up to the end of the turn by itself.
            self._commit(float(vad_event.audio_end_ms))
        else:
            item_id = ids.make("item")
            self._emit(
                InputAudioBufferTimeoutTriggered(
                    event_id=ids.make("event"),
                    audio_start_ms=vad_event.audio_start_ms,
                    audio_end_ms=vad_event.audio_end_ms,
                    item_id=item_id,
                ),
                turn=upcoming,
            )
            self.pending_item_id = item_id
            self._commit(float(vad_event.audio_end_ms))

    def _commit(self, end_ms: float) -> None:
        """Commit the buffer up to ``end_ms`` as a user item and schedule its transcript; a
        realtime (conversation) session's alike, no response (protocol.md §2.3)."""
        ids = self._ids
        end_ms = max(self.buffer_start_ms, end_ms)
        duration_ms = end_ms - self.buffer_start_ms
        item_id = self.pending_item_id or ids.make("item")
        previous = self.last_item_id
        self.turns += 1
        index = self.turns
        stream, self._stream = self._stream, None
        if self.detector is not None:
            speech_ms = self.speech_ms
        elif self._meter is not None:
            speech_ms = stream.speech_ms if stream is not None else 0.0
        else:
            speech_ms = duration_ms
        self.buffer_start_ms = end_ms
        self.pending_item_id = None
        self.speech_ms = 0.0
        self.last_item_id = item_id
        transcription, logprobs = transcription_of(self.config)
        plan = None
        request = TurnRequest(
            index=index,
            item_id=item_id,
            duration_ms=duration_ms,
            speech_ms=speech_ms,
            model=transcription.model if transcription else None,
            language=transcription.language if transcription else None,
            include_logprobs=logprobs,
        )
        if stream is not None:  # its text was fixed at its first speech
            plan = stream.plan.for_commit(request)
        elif transcription is not None:  # "defaults to off": no transcript without a model
            plan = self.transcriber.transcribe(request)
        self._out += turn_events(
            ids=ids,
            index=index,
            item_id=item_id,
            previous=previous,
            plan=plan,
            faults=(*self._faults, *(plan.faults if plan else ())),
            early=stream.sent if stream is not None else 0,
            item_created=self._persona.item_created,
        )

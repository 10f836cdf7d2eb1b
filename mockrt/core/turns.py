"""Input audio and turns: buffer accounting from the real bytes, VAD turns, scripted transcripts.

Owns the ``input_audio_buffer.*`` client events and every event a turn produces, in the live
order (protocol.md §5.1, §5.2): ``speech_started`` → ``speech_stopped`` → ``committed`` →
``conversation.item.added`` → ``conversation.item.done`` → deltas → ``completed`` (or ``failed``).
Positions are milliseconds of audio since the session began, whatever the format. Models without
VAD (gpt-live-transcribe, gpt-realtime-whisper) stream deltas before the commit live [live-JP];
here all but the last delta of such a turn are sent just before its ``committed``, with the
item's id — the live order, with the timing collapsed to the commit (an approximation).

Nothing here calls back into the Session: every client event returns what should happen
(``Emit`` a server event after a delay, ``Reject`` with an error, ``Fire`` a scripted fault), in
order, and the Session schedules it. Must never import aiohttp or websockets, nor the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from mockrt.core import errors
from mockrt.core.audio import FORMATS, AudioFormatSpec, decode_base64, decoded_length
from mockrt.core.errors import ErrorDetail
from mockrt.core.ids import Ids
from mockrt.core.options import Options
from mockrt.core.persona import Persona
from mockrt.core.script import Close, InjectError, TurnPoint, TurnRequest
from mockrt.core.server_events import (
    ConversationItemAdded,
    ConversationItemCreated,
    ConversationItemDone,
    InputAudioBufferCleared,
    InputAudioBufferCommitted,
    InputAudioBufferSpeechStarted,
    InputAudioBufferSpeechStopped,
    InputAudioBufferTimeoutTriggered,
    InputAudioContent,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    TranscriptionLanguage,
    UserAudioItem,
)
from mockrt.core.session_objects import LOGPROBS, RealtimeSession, TranscriptionSession
from mockrt.core.transcriber import ScriptedTranscriber, Transcriber, TurnPlan
from mockrt.core.vad import IdleTimeout, SpeechStarted, SpeechStopped, TurnDetector, VadConfig

__all__ = ["ClientRef", "Effect", "Emit", "Fire", "InputAudio", "Reject"]


@dataclass(frozen=True)
class ClientRef:
    """The client event a server reaction belongs to (for error.event_id and the journal)."""

    index: int | None
    type: str | None
    event_id: str | None


@dataclass(frozen=True)
class Emit:
    """Send ``event`` ``delay_ms`` from now (``turn``: the turn it belongs to, for faults)."""

    event: BaseModel
    delay_ms: float = 0.0
    turn: int | None = None


@dataclass(frozen=True)
class Reject:
    """Answer the client event ``ref`` with the ``error`` event for ``detail``."""

    detail: ErrorDetail
    ref: ClientRef


@dataclass(frozen=True)
class Fire:
    """Carry out a scripted point fault ``at_ms`` from now; an injected error is sent with
    ``event_id`` (made when the turn reached the fault, so ids follow the live order)."""

    fault: InjectError | Close
    at_ms: float
    event_id: str | None


Effect = Emit | Reject | Fire


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
        spec = FORMATS[audio_input.format.type]
        td = audio_input.turn_detection
        vad = None
        if td is not None:
            vad = VadConfig.from_turn_detection(td.model_dump(mode="json"), base=self._options.vad)
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

    def append(self, b64: str, ref: ClientRef) -> list[Effect]:
        """``input_audio_buffer.append``: never acknowledged; errors for bad audio."""
        limit = self._options.max_append_bytes
        size = decoded_length(b64)
        if size > limit:
            return [Reject(errors.audio_too_large(size, limit), ref)]
        try:
            raw = decode_base64(b64)
        except ValueError:
            return [Reject(errors.invalid_base64(), ref)]
        if len(raw) % self.spec.sample_bytes:
            return [Reject(errors.partial_sample(len(raw), self.spec.sample_bytes), ref)]
        self.received_ms += self.spec.ms_for_bytes(len(raw))
        if self.detector is not None:
            for vad_event in self.detector.feed(raw):
                self._on_vad(vad_event)
        return self._take()

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
            self.speech_ms += max(0.0, voiced_end - self.detector.onset_ms)
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
        """Commit the buffer up to ``end_ms`` as a user item and schedule its transcript."""
        config = self.config
        assert isinstance(config, TranscriptionSession)
        ids = self._ids
        end_ms = max(self.buffer_start_ms, end_ms)
        duration_ms = end_ms - self.buffer_start_ms
        item_id = self.pending_item_id or ids.make("item")
        previous = self.last_item_id
        self.turns += 1
        index = self.turns
        speech_ms = self.speech_ms if self.detector is not None else duration_ms
        self.buffer_start_ms = end_ms
        self.pending_item_id = None
        self.speech_ms = 0.0
        self.last_item_id = item_id
        transcription = config.audio.input.transcription
        plan = None
        if transcription is not None:  # "defaults to off": no transcript without a model
            plan = self.transcriber.transcribe(
                TurnRequest(
                    index=index,
                    item_id=item_id,
                    duration_ms=duration_ms,
                    speech_ms=speech_ms,
                    model=transcription.model,
                    language=transcription.language,
                    include_logprobs=LOGPROBS in (config.include or ()),
                )
            )
        faults = (*self._faults, *(plan.faults if plan else ()))
        turn = _Turn(self._out, ids, index, faults)
        deltas = list(plan.deltas) if plan and plan.failure is None else []
        early: list[str] = []
        if transcription and transcription.model in self._options.vadless_models:
            early, deltas = deltas[:-1], deltas[-1:]
        last = len(deltas) + len(early) - 1
        for i, delta in enumerate(early):
            turn.emit(self._delta(item_id, delta, plan, i), 0, "first_delta" if i == 0 else None)
        turn.emit(
            InputAudioBufferCommitted(
                event_id=ids.make("event"), previous_item_id=previous, item_id=item_id
            ),
            0,
            "committed",
        )
        item = UserAudioItem(id=item_id, content=[InputAudioContent(transcript=None)])
        if self._persona.item_created:
            turn.emit(
                ConversationItemCreated(
                    event_id=ids.make("event"), previous_item_id=previous, item=item
                ),
                0,
                "item_added",
            )
        else:
            turn.emit(
                ConversationItemAdded(
                    event_id=ids.make("event"), previous_item_id=previous, item=item
                ),
                0,
                "item_added",
            )
            turn.emit(
                ConversationItemDone(
                    event_id=ids.make("event"), previous_item_id=previous, item=item
                ),
                0,
                "item_done",
            )
        if plan is None:
            turn.finish(0.0)
            return
        at = float(plan.first_delta_ms)
        if plan.failure is not None:
            turn.emit(
                InputAudioTranscriptionFailed(
                    event_id=ids.make("event"), item_id=item_id, error=plan.failure
                ),
                plan.final_offset_ms,
                "completed",
            )
            turn.finish(plan.final_offset_ms)
            return
        for i, delta in enumerate(deltas, start=len(early)):
            if i > len(early):
                at += plan.between_deltas_ms
            turn.emit(self._delta(item_id, delta, plan, i), at, None)
            if i == 0:
                turn.point("first_delta", at)
            if i == last:
                turn.point("last_delta", at)
        at += plan.completed_ms
        all_logprobs = None
        if plan.logprobs is not None:
            all_logprobs = [p for chunk in plan.logprobs for p in chunk]
        languages = None
        if plan.languages is not None:
            languages = [TranscriptionLanguage(code=code) for code in plan.languages]
        turn.emit(
            InputAudioTranscriptionCompleted(
                event_id=ids.make("event"),
                item_id=item_id,
                transcript=plan.transcript,
                usage=plan.usage,
                logprobs=all_logprobs,
                languages=languages,
            ),
            at,
            "completed",
        )
        turn.finish(at)

    def _delta(
        self, item_id: str, delta: str, plan: TurnPlan | None, i: int
    ) -> InputAudioTranscriptionDelta:
        logprobs = None
        if plan is not None and plan.logprobs is not None:
            logprobs = list(plan.logprobs[i])
        return InputAudioTranscriptionDelta(
            event_id=self._event_id(),
            item_id=item_id,
            delta=delta,
            logprobs=logprobs,
        )


class _Turn:
    """Collects one turn's events, with its point faults (inject an error, close) in place."""

    def __init__(self, out: list[Effect], ids: Ids, index: int, faults: tuple[object, ...]) -> None:
        self.out = out
        self.ids = ids
        self.index = index
        self.faults = [
            f for f in faults if isinstance(f, InjectError | Close) and f.at_turn == index
        ]
        self.fired: set[int] = set()

    def emit(self, event: BaseModel, at_ms: float, point: TurnPoint | None) -> None:
        self.out.append(Emit(event, at_ms, self.index))
        if point is not None:
            self.point(point, at_ms)

    def point(self, point: TurnPoint, at_ms: float) -> None:
        for n, fault in enumerate(self.faults):
            if n in self.fired or fault.after != point:
                continue
            self.fired.add(n)
            self._fire(fault, at_ms)

    def finish(self, at_ms: float) -> None:
        """Points the turn never reached (no transcript, a failure) fire at its end."""
        for n, fault in enumerate(self.faults):
            if n not in self.fired:
                self.fired.add(n)
                self._fire(fault, at_ms)

    def _fire(self, fault: InjectError | Close, at_ms: float) -> None:
        event_id = self.ids.make("event") if isinstance(fault, InjectError) else None
        self.out.append(Fire(fault, at_ms, event_id))

"""Input audio and turns: buffer accounting from the real bytes, VAD turns, scripted transcripts.

Owns the ``input_audio_buffer.*`` client events and every event a turn produces, in the live
order (protocol.md §5.1, §5.2): ``speech_started`` → ``speech_stopped`` → ``committed`` →
``conversation.item.added`` → ``conversation.item.done`` → deltas → ``completed`` (or ``failed``).
Must never import aiohttp or websockets.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mockrt import errors
from mockrt.audio import FORMATS, AudioFormatSpec, decode_base64, decoded_length
from mockrt.events import (
    ConversationItemAdded,
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
    TranscriptionSession,
    UserAudioItem,
)
from mockrt.script import ScriptedTranscriber, Transcriber, TurnPlan, TurnRequest
from mockrt.vad import IdleTimeout, SpeechStarted, SpeechStopped, TurnDetector, VadConfig

if TYPE_CHECKING:
    from mockrt.session import Session

__all__ = ["ClientRef", "InputAudio", "Transcriber"]

LOGPROBS = "item.input_audio_transcription.logprobs"


@dataclass(frozen=True)
class ClientRef:
    """The client event a server reaction belongs to (for error.event_id and the journal)."""

    index: int | None
    type: str | None
    event_id: str | None


class InputAudio:
    """The input audio buffer of one transcription session and the turns cut from it."""

    def __init__(self, session: Session, transcriber: Transcriber | None = None) -> None:
        self._session = session
        self.transcriber: Transcriber = transcriber or ScriptedTranscriber()
        self.received_bytes = 0  # every byte appended in the session
        self.buffer_start_bytes = 0  # where the uncommitted buffer begins
        self.turns = 0
        self.last_item_id: str | None = None
        self.pending_item_id: str | None = None  # announced by speech_started
        self.speech_ms = 0.0  # speech detected in the uncommitted buffer
        self._speech_start_ms: int | None = None
        self.spec: AudioFormatSpec = FORMATS["audio/pcm"]
        self.detector: TurnDetector | None = None
        self.reconfigure()

    # --- configuration ---------------------------------------------------------------------

    def reconfigure(self) -> None:
        """Follow the session's format and turn detection after a ``session.update``."""
        config = self._session.config
        if not isinstance(config, TranscriptionSession):
            self.detector = None
            return
        audio_input = config.audio.input
        spec = FORMATS[audio_input.format.type]
        td = audio_input.turn_detection
        wire = None if td is None else td.model_dump(mode="json")
        if spec != self.spec or wire != self._detector_wire():
            self.spec = spec
            self.detector = None
            if wire is not None:
                self.detector = TurnDetector(VadConfig.from_turn_detection(wire), spec)
                self.detector.skip_to(self._ms(self.received_bytes))
            self._wire = wire

    def _detector_wire(self) -> object:
        return getattr(self, "_wire", None) if self.detector is not None else None

    def _ms(self, n_bytes: int) -> float:
        return n_bytes / self.spec.bytes_per_ms

    @property
    def buffered_ms(self) -> float:
        return self._ms(self.received_bytes - self.buffer_start_bytes)

    # --- client events ---------------------------------------------------------------------

    def append(self, b64: str, ref: ClientRef) -> None:
        """``input_audio_buffer.append``: never acknowledged; errors for bad audio."""
        session = self._session
        size = decoded_length(b64)
        if size > session.options.max_append_bytes:
            session.reject(errors.audio_too_large(size, session.options.max_append_bytes), ref)
            return
        try:
            raw = decode_base64(b64)
        except ValueError:
            session.reject(errors.invalid_base64(), ref)
            return
        if len(raw) % self.spec.sample_bytes:
            session.reject(errors.partial_sample(len(raw), self.spec.sample_bytes), ref)
            return
        if self.detector is None:
            self.received_bytes += len(raw)
            return
        for vad_event in self.detector.feed(raw):
            self._on_vad(vad_event)
        self.received_bytes += len(raw)

    def commit(self, ref: ClientRef) -> None:
        """``input_audio_buffer.commit``: at least ``min_commit_ms`` since the last commit."""
        session = self._session
        buffered = self.buffered_ms
        if buffered < session.options.min_commit_ms:
            session.reject(errors.commit_empty(buffered), ref)
            return
        if self.detector is not None and self.detector.in_speech:
            # A manual commit during speech closes the turn the VAD announced.
            self.speech_ms += self._ms(self.received_bytes) - (self._speech_start_ms or 0)
            self.detector.reset()
        self._commit(self.received_bytes)

    def clear(self, ref: ClientRef) -> None:
        """``input_audio_buffer.clear`` → ``input_audio_buffer.cleared``."""
        self.buffer_start_bytes = self.received_bytes
        self.speech_ms = 0.0
        self.pending_item_id = None
        self._speech_start_ms = None
        if self.detector is not None:
            self.detector.reset()
        session = self._session
        session.emit(InputAudioBufferCleared(event_id=session.ids.make("event")))

    # --- turns -------------------------------------------------------------------------------

    def _on_vad(self, vad_event: SpeechStarted | SpeechStopped | IdleTimeout) -> None:
        session = self._session
        if isinstance(vad_event, SpeechStarted):
            self.pending_item_id = session.ids.make("item")
            self._speech_start_ms = vad_event.audio_start_ms
            session.emit(
                InputAudioBufferSpeechStarted(
                    event_id=session.ids.make("event"),
                    audio_start_ms=vad_event.audio_start_ms,
                    item_id=self.pending_item_id,
                )
            )
        elif isinstance(vad_event, SpeechStopped):
            item_id = self.pending_item_id or session.ids.make("item")
            self.pending_item_id = item_id
            session.emit(
                InputAudioBufferSpeechStopped(
                    event_id=session.ids.make("event"),
                    audio_end_ms=vad_event.audio_end_ms,
                    item_id=item_id,
                )
            )
            start = self._speech_start_ms or 0
            self.speech_ms += max(0, vad_event.audio_end_ms - start)
            self._speech_start_ms = None
            # server_vad auto-commits the buffer up to the end of the turn.
            self._commit(math.ceil(vad_event.audio_end_ms * self.spec.bytes_per_ms))
        else:
            item_id = session.ids.make("item")
            session.emit(
                InputAudioBufferTimeoutTriggered(
                    event_id=session.ids.make("event"),
                    audio_start_ms=vad_event.audio_start_ms,
                    audio_end_ms=vad_event.audio_end_ms,
                    item_id=item_id,
                )
            )
            self.pending_item_id = item_id
            self._commit(math.ceil(vad_event.audio_end_ms * self.spec.bytes_per_ms))

    def _commit(self, end_bytes: int) -> None:
        """Commit the buffer up to ``end_bytes`` as a user item and schedule its transcript."""
        session = self._session
        end_bytes = max(
            self.buffer_start_bytes,
            min(end_bytes, self.received_bytes if self.detector is None else end_bytes),
        )
        duration_ms = self._ms(end_bytes - self.buffer_start_bytes)
        item_id = self.pending_item_id or session.ids.make("item")
        previous = self.last_item_id
        self.turns += 1
        speech_ms = self.speech_ms if self.detector is not None else duration_ms
        self.buffer_start_bytes = end_bytes
        self.pending_item_id = None
        self.speech_ms = 0.0
        self.last_item_id = item_id
        config = session.config
        assert isinstance(config, TranscriptionSession)
        transcription = config.audio.input.transcription
        request = TurnRequest(
            index=self.turns,
            item_id=item_id,
            duration_ms=duration_ms,
            speech_ms=speech_ms,
            model=transcription.model if transcription else None,
            language=transcription.language if transcription else None,
            include_logprobs=LOGPROBS in (config.include or ()),
        )
        ids = session.ids
        session.emit(
            InputAudioBufferCommitted(
                event_id=ids.make("event"), previous_item_id=previous, item_id=item_id
            )
        )
        item = UserAudioItem(id=item_id, content=[InputAudioContent(transcript=None)])
        session.emit(
            ConversationItemAdded(event_id=ids.make("event"), previous_item_id=previous, item=item)
        )
        session.emit(
            ConversationItemDone(event_id=ids.make("event"), previous_item_id=previous, item=item)
        )
        if transcription is None:
            return  # "defaults to off": no transcript events without a transcription model
        self._schedule_transcript(item_id, self.transcriber.transcribe(request))

    def _schedule_transcript(self, item_id: str, plan: TurnPlan) -> None:
        session = self._session
        ids = session.ids
        at = float(plan.first_delta_ms)
        if plan.failure is not None:
            session.emit(
                InputAudioTranscriptionFailed(
                    event_id=ids.make("event"), item_id=item_id, error=plan.failure
                ),
                at,
            )
            return
        for i, delta in enumerate(plan.deltas):
            if i:
                at += plan.between_deltas_ms
            logprobs = list(plan.logprobs[i]) if plan.logprobs is not None else None
            session.emit(
                InputAudioTranscriptionDelta(
                    event_id=ids.make("event"), item_id=item_id, delta=delta, logprobs=logprobs
                ),
                at,
            )
        at += plan.completed_ms
        languages = None
        if plan.languages is not None:
            from mockrt.events import TranscriptionLanguage

            languages = [TranscriptionLanguage(code=c) for c in plan.languages]
        all_logprobs = (
            None if plan.logprobs is None else [p for chunk in plan.logprobs for p in chunk]
        )
        session.emit(
            InputAudioTranscriptionCompleted(
                event_id=ids.make("event"),
                item_id=item_id,
                transcript=plan.transcript,
                usage=plan.usage,
                logprobs=all_logprobs,
                languages=languages,
            ),
            at,
        )

"""How the mock paces the deltas of a streaming model in audio time (protocol.md §5.3).

Live, ``gpt-realtime-whisper`` and ``gpt-live-transcribe`` send
``conversation.item.input_audio_transcription.delta`` while the audio is still arriving, before
``committed``, and ``transcription.delay`` trades latency for accuracy (protocol.md §11). The mock
has no recogniser, so this module is THE MOCK'S MODEL of that, not a live fact:

- The input audio is cut into ``frame_ms`` frames at absolute positions (as the VAD does), and a
  frame is speech when its level reaches the VAD threshold's (``Options.vad``: -35 dBFS by
  default). The same bytes give the same frames whatever the chunking.
- A turn opens at the first speech frame of an uncommitted buffer; its text (script or default)
  is fixed then, and its item id is the one ``committed`` will carry.
- Delta ``i`` covers the transcript up to the end of that delta, and sits at
  ``MS_PER_CHARACTER`` ms of speech per character of it (text longer than the speech heard
  waits for the commit). It becomes due once the speech heard in
  the turn reaches that position and ``DELAY_MS[delay]`` more ms of audio (speech or not) have
  arrived after that point. Due deltas are sent at once, on the session's clock, so a client that
  streams in real time sees them trail its audio.
- The last delta is never sent early: it follows ``committed`` with the rest, as live
  (protocol.md §5.1).

Pure: no I/O, no clocks, no randomness. Must never import aiohttp or websockets, nor the session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mockrt.core.audio import AudioFormatSpec, dbfs_to_power
from mockrt.core.script import TurnRequest
from mockrt.core.transcriber import TurnPlan

__all__ = ["DEFAULT_DELAY", "DELAY_MS", "MS_PER_CHARACTER", "SpeechMeter", "StreamingTurn"]

# INVENTED (the mock's model): ms of speech frames per character of text. The two phrases of
# tests/data/speech.pcm (espeak-ng at 160 words a minute) have 27 and 26 characters in 1170 and
# 1180 ms of frames at or above -35 dBFS (the gaps between words are not speech): 43-45 ms.
MS_PER_CHARACTER = 45.0
# INVENTED (the mock's model): how far text trails the audio per `transcription.delay`; the SDK
# says only "Higher values can improve transcription accuracy at the cost of latency".
DELAY_MS: dict[str, float] = {
    "minimal": 0.0,
    "low": 200.0,
    "medium": 400.0,
    "high": 800.0,
    "xhigh": 1600.0,
}
DEFAULT_DELAY = "medium"  # INVENTED: the delay when the session sets none


class SpeechMeter:
    """Speech frames of one session's input audio, fed in arrival order (any chunking)."""

    def __init__(self, spec: AudioFormatSpec, threshold_dbfs: float, frame_ms: int) -> None:
        # numpy comes with the first meter, not with mockrt serve's start-up
        from mockrt.core import energy

        self._energy = energy
        self.spec = spec
        self.frame_ms = frame_ms
        self._frame_samples = frame_ms * spec.sample_rate // 1000
        self._frame_bytes = self._frame_samples * spec.sample_bytes
        self._threshold_power = dbfs_to_power(threshold_dbfs)
        self._partial = b""
        self.position_ms = 0.0  # end of the last whole frame, from the start of the audio

    def skip_to(self, position_ms: float) -> None:
        """Continue at ``position_ms`` (a meter created mid-session); drops a partial frame."""
        self.position_ms = max(self.position_ms, position_ms)
        self._partial = b""

    def feed(self, raw: bytes) -> list[tuple[float, bool]]:
        """The whole frames completed by ``raw``: (end position in ms, is speech)."""
        data = self._partial + raw if self._partial else raw
        n_frames = len(data) // self._frame_bytes
        cut = n_frames * self._frame_bytes
        self._partial = data[cut:]
        if n_frames == 0:
            return []
        energy = self._energy
        power = energy.frames_power(energy.to_linear16(data[:cut], self.spec), self._frame_samples)
        flags: list[bool] = (power >= self._threshold_power).tolist()
        start = self.position_ms
        self.position_ms += n_frames * self.frame_ms
        return [(start + (i + 1) * self.frame_ms, flag) for i, flag in enumerate(flags)]


@dataclass
class StreamingTurn:
    """One streaming turn, from its first speech frame to its commit."""

    request: TurnRequest  # as it stood when the turn opened
    plan: TurnPlan
    delay_ms: float
    frame_ms: float
    speech_ms: float = 0.0  # speech heard in the turn so far
    sent: int = 0  # deltas already sent
    reached_at: list[float] = field(default_factory=list)  # where each anchor was reached

    @property
    def anchors_ms(self) -> list[float]:
        """Speech position of each early delta (all but the last)."""
        out: list[float] = []
        chars = 0
        for delta in self.plan.deltas[:-1]:
            chars += len(delta)
            out.append(chars * MS_PER_CHARACTER)
        return out

    def hear(self, frames: list[tuple[float, bool]]) -> None:
        """Count the speech in ``frames`` and note where each anchor is reached."""
        anchors = self.anchors_ms
        for end_ms, speech in frames:
            if not speech:
                continue
            self.speech_ms += self.frame_ms
            while len(self.reached_at) < len(anchors) and (
                anchors[len(self.reached_at)] <= self.speech_ms
            ):
                self.reached_at.append(end_ms)

    def due(self, received_ms: float) -> list[int]:
        """Indexes of the deltas due now that ``received_ms`` of audio has arrived."""
        out: list[int] = []
        while self.sent < len(self.reached_at) and (
            received_ms >= self.reached_at[self.sent] + self.delay_ms
        ):
            out.append(self.sent)
            self.sent += 1
        return out

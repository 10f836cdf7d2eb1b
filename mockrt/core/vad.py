"""Deterministic turn detection over input audio energy: ``server_vad`` and a ``semantic_vad``
approximation. Pure: no I/O, no clocks, no randomness. Must never import aiohttp or websockets.

A ``TurnDetector`` is fed the raw bytes of a session's input audio in arrival order and returns
``SpeechStarted`` / ``SpeechStopped`` / ``IdleTimeout`` events. Positions are milliseconds from the
start of all audio written in the session. Audio is cut into frames of ``frame_ms`` at absolute
positions, so the same bytes give the same events whatever the chunking.

Threshold → energy mapping (configurable through ``VadConfig.floor_dbfs`` / ``ceiling_dbfs``)::

    voiced(frame)  <=>  rms_dbfs(frame) >= floor_dbfs + threshold * (ceiling_dbfs - floor_dbfs)

With the defaults (-60 dBFS, -10 dBFS): threshold 0.0 -> -60 dBFS, 0.2 -> -50, 0.5 -> -35,
0.7 -> -25, 0.8 -> -20, 1.0 -> -10 dBFS.

Turn rules, per frame:

- Speech onset is the start of the first frame of a voiced run that reaches ``min_speech_ms``
  (default 30 ms: shorter clicks are not speech). ``SpeechStarted`` is emitted when the run reaches
  that length, with ``audio_start_ms = max(onset - prefix_padding_ms, end of previous turn, 0)``.
- Speech stops once ``silence_duration_ms`` of unvoiced frames follow the last voiced frame;
  ``SpeechStopped.audio_end_ms = end of last voiced frame + silence_duration_ms`` (emitted at the
  end of the frame that reaches it). ``audio_end_ms > audio_start_ms`` always.
- ``idle_timeout_ms`` (server_vad only): when no speech is in progress or pending and that much
  audio has passed since the last ``SpeechStopped`` (or the start, or the last ``reset``), one
  ``IdleTimeout(audio_start_ms=that point, audio_end_ms=now)`` is emitted per idle period. It ends
  a turn (it commits empty audio), so a later ``SpeechStarted`` never reaches back before it.

``semantic_vad`` is an APPROXIMATION: the live API runs a model that judges whether the user has
finished; here eagerness only picks a fixed silence window (``SEMANTIC_EAGERNESS``), with
threshold 0.5 and prefix padding 300 ms, and no idle timeout.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import TypeAlias

from mockrt.core.audio import AudioFormatSpec, dbfs_to_power

__all__ = [
    "SEMANTIC_EAGERNESS",
    "IdleTimeout",
    "SpeechStarted",
    "SpeechStopped",
    "TurnDetector",
    "VadConfig",
    "VadEvent",
]

# eagerness -> (silence window ms, max timeout ms). The window is the max timeout / 8: it keeps
# the documented 8:4:2 ratio between levels and puts medium/auto at server_vad's 500 ms default.
# SDK SemanticVad.eagerness: "`low`, `medium`, and `high` have max timeouts of 8s, 4s, and 2s
# respectively." and "`auto` is the default and is equivalent to `medium`."
SEMANTIC_EAGERNESS: dict[str, tuple[int, int]] = {
    "low": (1000, 8000),
    "medium": (500, 4000),
    "high": (250, 2000),
    "auto": (500, 4000),
}


@dataclass(frozen=True)
class VadConfig:
    """Turn detection parameters; the wire ones plus the energy mapping and framing knobs."""

    threshold: float = 0.5  # SDK ServerVad.threshold: "this defaults to 0.5"
    prefix_padding_ms: int = 300  # SDK ServerVad.prefix_padding_ms: "Defaults to 300ms."
    silence_duration_ms: int = 500  # SDK ServerVad.silence_duration_ms: "Defaults to 500ms."
    idle_timeout_ms: int | None = None
    frame_ms: int = 10
    min_speech_ms: int = 30
    floor_dbfs: float = -60.0
    ceiling_dbfs: float = -10.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.threshold <= 1.0:
            raise ValueError(f"threshold must be within 0.0..1.0, got {self.threshold!r}")
        if self.prefix_padding_ms < 0 or self.silence_duration_ms < 0 or self.min_speech_ms < 0:
            raise ValueError("prefix_padding_ms, silence_duration_ms, min_speech_ms must be >= 0")
        if self.idle_timeout_ms is not None and self.idle_timeout_ms <= 0:
            raise ValueError(f"idle_timeout_ms must be positive, got {self.idle_timeout_ms!r}")
        if self.frame_ms <= 0:
            raise ValueError(f"frame_ms must be positive, got {self.frame_ms!r}")
        if not self.ceiling_dbfs > self.floor_dbfs:
            raise ValueError("ceiling_dbfs must be above floor_dbfs")

    @property
    def threshold_dbfs(self) -> float:
        """The frame level (dBFS) at or above which a frame is voiced."""
        return self.floor_dbfs + self.threshold * (self.ceiling_dbfs - self.floor_dbfs)

    @classmethod
    def from_turn_detection(
        cls, td: Mapping[str, object], *, base: VadConfig | None = None
    ) -> VadConfig:
        """Build from the wire ``audio.input.turn_detection`` dict (``None`` values = absent).

        ``base`` supplies the non-wire knobs (framing, energy mapping, ``min_speech_ms``).
        """
        base = base or cls()
        kind = td.get("type")
        if kind == "server_vad":
            return dataclasses.replace(
                base,
                threshold=_number(td, "threshold", 0.5),
                prefix_padding_ms=_int(td, "prefix_padding_ms", 300),
                silence_duration_ms=_int(td, "silence_duration_ms", 500),
                idle_timeout_ms=_optional_int(td, "idle_timeout_ms"),
            )
        if kind == "semantic_vad":
            eagerness = td.get("eagerness")
            eagerness = "auto" if eagerness is None else eagerness
            if not isinstance(eagerness, str) or eagerness not in SEMANTIC_EAGERNESS:
                raise ValueError(f"unknown semantic_vad eagerness: {eagerness!r}")
            window_ms, max_timeout_ms = SEMANTIC_EAGERNESS[eagerness]
            return dataclasses.replace(
                base,
                threshold=0.5,
                prefix_padding_ms=300,
                silence_duration_ms=min(window_ms, max_timeout_ms),
                # SDK ServerVad.idle_timeout_ms: "Idle timeout is currently only supported for
                # `server_vad` mode."
                idle_timeout_ms=None,
            )
        raise ValueError(f"unknown turn_detection type: {kind!r}")


def _number(td: Mapping[str, object], key: str, default: float) -> float:
    value = td.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"turn_detection.{key} must be a number, got {value!r}")
    return float(value)


def _optional_int(td: Mapping[str, object], key: str) -> int | None:
    value = td.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"turn_detection.{key} must be an integer, got {value!r}")
    return value


def _int(td: Mapping[str, object], key: str, default: int) -> int:
    value = _optional_int(td, key)
    return default if value is None else value


@dataclass(frozen=True)
class SpeechStarted:
    """Speech detected; ``audio_start_ms`` includes the prefix padding."""

    audio_start_ms: int


@dataclass(frozen=True)
class SpeechStopped:
    """Speech ended; ``audio_end_ms`` includes the silence duration. ``onset_ms``: the first
    voiced frame of the speech it ends (the detector may have moved on to the next speech by the
    time the event is read, when one piece of audio holds both)."""

    audio_end_ms: int
    onset_ms: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class IdleTimeout:
    """No speech for ``idle_timeout_ms``: the silent segment from start to end."""

    audio_start_ms: int
    audio_end_ms: int


VadEvent: TypeAlias = SpeechStarted | SpeechStopped | IdleTimeout


def _whole_ms(ms: float) -> int:
    """Round half up: monotonic, and keeps a gap of at least 1 ms at least 1 ms wide."""
    return math.floor(ms + 0.5)


_QUIET_MARGIN = 0.999  # float32 sums differ from exact ones by far less than 0.1%


class TurnDetector:
    """Energy-based turn detection over one session's input audio, fed in arrival order."""

    def __init__(self, config: VadConfig, spec: AudioFormatSpec) -> None:
        if (config.frame_ms * spec.sample_rate) % 1000:
            raise ValueError(f"{config.frame_ms} ms is not a whole number of samples at {spec}")
        # mockrt.core.energy (numpy) comes with the first whole frame: neither mockrt serve's
        # start-up nor a session.created waits for it
        self._energy: ModuleType | None = None
        self.config = config
        self.spec = spec
        self._frame_samples = config.frame_ms * spec.sample_rate // 1000
        self._frame_bytes = self._frame_samples * spec.sample_bytes
        # rms_dbfs(frame) >= threshold_dbfs, compared as sums of squares over the frame (no log
        # and no division per frame)
        self._threshold_energy = dbfs_to_power(config.threshold_dbfs) * self._frame_samples
        self._min_run_frames = max(1, math.ceil(config.min_speech_ms / config.frame_ms))
        self._stop_frames = max(1, math.ceil(config.silence_duration_ms / config.frame_ms))
        self._origin_ms = 0.0  # position of this detector's first byte
        self.onset_ms = 0.0  # where the voiced run of the last SpeechStarted began
        self._frames = 0  # whole frames processed since the origin
        self._partial = b""  # bytes of the frame in progress
        self._restart(0.0)

    def _restart(self, at_ms: float) -> None:
        """Forget speech in progress; the previous turn and the idle period end at ``at_ms``."""
        self._in_speech = False
        self._run_start_ms: float | None = None  # start of the pending voiced run
        self._run_frames = 0
        self._last_voiced_end_ms = 0.0
        self._started_at = 0  # audio_start_ms of the speech in progress
        self._silent_frames = 0
        self._turn_end_ms = at_ms
        self._idle_start_ms = at_ms
        self._idle_fired = False

    # --- state -----------------------------------------------------------------------------

    @property
    def position_ms(self) -> float:
        """Audio received so far, in ms from the start of the session's audio."""
        received = self._frames * self._frame_bytes + len(self._partial)
        return self._origin_ms + received / self.spec.bytes_per_ms

    @property
    def in_speech(self) -> bool:
        """True between a ``SpeechStarted`` and its ``SpeechStopped``."""
        return self._in_speech

    def reset(self) -> None:
        """``input_audio_buffer.clear`` (or a manual commit): forget any speech in progress.

        Absolute positions and the frame grid are kept. The reset point ends the previous turn
        (no later ``audio_start_ms`` reaches before it) and starts a new idle period.
        """
        self._restart(self.position_ms)

    def skip_to(self, position_ms: float) -> None:
        """Continue at ``position_ms`` without audio (a detector created mid-session).

        Drops any partial frame; frames are then cut from ``position_ms``. Never moves back.
        """
        if position_ms < self.position_ms:
            raise ValueError(f"cannot skip back from {self.position_ms} to {position_ms} ms")
        self._origin_ms = float(position_ms)
        self._frames = 0
        self._partial = b""
        self._restart(self._origin_ms)

    # --- audio -----------------------------------------------------------------------------

    def feed(self, raw: bytes) -> list[VadEvent]:
        """Take the next bytes of input audio (any chunking); return the events, in order."""
        data = self._partial + raw if self._partial else raw
        n_frames = len(data) // self._frame_bytes
        if n_frames == 0:
            self._partial = data
            return []
        cut = n_frames * self._frame_bytes
        self._partial = data[cut:] if cut < len(data) else b""
        # Every 10 ms frame of the append in one vectorised call (perf-notes.md: never a loop
        # over samples, and not one numpy call per frame either).
        threshold = self._threshold_energy
        if self._energy is None:
            import mockrt.core.energy as energy_module

            self._energy = energy_module
        measure = self._energy
        if not self._in_speech and not self._run_frames and not self._idle_due:
            # fast path: silence with no idle timeout to watch. One dot product over the whole
            # append; below the threshold (with a margin for float32 rounding), no frame of it
            # can reach it.
            count = n_frames * self._frame_samples
            if measure.total_energy(data, self.spec, count) < threshold * _QUIET_MARGIN:
                self._frames += n_frames
                return []
        energy = measure.frames_energy(data, self.spec, self._frame_samples).tolist()
        if self._in_speech and min(energy) >= threshold:  # fast path: speech goes on
            self._frames += n_frames
            self._last_voiced_end_ms = self._origin_ms + self._frames * self.config.frame_ms
            self._silent_frames = 0
            return []
        events: list[VadEvent] = []
        for e in energy:
            self._step(e >= threshold, events)
        return events

    @property
    def _idle_due(self) -> bool:
        return self.config.idle_timeout_ms is not None and not self._idle_fired

    def _step(self, voiced: bool, events: list[VadEvent]) -> None:
        config = self.config
        start_ms = self._origin_ms + self._frames * config.frame_ms
        end_ms = start_ms + config.frame_ms
        self._frames += 1
        if self._in_speech:
            if voiced:
                self._last_voiced_end_ms = end_ms
                self._silent_frames = 0
                return
            self._silent_frames += 1
            if self._silent_frames >= self._stop_frames:
                # SDK speech_stopped.audio_end_ms: "includes the `min_silence_duration_ms`"
                stop_ms = self._last_voiced_end_ms + config.silence_duration_ms
                # never <= audio_start_ms, even after a reset in the middle of a frame
                end = max(_whole_ms(stop_ms), self._started_at + 1)
                events.append(SpeechStopped(end, self.onset_ms))
                self._restart(stop_ms)
            return
        if voiced:
            if self._run_start_ms is None:
                self._run_start_ms = start_ms
            self._run_frames += 1
            if self._run_frames >= self._min_run_frames:
                # SDK speech_started.audio_start_ms: "includes the `prefix_padding_ms`"
                begin = self._run_start_ms - config.prefix_padding_ms
                begin = max(begin, self._turn_end_ms, 0.0)
                self._started_at = _whole_ms(begin)
                self.onset_ms = self._run_start_ms  # first voiced frame of the turn
                events.append(SpeechStarted(audio_start_ms=self._started_at))
                self._in_speech = True
                self._run_start_ms = None
                self._run_frames = 0
                self._last_voiced_end_ms = end_ms
                self._silent_frames = 0
            return
        self._run_start_ms = None
        self._run_frames = 0
        idle_ms = config.idle_timeout_ms
        if idle_ms is not None and not self._idle_fired and end_ms - self._idle_start_ms >= idle_ms:
            start = _whole_ms(self._idle_start_ms)
            events.append(IdleTimeout(audio_start_ms=start, audio_end_ms=_whole_ms(end_ms)))
            self._idle_fired = True
            self._turn_end_ms = end_ms

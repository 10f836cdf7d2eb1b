"""The benchmark's audio and client frames, built once before any clock starts.

Audio is what a transcription client streams: 24 kHz pcm16 mono in 20 ms chunks (960 bytes, a
~1,330-byte JSON ``input_audio_buffer.append``). The signal is a 4 s cycle: a spoken turn of
1.5 s (a 220 Hz tone at -20 dBFS with noise at -40 dBFS, well above server VAD's -35 dBFS
default threshold) then 2.5 s of background noise at -65 dBFS, so server VAD starts and stops a
turn every cycle. Deterministic (seeded). Every frame is pre-encoded and pre-masked.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass

import numpy as np

from bench.wsload import frame

__all__ = [
    "CHUNK_MS",
    "CYCLE_FRAMES",
    "Frames",
    "SESSION_UPDATE",
    "append_payloads",
    "build_frames",
]

RATE = 24_000
CHUNK_MS = 20
CHUNK_SAMPLES = RATE * CHUNK_MS // 1000
CYCLE_MS = 4_000
SPEECH_MS = 1_500
CYCLE_FRAMES = CYCLE_MS // CHUNK_MS

# A full transcription session.update as a client configures one (~700 bytes, the size
# docs/perf-notes.md measures): format, model, language, prompt, noise reduction, server VAD
# with every knob, logprobs. Same values as the defaults, so it changes nothing per probe.
SESSION_UPDATE = json.dumps(
    {
        "type": "session.update",
        "event_id": "evt_bench_probe",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "noise_reduction": {"type": "near_field"},
                    "transcription": {
                        "model": "gpt-4o-transcribe",
                        "language": "en",
                        "prompt": "A benchmark: expect a tone, some noise and numbers.",
                    },
                    "turn_detection": {
                        "type": "server_vad",
                        "threshold": 0.5,
                        "prefix_padding_ms": 300,
                        "silence_duration_ms": 500,
                    },
                }
            },
            "include": ["item.input_audio_transcription.logprobs"],
        },
    },
    separators=(",", ":"),
)
CLEAR = json.dumps({"type": "input_audio_buffer.clear"})


def _level(x: np.ndarray, dbfs: float) -> np.ndarray:
    rms = math.sqrt(float(np.mean(x * x))) or 1.0
    return x * (32768.0 * 10 ** (dbfs / 20) / rms)


def cycle_audio(seed: int = 15) -> bytes:
    """One 4 s cycle of the signal as pcm16 little-endian bytes."""
    rng = np.random.default_rng(seed)
    n = RATE * CYCLE_MS // 1000
    speech = RATE * SPEECH_MS // 1000
    t = np.arange(speech) / RATE
    voiced = _level(np.sin(2 * np.pi * 220.0 * t), -20.0)
    voiced += _level(rng.standard_normal(speech), -40.0)
    x = _level(rng.standard_normal(n), -65.0)
    x[:speech] += voiced
    pcm: bytes = np.clip(np.rint(x), -32768, 32767).astype("<i2").tobytes()
    return pcm


def append_payloads(seed: int = 15) -> list[str]:
    """The cycle as ``input_audio_buffer.append`` JSON texts, one per 20 ms chunk."""
    audio = cycle_audio(seed)
    size = CHUNK_SAMPLES * 2
    return [
        json.dumps(
            {
                "type": "input_audio_buffer.append",
                "audio": base64.b64encode(audio[i : i + size]).decode(),
            }
        )
        for i in range(0, len(audio), size)
    ]


@dataclass(frozen=True)
class Frames:
    """Pre-masked wire frames: the append cycle, and the few control frames."""

    appends: tuple[bytes, ...]
    cycle: bytes  # every append of one cycle, concatenated: one write per cycle
    probe: bytes  # SESSION_UPDATE
    clear: bytes

    def blast(self, count: int, offset: int = 0) -> list[bytes]:
        """``count`` appends from cycle position ``offset``, as a few large writes."""
        out: list[bytes] = []
        pos = offset % CYCLE_FRAMES
        left = count
        if pos:
            head = min(left, CYCLE_FRAMES - pos)
            out.append(b"".join(self.appends[pos : pos + head]))
            left -= head
        while left >= CYCLE_FRAMES:
            out.append(self.cycle)
            left -= CYCLE_FRAMES
        if left:
            out.append(b"".join(self.appends[:left]))
        return out


def build_frames(seed: int = 15) -> Frames:
    appends = tuple(frame(p) for p in append_payloads(seed))
    return Frames(appends, b"".join(appends), frame(SESSION_UPDATE), frame(CLEAR))

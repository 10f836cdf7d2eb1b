"""Audio formats, base64 payloads and signal energy: pure functions over bytes and numpy arrays.

Owns the three input formats of a transcription session (``audio/pcm``, ``audio/pcmu``,
``audio/pcma``), byte <-> millisecond accounting, strict base64 decoding of
``input_audio_buffer.append`` payloads, G.711 decoding to linear 16-bit, and RMS levels in dBFS.
No I/O, no clocks, no randomness. Must never import aiohttp or websockets.

Levels: ``rms_dbfs`` is relative to full scale 32768 (a full-scale square wave is 0 dBFS, a
full-scale sine about -3.01 dBFS). Digital silence (and an empty array) returns the floor
``SILENCE_DBFS`` (-120.0), never ``-inf``, so levels stay finite and JSON-safe; any level below
the floor is clamped to it.
"""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = [
    "FORMATS",
    "FULL_SCALE",
    "SILENCE_DBFS",
    "AudioFormatSpec",
    "alaw_table",
    "decode_base64",
    "dbfs_to_power",
    "decoded_length",
    "frames_dbfs",
    "frames_energy",
    "frames_power",
    "rms_dbfs",
    "to_linear16",
    "ulaw_table",
]

FULL_SCALE = 32768.0
SILENCE_DBFS = -120.0


@dataclass(frozen=True)
class AudioFormatSpec:
    """One input audio format: mono, fixed rate, fixed bytes per sample."""

    name: str
    sample_rate: int
    sample_bytes: int

    @property
    def bytes_per_ms(self) -> float:
        return self.sample_rate * self.sample_bytes / 1000.0

    def ms_for_bytes(self, n: int) -> float:
        """Duration in milliseconds of ``n`` bytes of this format."""
        return n / self.bytes_per_ms

    def bytes_for_ms(self, ms: float) -> int:
        """Bytes holding ``ms`` milliseconds, rounded to whole samples."""
        return round(ms * self.sample_rate / 1000.0) * self.sample_bytes


FORMATS: dict[str, AudioFormatSpec] = {
    # protocol.md §4: "`audio/pcm` = 16-bit signed little-endian mono at 24 000 Hz → 48 000 bytes/s"
    "audio/pcm": AudioFormatSpec("audio/pcm", 24_000, 2),
    # protocol.md §4: "`audio/pcmu`/`audio/pcma` = 8 kHz G.711, 1 byte/sample → 8 000 bytes/s"
    "audio/pcmu": AudioFormatSpec("audio/pcmu", 8_000, 1),
    "audio/pcma": AudioFormatSpec("audio/pcma", 8_000, 1),
}


# --- base64 ----------------------------------------------------------------------------------


def decode_base64(b64: str) -> bytes:
    """Decode a base64 payload strictly; raise ``ValueError`` on bad characters or padding."""
    try:
        return binascii.a2b_base64(b64, strict_mode=True)
    except (binascii.Error, UnicodeEncodeError) as exc:  # binascii.Error is a ValueError
        raise ValueError(f"invalid base64: {exc}") from None


def decoded_length(b64: str) -> int:
    """Byte count of a well-formed base64 payload, from its length alone (no decoding).

    perf-notes.md: "``len(b64) // 4 * 3 - b64[-2:].count("=")`` bytes". For malformed input the
    figure is an estimate; ``decode_base64`` is the judge of validity.
    """
    return len(b64) // 4 * 3 - b64[-2:].count("=")


# --- G.711 -----------------------------------------------------------------------------------


def _ulaw_decode(code: int) -> int:
    # ITU-T G.711 μ-law: bits are inverted; sign, 3-bit exponent, 4-bit mantissa, bias 0x84.
    u = ~code & 0xFF
    exponent = (u >> 4) & 0x07
    magnitude = (((u & 0x0F) << 3) + 0x84) << exponent
    sample = magnitude - 0x84
    return -sample if u & 0x80 else sample


def _alaw_decode(code: int) -> int:
    # ITU-T G.711 A-law: even bits inverted (xor 0x55); sign bit set means positive.
    a = code ^ 0x55
    exponent = (a >> 4) & 0x07
    mantissa = a & 0x0F
    if exponent == 0:
        magnitude = (mantissa << 4) + 8
    else:
        magnitude = ((mantissa << 4) + 0x108) << (exponent - 1)
    return magnitude if a & 0x80 else -magnitude


_ULAW: npt.NDArray[np.int16] = np.array([_ulaw_decode(c) for c in range(256)], dtype=np.int16)
_ALAW: npt.NDArray[np.int16] = np.array([_alaw_decode(c) for c in range(256)], dtype=np.int16)
_ULAW.flags.writeable = False
_ALAW.flags.writeable = False


def ulaw_table() -> npt.NDArray[np.int16]:
    """The 256-entry μ-law → linear 16-bit table (read-only)."""
    return _ULAW


def alaw_table() -> npt.NDArray[np.int16]:
    """The 256-entry A-law → linear 16-bit table (read-only)."""
    return _ALAW


def to_linear16(raw: bytes, spec: AudioFormatSpec) -> npt.NDArray[np.int16]:
    """Samples of ``raw`` as linear 16-bit integers (a trailing partial sample is ignored)."""
    if spec.name == "audio/pcm":
        usable = len(raw) - len(raw) % 2
        return np.frombuffer(raw, dtype="<i2", count=usable // 2).astype(np.int16, copy=False)
    codes = np.frombuffer(raw, dtype=np.uint8)
    if spec.name == "audio/pcmu":
        return _ULAW[codes]
    if spec.name == "audio/pcma":
        return _ALAW[codes]
    raise ValueError(f"unknown audio format: {spec.name!r}")


# --- energy ----------------------------------------------------------------------------------


def rms_dbfs(samples: npt.NDArray[Any]) -> float:
    """RMS level of 16-bit samples in dBFS (full scale 32768); ``SILENCE_DBFS`` for silence."""
    n = samples.size
    if n == 0:
        return SILENCE_DBFS
    f = samples.astype(np.float32, copy=False).ravel()
    # perf-notes.md: "numpy float32 RMS 2.2 µs" with sqrt(dot(f, f) / n)
    rms = math.sqrt(float(np.dot(f, f)) / n)
    if rms == 0.0:
        return SILENCE_DBFS
    return max(SILENCE_DBFS, 20.0 * math.log10(rms / FULL_SCALE))


# numpy >= 2.0: one call for every row's dot product (~1 µs for the two 10 ms rows of a 20 ms
# append, against ~3 µs through einsum's Python wrapper); older numpy squares in place and
# multiplies by a vector of ones: the same sums in two calls.
_PCM16 = np.dtype("<i2")


def _row_sums_fallback(f: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    np.multiply(f, f, out=f)
    sums: npt.NDArray[np.float32] = f @ np.ones(f.shape[1], dtype=np.float32)
    return sums


def _row_sums_vecdot(f: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    sums: npt.NDArray[np.float32] = np.vecdot(f, f)
    return sums


_row_sums_of_squares = _row_sums_vecdot if hasattr(np, "vecdot") else _row_sums_fallback


def frames_energy(raw: bytes, spec: AudioFormatSpec, frame_samples: int) -> npt.NDArray[np.float32]:
    """Sum of squares of each whole frame of ``frame_samples`` samples of ``raw``, in one pass.

    The VAD's hot path: pcm16 bytes are viewed in place (no copy), converted to float32 once and
    reduced row by row in one call. Trailing bytes that do not fill a frame are ignored.
    """
    if frame_samples <= 0:
        raise ValueError("frame_samples must be positive")
    n_frames = len(raw) // (frame_samples * spec.sample_bytes)
    count = n_frames * frame_samples
    if spec.name == "audio/pcm":
        f = np.frombuffer(raw, dtype=_PCM16, count=count).astype(np.float32)
    else:
        f = to_linear16(raw[:count], spec).astype(np.float32)
    return _row_sums_of_squares(f.reshape(n_frames, frame_samples))


def frames_power(samples: npt.NDArray[Any], frame_samples: int) -> npt.NDArray[np.float32]:
    """Mean square of each whole frame of ``frame_samples`` samples, in one vectorised pass.

    Trailing samples that do not fill a frame are ignored. Compare against
    ``dbfs_to_power(level)`` to test levels without a logarithm per frame.
    """
    if frame_samples <= 0:
        raise ValueError("frame_samples must be positive")
    n_frames = samples.size // frame_samples
    f = samples[: n_frames * frame_samples].astype(np.float32).reshape(n_frames, frame_samples)
    power: npt.NDArray[np.float32] = _row_sums_of_squares(f) / np.float32(frame_samples)
    return power


def dbfs_to_power(dbfs: float) -> float:
    """The mean square of 16-bit samples whose RMS level is ``dbfs``."""
    return FULL_SCALE * FULL_SCALE * math.pow(10.0, dbfs / 10.0)


_FLOOR_POWER = dbfs_to_power(SILENCE_DBFS)


def frames_dbfs(samples: npt.NDArray[Any], frame_samples: int) -> npt.NDArray[np.float64]:
    """RMS dBFS of each whole frame (``rms_dbfs`` per frame, same floor), vectorised."""
    power = np.maximum(frames_power(samples, frame_samples).astype(np.float64), _FLOOR_POWER)
    levels: npt.NDArray[np.float64] = 10.0 * np.log10(power / (FULL_SCALE * FULL_SCALE))
    return levels

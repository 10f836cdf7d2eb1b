"""Signal energy over numpy arrays: G.711 decoding to linear 16-bit, RMS levels in dBFS and the
VAD's per-frame energies, all vectorised (docs/perf-notes.md: never a Python loop over samples).

Apart from ``mockrt.core.audio`` (formats, the level scale) so that ``mockrt serve`` starts
without numpy: the VAD imports this module with the first audio it measures, the streaming meter
when the first one is built.
No I/O, no clocks, no randomness. Must never import aiohttp or websockets.

Levels: ``rms_dbfs`` is relative to full scale 32768 (a full-scale square wave is 0 dBFS, a
full-scale sine about -3.01 dBFS). Digital silence (and an empty array) returns the floor
``SILENCE_DBFS`` (-120.0), never ``-inf``, so levels stay finite and JSON-safe; any level below
the floor is clamped to it.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt

from mockrt.core.audio import FULL_SCALE, SILENCE_DBFS, AudioFormatSpec, dbfs_to_power

__all__ = [
    "alaw_table",
    "frames_dbfs",
    "frames_energy",
    "frames_power",
    "rms_dbfs",
    "to_linear16",
    "total_energy",
    "ulaw_table",
]

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


def total_energy(raw: bytes, spec: AudioFormatSpec, count: int) -> float:
    """Sum of squares of the first ``count`` samples of ``raw``: one dot product, the VAD's test
    for an append with no frame loud enough (no frame's energy exceeds the total)."""
    if spec.name == "audio/pcm":
        f = np.frombuffer(raw, _PCM16, count).astype(np.float32)
    else:
        f = to_linear16(raw[:count], spec).astype(np.float32)
    return float(np.dot(f, f))


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


_FLOOR_POWER = dbfs_to_power(SILENCE_DBFS)


def frames_dbfs(samples: npt.NDArray[Any], frame_samples: int) -> npt.NDArray[np.float64]:
    """RMS dBFS of each whole frame (``rms_dbfs`` per frame, same floor), vectorised."""
    power = np.maximum(frames_power(samples, frame_samples).astype(np.float64), _FLOOR_POWER)
    levels: npt.NDArray[np.float64] = 10.0 * np.log10(power / (FULL_SCALE * FULL_SCALE))
    return levels

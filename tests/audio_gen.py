"""Test audio generators: 24 kHz s16le mono bytes (the ``audio/pcm`` format) and helpers.

Not a test module; other tests import it (``from tests import audio_gen``).
Deterministic: noise takes a seed.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = [
    "SAMPLE_RATE",
    "bursts",
    "mix",
    "noise",
    "silence",
    "to_b64",
    "to_g711",
    "tone",
]

SAMPLE_RATE = 24_000
FULL_SCALE = 32768.0


def _n(ms: float) -> int:
    return round(ms * SAMPLE_RATE / 1000)


def _pack(samples: npt.NDArray[np.float64]) -> bytes:
    clipped = np.clip(np.rint(samples), -32768, 32767)
    return clipped.astype("<i2").tobytes()


def silence(ms: float) -> bytes:
    """Digital silence."""
    return bytes(2 * _n(ms))


def tone(ms: float, freq_hz: float = 1000.0, dbfs: float = -20.0) -> bytes:
    """A sine whose RMS level is ``dbfs`` (so at most -3.01 dBFS without clipping)."""
    amplitude = FULL_SCALE * 10 ** (dbfs / 20) * math.sqrt(2)
    if amplitude > 32767:
        raise ValueError(f"a sine at {dbfs} dBFS RMS would clip")
    t = np.arange(_n(ms), dtype=np.float64) / SAMPLE_RATE
    return _pack(amplitude * np.sin(2 * np.pi * freq_hz * t))


def noise(ms: float, dbfs: float = -60.0, seed: int = 0) -> bytes:
    """Gaussian white noise scaled so its RMS level is ``dbfs`` (before clipping)."""
    n = _n(ms)
    if n == 0:
        return b""
    x = np.random.default_rng(seed).standard_normal(n)
    x *= FULL_SCALE * 10 ** (dbfs / 20) / math.sqrt(float(np.mean(x * x)))
    return _pack(x)


def mix(a: bytes, b: bytes) -> bytes:
    """Sample-wise sum of two s16le signals (the longer one sets the length), clipped."""
    xa = np.frombuffer(a, "<i2").astype(np.float64)
    xb = np.frombuffer(b, "<i2").astype(np.float64)
    out = np.zeros(max(xa.size, xb.size))
    out[: xa.size] += xa
    out[: xb.size] += xb
    return _pack(out)


def bursts(layout: Sequence[tuple[float, float]], total_ms: float, dbfs: float = -20.0) -> bytes:
    """Silence of ``total_ms`` with a 1 kHz tone over each ``[start_ms, end_ms)`` of ``layout``."""
    x = np.zeros(_n(total_ms), dtype=np.float64)
    amplitude = FULL_SCALE * 10 ** (dbfs / 20) * math.sqrt(2)
    for start_ms, end_ms in layout:
        i, j = _n(start_ms), min(_n(end_ms), x.size)
        t = np.arange(i, j, dtype=np.float64) / SAMPLE_RATE
        x[i:j] = amplitude * np.sin(2 * np.pi * 1000.0 * t)
    return _pack(x)


def to_g711(pcm: bytes, table: npt.NDArray[np.int16]) -> bytes:
    """24 kHz s16le -> 8 kHz G.711 codes: every third sample, nearest code of ``table``.

    ``table`` is a 256-entry code -> linear decoding table (``mockrt.core.energy.ulaw_table()``...).
    Fine for test tones below 4 kHz (no anti-alias filter).
    """
    x = np.frombuffer(pcm, "<i2")[::3].astype(np.int32)
    order = np.argsort(table, kind="stable")
    values = table[order].astype(np.int32)
    idx = np.clip(np.searchsorted(values, x), 1, values.size - 1)
    nearer_left = (x - values[idx - 1]) <= (values[idx] - x)
    best = np.where(nearer_left, idx - 1, idx)
    return order[best].astype(np.uint8).tobytes()


def to_b64(raw: bytes) -> str:
    """Base64 text of ``raw``, as an ``input_audio_buffer.append`` carries it."""
    return base64.b64encode(raw).decode("ascii")

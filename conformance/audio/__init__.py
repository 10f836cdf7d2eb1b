"""Audio for the cases: generated tone, noise and silence at a given level and duration, and the
recorded ``speech.pcm`` (a copy of tests/data/speech.pcm, shipped so an installed mockrt can run
the suite), in the session formats ``pcm`` (24 kHz s16le mono), ``pcmu`` and ``pcma`` (8 kHz
G.711), cut into chunks. Pure and deterministic (noise is seeded).
Must never import websockets or aiohttp.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt

from mockrt.core.energy import alaw_table, ulaw_table

__all__ = ["BYTES_PER_SECOND", "SAMPLE_RATE", "chunks", "render", "samples", "speech"]

SAMPLE_RATE = 24_000
BYTES_PER_SECOND = {"pcm": 48_000, "pcmu": 8_000, "pcma": 8_000}
_FULL_SCALE = 32768.0


def _n(ms: float) -> int:
    return round(ms * SAMPLE_RATE / 1000)


def speech() -> bytes:
    """``speech.pcm``: "Hello from the mock server.", 1.5 s of silence, "This is the second
    phrase." (5 648.8 ms, 24 kHz s16le mono; see tests/data/README.md)."""
    return resources.files("conformance").joinpath("audio/speech.pcm").read_bytes()


def samples(source: str, ms: float, dbfs: float, freq_hz: float) -> npt.NDArray[np.int16]:
    """24 kHz samples of a ``tone`` (sine at ``dbfs`` RMS), ``noise`` (white, seeded, at ``dbfs``
    RMS), ``silence`` (zeros) or ``speech`` (the recording, cut to ``ms`` when given)."""
    n = _n(ms)
    if source == "speech":
        data = np.frombuffer(speech(), "<i2")
        return data if ms <= 0 else data[:n]
    if source == "silence":
        return np.zeros(n, np.int16)
    rms = _FULL_SCALE * 10 ** (dbfs / 20)
    if source == "tone":
        t = np.arange(n, dtype=np.float64) / SAMPLE_RATE
        x = rms * math.sqrt(2) * np.sin(2 * np.pi * freq_hz * t)
    elif source == "noise":
        x = np.random.default_rng(0).standard_normal(n)
        x *= rms / math.sqrt(float(np.mean(x * x))) if n else 1.0
    else:
        raise ValueError(f"unknown audio source {source!r}")
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def _g711(pcm: npt.NDArray[np.int16], table: npt.NDArray[np.int16]) -> bytes:
    """24 kHz -> 8 kHz G.711 codes: every third sample, nearest code of ``table``."""
    x = pcm[::3].astype(np.int32)
    order = np.argsort(table, kind="stable")
    values = table[order].astype(np.int32)
    idx = np.clip(np.searchsorted(values, x), 1, values.size - 1)
    nearer_left = (x - values[idx - 1]) <= (values[idx] - x)
    return order[np.where(nearer_left, idx - 1, idx)].astype(np.uint8).tobytes()


def render(spec: Mapping[str, Any]) -> bytes:
    """The bytes of an ``audio`` step (``source``, ``ms``, ``dbfs``, ``freq_hz``, ``format``,
    ``repeat``) in the step's session format."""
    pcm = samples(
        str(spec["source"]),
        float(spec.get("ms", 0 if spec["source"] == "speech" else 1000)),
        float(spec.get("dbfs", -20)),
        float(spec.get("freq_hz", 440)),
    )
    pcm = np.tile(pcm, int(spec.get("repeat", 1)))
    fmt = str(spec.get("format", "pcm"))
    if fmt == "pcm":
        return pcm.astype("<i2").tobytes()
    return _g711(pcm, ulaw_table() if fmt == "pcmu" else alaw_table())


def chunks(raw: bytes, fmt: str, chunk_ms: float) -> list[bytes]:
    """``raw`` cut into chunks of ``chunk_ms`` of audio (the last may be shorter)."""
    width = 2 if fmt == "pcm" else 1
    size = max(width, round(BYTES_PER_SECOND[fmt] * chunk_ms / 1000) // width * width)
    return [raw[i : i + size] for i in range(0, len(raw), size)]

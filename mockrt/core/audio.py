"""Audio formats and base64 payloads: pure functions over bytes, without numpy.

Owns the three input formats of a transcription session (``audio/pcm``, ``audio/pcmu``,
``audio/pcma``), byte <-> millisecond accounting, strict base64 decoding of
``input_audio_buffer.append`` payloads, and the level scale (full scale 32768, the floor
``SILENCE_DBFS``). The signal itself (G.711 decoding, energy, levels) is numpy's, in
``mockrt.core.energy``, which the first detector imports with its first audio, not
``mockrt serve``'s start-up.
No I/O, no clocks, no randomness. Must never import aiohttp, websockets or numpy.
"""

from __future__ import annotations

import binascii
import math
from dataclasses import dataclass

__all__ = [
    "FORMATS",
    "FULL_SCALE",
    "SILENCE_DBFS",
    "AudioFormatSpec",
    "dbfs_to_power",
    "decode_base64",
    "decoded_length",
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


# --- levels ------------------------------------------------------------------------------------


def dbfs_to_power(dbfs: float) -> float:
    """The mean square of 16-bit samples whose RMS level is ``dbfs``."""
    return FULL_SCALE * FULL_SCALE * math.pow(10.0, dbfs / 10.0)

"""Audio at the wrong sample rate, told from how fast it arrives.

A transcription session takes ``audio/pcm`` at 24 kHz (48,000 bytes a second, protocol.md §4). A
client that streams in real time sends as many seconds of audio as pass on the clock; if its
bytes claim, at 24 kHz, a steady fraction of the time they took to arrive (16/24 for 16 kHz audio,
8/24, 48/24 or 44.1/24), the audio is almost certainly at that other rate, and live transcribes it
as sped-up or slowed-down noise without any error. Audio sent faster than real time as a burst
(a file at once) is fine and not judged. Pure; must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockrt.core.journal import Entry
from mockrt.diagnosis.catalogue import Explanation
from mockrt.diagnosis.findings import Problem
from mockrt.diagnosis.frames import SessionView, append_bytes, as_dict, audio_input, session_of

__all__ = ["RATE_RULE", "WRONG_RATES", "RateFinding", "rate_problem", "wrong_rate"]

RATE_RULE = "audio-wrong-rate"
# rate (Hz) -> name; their ratio to 24 kHz is what a real-time client's bytes show.
WRONG_RATES: dict[int, str] = {16000: "16 kHz", 8000: "8 kHz", 48000: "48 kHz", 44100: "44.1 kHz"}
_MIN_APPENDS = 10
_MIN_SPAN_S = 1.0  # shorter streams say too little about their pace
_MATCH = 0.06  # the whole run's ratio within 6% of a rate's
_STEADY = 0.15  # each quarter of the run within 15% of the whole run's ratio


@dataclass(frozen=True)
class RateFinding:
    rate: int
    ratio: float  # seconds of 24 kHz audio the bytes claim per second of arrival
    appends: tuple[Entry, ...]


def _ratio(run: list[Entry]) -> float | None:
    """Claimed audio (all but the last append) over the time from the first to the last."""
    span = run[-1].time - run[0].time
    if span <= 0:
        return None
    claimed_s = sum(append_bytes(e.event) for e in run[:-1]) / 48000
    return claimed_s / span


def wrong_rate(ctx: SessionView) -> RateFinding | None:
    """The likely rate of audio streamed in real time into a 24 kHz session, or None."""
    formats = [
        as_dict(audio_input(session_of(e)).get("format")).get("type")
        for e in ctx.server
        if e.type in ("session.created", "session.updated")
    ]
    if formats and formats[-1] not in (None, "audio/pcm"):
        return None  # G.711 is 8 kHz by definition
    appends = ctx.appends()
    if len(appends) < _MIN_APPENDS or appends[-1].time - appends[0].time < _MIN_SPAN_S:
        return None
    whole = _ratio(appends)
    if whole is None:
        return None
    rate = next(
        (r for r in WRONG_RATES if abs(whole - r / 24000) <= _MATCH * (r / 24000)),
        None,
    )
    if rate is None:
        return None
    quarter = len(appends) // 4
    for q in range(4):
        part = appends[q * quarter : (q + 1) * quarter + 1]
        ratio = _ratio(part)
        if ratio is None or abs(ratio - whole) > _STEADY * whole:
            return None  # bursts, pauses: not a steady real-time stream
    return RateFinding(rate, whole, tuple(appends))


def rate_problem(ctx: SessionView) -> Problem | None:
    """The finding as a report problem (the live API sends no error for it)."""
    found = wrong_rate(ctx)
    if found is None:
        return None
    name = WRONG_RATES[found.rate]
    first, last = found.appends[0], found.appends[-1]
    claimed = sum(append_bytes(e.event) for e in found.appends[:-1]) / 48000
    what = (
        f"Client events #{first.index + 1}-#{last.index + 1} ({len(found.appends)} appends) "
        f"arrived over {last.time - first.time:.2f} s but hold {claimed:.2f} s of audio at "
        f"24 kHz: a steady {found.ratio:.2f} s of audio per second, about {found.rate}/24000. "
        f"The audio is most likely {name}, not 24 kHz."
    )
    if found.rate == 8000:
        fix = (
            "Resample the audio to 24 kHz, 16-bit mono, before base64-encoding it; or, for 8 kHz "
            "telephone audio in G.711, send the G.711 bytes with audio.input.format "
            '{"type": "audio/pcmu"} (or "audio/pcma") instead.'
        )
    else:
        fix = (
            f"Resample the audio from {name} to 24 kHz, 16-bit little-endian mono, before "
            "base64-encoding it (e.g. soxr or audioop-lts ratecv; in pipecat set the "
            "transport's audio_in_sample_rate to 24000, or let the service resample)."
        )
    explanation = Explanation(
        f"The audio is {name}, but the session takes 24 kHz",
        "audio/pcm in a transcription session is 24 kHz only (audio.input.format.rate can only "
        "be 24000). The live API does not detect a wrong rate: it hears the audio sped up or "
        "slowed down and returns wrong or empty transcripts, without an error.",
        fix,
    )
    indexes = tuple(e.index for e in found.appends)
    return Problem(RATE_RULE, {}, indexes, what, explanation)

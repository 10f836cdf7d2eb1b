"""Captures: one connection's frames as a journal (JSON Lines) with its audio kept apart.

``CaptureWriter`` turns the frames a proxy forwarded into the journal's records
(``mockrt.core.journal``: one format for journal, capture and replay, keys redacted) and writes
``DIR/<stem>.jsonl``; the audio of every ``input_audio_buffer.append`` goes to ``DIR/<stem>.wav``
(24 kHz 16-bit mono PCM for ``audio/pcm``, 8 kHz mu-law or A-law for G.711) and the append's
record keeps ``"audio": "<N base64 chars>"`` (as the mock's own journal does) plus a reference
``{"file", "offset", "length"}`` into the wav's data chunk. ``read_capture`` and ``append_audio``
read them back. docs/captures.md describes the format. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

from mockrt.core.audio import FORMATS, AudioFormatSpec, decode_base64
from mockrt.core.journal import AudioRef, CloseRecord, Entry, Journal, read_jsonl

__all__ = [
    "CaptureWriter",
    "FormatTracker",
    "WAV_TAGS",
    "append_audio",
    "capture_files",
    "read_capture",
    "read_wav",
    "wav_header",
]

Direction = Literal["client", "server"]
# WAVE format tags: 1 PCM, 7 mu-law, 6 A-law (RFC 2361).
WAV_TAGS: dict[str, int] = {"audio/pcm": 1, "audio/pcmu": 7, "audio/pcma": 6}
# The beta persona's names of the same formats (docs/protocol.md §1.5).
_BETA_FORMATS = {"pcm16": "audio/pcm", "g711_ulaw": "audio/pcmu", "g711_alaw": "audio/pcma"}
_APPEND = "input_audio_buffer.append"


def wav_header(spec: AudioFormatSpec, data_bytes: int) -> bytes:
    """A RIFF/WAVE header for mono ``spec`` audio; non-PCM formats get the fact chunk."""
    tag = WAV_TAGS[spec.name]
    rate, width = spec.sample_rate, spec.sample_bytes
    fmt = struct.pack("<HHIIHH", tag, 1, rate, rate * width, width, 8 * width)
    chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
    if tag != 1:
        fmt += struct.pack("<H", 0)  # cbSize
        chunks = b"fmt " + struct.pack("<I", len(fmt)) + fmt
        chunks += b"fact" + struct.pack("<II", 4, data_bytes // width)
    chunks += b"data" + struct.pack("<I", data_bytes)
    return b"RIFF" + struct.pack("<I", 4 + len(chunks) + data_bytes) + b"WAVE" + chunks


def read_wav(path: Path) -> tuple[str, bytes]:
    """The format name (``audio/pcm``, ``audio/pcmu``, ``audio/pcma``) and data of a wav."""
    raw = path.read_bytes()
    if raw[:4] != b"RIFF" or raw[8:12] != b"WAVE":
        raise ValueError(f"{path}: not a RIFF/WAVE file")
    pos, tag, data = 12, None, None
    while pos + 8 <= len(raw):
        name, size = raw[pos : pos + 4], struct.unpack_from("<I", raw, pos + 4)[0]
        body = raw[pos + 8 : pos + 8 + size]
        if name == b"fmt ":
            tag = struct.unpack_from("<H", body)[0]
        elif name == b"data":
            data = body
        pos += 8 + size + (size & 1)
    names = {v: k for k, v in WAV_TAGS.items()}
    if tag not in names or data is None:
        raise ValueError(f"{path}: no PCM, mu-law or A-law data chunk")
    return names[tag], data


class FormatTracker:
    """The input audio format of one session, followed from the frames both ways: a client
    ``session.update`` sets it at once (appends may follow before the answer), the server's
    ``session.created``/``.updated`` (or the beta ``transcription_session.*``) confirms it."""

    def __init__(self) -> None:
        self.format = "audio/pcm"  # the default of a transcription session (protocol.md §9)

    def see(self, event: dict[str, Any]) -> None:
        session = event.get("session")
        kind = event.get("type")
        if not isinstance(session, dict) or not isinstance(kind, str):
            return
        if not kind.endswith((".update", ".created", ".updated")):
            return
        beta = session.get("input_audio_format")
        if isinstance(beta, str) and beta in _BETA_FORMATS:
            self.format = _BETA_FORMATS[beta]
        audio = session.get("audio")
        inp = audio.get("input") if isinstance(audio, dict) else None
        fmt = inp.get("format") if isinstance(inp, dict) else None
        if isinstance(fmt, dict) and fmt.get("type") in FORMATS:
            self.format = str(fmt["type"])


@dataclass
class _Wav:
    file: IO[bytes]
    name: str
    spec: AudioFormatSpec
    size: int = 0


@dataclass
class CaptureWriter:
    """Writes one connection's capture; ``add`` and ``close`` in forwarding order.

    Records wait in memory until the session id is known (the first server event that names it,
    normally the first frame of all), then every record carries it. ``finish`` writes what is
    left and patches the wav headers' sizes.
    """

    directory: Path | None  # None: keep the journal in memory only, write nothing
    stem: str
    session: str | None = None
    journal: Journal = field(default_factory=Journal)  # all but the appends, for the checks
    formats: FormatTracker = field(default_factory=FormatTracker)
    _pending: list[Entry | CloseRecord] = field(default_factory=list)
    _lines: IO[str] | None = None
    _wavs: dict[str, _Wav] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=lambda: {"client": 0, "server": 0})

    @property
    def path(self) -> Path | None:
        return None if self.directory is None else self.directory / f"{self.stem}.jsonl"

    def add(self, direction: Direction, time: float, frame: str | bytes) -> Entry:
        """Record one forwarded frame (text or binary) and return its journal entry."""
        audio: AudioRef | None = None
        event: Any
        if isinstance(frame, bytes):
            event = f"<binary frame of {len(frame)} bytes>"  # as the mock's journal words it
        else:
            try:
                event = json.loads(frame)
            except ValueError:
                event = frame
        if isinstance(event, dict):
            if direction == "client" and event.get("type") == _APPEND:
                event, audio = self._keep_audio(event)
            else:
                self.formats.see(event)
            if self.session is None and direction == "server":
                self._learn_session(event)
        index = self._counts[direction]
        self._counts[direction] += 1
        entry = Entry(direction, time, self.session or "", event, index, audio=audio)
        self._pending.append(entry)
        self._flush_pending()
        return entry

    def close(self, direction: Direction, time: float, code: int, reason: str) -> None:
        """Record the end of the connection (who closed it, with which code and reason)."""
        if self.session is None:
            self.session = ""
        self._pending.append(CloseRecord(direction, time, self.session, code, reason))
        self._flush_pending()

    def finish(self) -> None:
        if self.session is None:
            self.session = ""
        self._flush_pending()
        if self._lines is not None:
            self._lines.close()
            self._lines = None
        for wav in self._wavs.values():
            wav.file.seek(0)
            wav.file.write(wav_header(wav.spec, wav.size))
            wav.file.close()
        self._wavs.clear()

    def flush(self) -> None:
        if self._lines is not None:
            self._lines.flush()

    def _learn_session(self, event: dict[str, Any]) -> None:
        session = event.get("session")
        if isinstance(session, dict) and isinstance(session.get("id"), str):
            self.session = str(session["id"])
        elif event.get("type") == "error":
            self.session = ""  # a refused connection: no session will come

    def _flush_pending(self) -> None:
        if self.session is None:
            return
        if self._lines is None and self._pending and self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            self._lines = (self.directory / f"{self.stem}.jsonl").open("a", encoding="utf-8")
        for record in self._pending:
            if isinstance(record, Entry):
                if record.session != self.session:
                    record = Entry(
                        record.direction,
                        record.time,
                        self.session,
                        record.event,
                        record.index,
                        audio=record.audio,
                    )
                if not (record.direction == "client" and record.type == _APPEND):
                    self.journal.add(record)  # appends stay on disk only: an hour is 180k
            else:
                record = CloseRecord(
                    record.direction, record.time, self.session, record.code, record.reason
                )
                self.journal.closes.append(record)
            if self._lines is not None:
                self._lines.write(record.to_line() + "\n")
        self._pending.clear()

    def _keep_audio(self, event: dict[str, Any]) -> tuple[dict[str, Any], AudioRef | None]:
        b64 = event.get("audio")
        if not isinstance(b64, str):
            return event, None
        try:
            raw = decode_base64(b64)
        except ValueError:
            return event, None  # a bad payload stays in the capture as sent
        kept = {**event, "audio": f"<{len(b64)} base64 chars>"}
        if self.directory is None:
            return kept, None
        wav = self._wav(self.directory, self.formats.format)
        ref = AudioRef(wav.name, wav.size, len(raw))
        wav.file.write(raw)
        wav.size += len(raw)
        return kept, ref

    def _wav(self, directory: Path, name: str) -> _Wav:
        if name not in self._wavs:
            spec = FORMATS[name]
            suffix = "" if not self._wavs else f"-{len(self._wavs) + 1}"
            filename = f"{self.stem}{suffix}.wav"
            directory.mkdir(parents=True, exist_ok=True)
            handle = (directory / filename).open("wb")
            handle.write(wav_header(spec, 0))
            self._wavs[name] = _Wav(handle, filename, spec)
        return self._wavs[name]


def read_capture(path: Path) -> Journal:
    """A capture (or a journal) read back."""
    with path.open(encoding="utf-8") as lines:
        return read_jsonl(lines)


def append_audio(capture: Path, entry: Entry, cache: dict[str, bytes] | None = None) -> str | None:
    """The base64 audio of a captured append, read back from its wav (None when not kept)."""
    if entry.audio is None:
        return None
    cache = {} if cache is None else cache
    name = entry.audio.file
    if name not in cache:
        cache[name] = read_wav(capture.parent / name)[1]
    raw = cache[name][entry.audio.offset : entry.audio.offset + entry.audio.length]
    return base64.b64encode(raw).decode("ascii")


def capture_files(directory: Path) -> list[Path]:
    """The captures in ``directory``, oldest first (file names start with the UTC time)."""
    return sorted(directory.glob("*.jsonl")) if directory.is_dir() else []

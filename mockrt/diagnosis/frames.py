"""Reading journaled client traffic safely: one session's entries and what its frames say.

Owns ``SessionView`` (a session's entries in journal order, with the lookups the checks need) and
the small readers every diagnosis module uses on untrusted frames: ``as_dict``, ``session_of``,
``audio_input``, ``append_bytes``, and the shape tests ``is_conversation_update`` (protocol.md
§2.3) and ``is_transcription_update``. The realtime-only keys come from
``mockrt.core.validation``, their one home. Pure; must never import aiohttp, websockets or
asyncio, nor any other diagnosis module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from mockrt.core.journal import Entry
from mockrt.core.validation import REALTIME_ONLY_KEYS

__all__ = [
    "SessionView",
    "append_bytes",
    "as_dict",
    "audio_input",
    "is_conversation_update",
    "is_transcription_update",
    "is_uuid_hex",
    "session_of",
]

JSON = dict[str, Any]

_UUID_HEX = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class SessionView:
    """One session's entries, in journal order, with the lookups the checks need."""

    id: str
    entries: list[Entry]
    client: list[Entry] = field(default_factory=list)
    server: list[Entry] = field(default_factory=list)
    pos: dict[int, int] = field(default_factory=dict)  # id(entry) -> position in entries

    def __post_init__(self) -> None:
        for i, e in enumerate(self.entries):
            self.pos[id(e)] = i
            (self.client if e.direction == "client" else self.server).append(e)

    def first_server(self, *types: str) -> Entry | None:
        return next((e for e in self.server if e.type in types), None)

    def before(self, a: Entry, b: Entry | None) -> bool:
        """``a`` was journaled before ``b`` (True when ``b`` never happened)."""
        return b is None or self.pos[id(a)] < self.pos[id(b)]

    def reply_after(self, entry: Entry, *types: str) -> Entry | None:
        start = self.pos[id(entry)]
        return next(
            (e for e in self.entries[start:] if e.direction == "server" and e.type in types), None
        )

    def updates(self) -> list[Entry]:
        return [
            e for e in self.client if e.type in ("session.update", "transcription_session.update")
        ]

    def is_final_flush(self, entry: Entry) -> bool:
        """The Agents SDK's end of input: a commit with a uuid4-hex event_id, then a clear."""
        if entry.type != "input_audio_buffer.commit" or not is_uuid_hex(
            as_dict(entry.event).get("event_id")
        ):
            return False
        n = self.client.index(entry)
        return n + 1 < len(self.client) and self.client[n + 1].type == "input_audio_buffer.clear"

    def appends(self) -> list[Entry]:
        return [e for e in self.client if e.type == "input_audio_buffer.append"]

    def kind(self) -> str:
        """ "transcription", "realtime", or "unknown" (no session.created journaled)."""
        created = self.first_server("session.created", "transcription_session.created")
        if created is None:
            return "unknown"
        if created.type == "transcription_session.created":
            return "transcription"
        return "transcription" if session_of(created).get("type") == "transcription" else "realtime"


def as_dict(value: Any) -> JSON:
    """``value`` when it is a JSON object, else ``{}``: safe digging into untrusted frames."""
    return value if isinstance(value, dict) else {}


def session_of(entry: Entry) -> JSON:
    """The ``session`` object of a frame (``{}`` when absent)."""
    return as_dict(as_dict(entry.event).get("session"))


def audio_input(session: JSON) -> JSON:
    """``session.audio.input`` (``{}`` when absent)."""
    return as_dict(as_dict(session.get("audio")).get("input"))


def is_uuid_hex(value: object) -> bool:
    """32 lowercase hex digits: ``uuid4().hex``, the Agents SDK's commit event_id."""
    return isinstance(value, str) and _UUID_HEX.match(value) is not None


def is_conversation_update(entry: Entry) -> bool:
    """A ``session.update`` shaped for a realtime (conversation) session (protocol.md §2.3)."""
    if entry.type != "session.update":
        return False
    session = session_of(entry)
    if session.get("type") == "realtime":
        return True
    if session.get("type") == "transcription":
        return False
    return bool(set(session) & set(REALTIME_ONLY_KEYS)) or "output" in as_dict(session.get("audio"))


def is_transcription_update(entry: Entry) -> bool:
    """A GA ``session.update`` with ``session.type`` "transcription"."""
    return entry.type == "session.update" and session_of(entry).get("type") == "transcription"


def append_bytes(event: Any) -> int:
    """Decoded size of an append's audio, from the base64 (or the mock's journaled length)."""
    audio = as_dict(event).get("audio")
    if not isinstance(audio, str):
        return 0
    m = re.fullmatch(r"<(\d+) base64 chars(?:, (\d+) bytes)?>", audio)
    if m:  # the mock journals the lengths, not the audio
        if m.group(2) is not None:
            return int(m.group(2))
        return int(m.group(1)) // 4 * 3  # an older journal: padding unknown
    return len(audio) // 4 * 3 - audio[-2:].count("=")

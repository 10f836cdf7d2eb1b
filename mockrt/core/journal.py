"""The journal: every frame both ways, timestamped, and the rule each error enforced.

One JSON Lines record per frame: ``{"direction": "client"|"server", "time": <s since the session
began>, "session": "<sess id>", "event": <the frame as JSON, or its raw text>}`` plus ``index``
(per direction, from 0) and, on an error the mock sent, ``violation`` naming the client event that
caused it and the rule. Captures of live traffic use the same format (docs/captures.md), with two
additions: an append whose audio was written to a .wav beside the capture carries ``audio``
(``{"file", "offset", "length"}``, bytes of the file's data chunk), and the end of a connection is
a record ``{"direction": <who closed>, "time", "session", "close": {"code", "reason"}}`` with no
``event`` (``Journal.closes``). API keys are redacted.
Direction ``"connection"`` (session ``""``) records a connection the program opened elsewhere and
the redirect sent here: ``event`` is ``{"type": "mockrt.redirect", "url": <as the program asked>,
"to": ..., "library": ..., "action": "redirected"|"passed"|"blocked"}``; client()/server() skip it.

Cost and memory are bounded per frame: the per-direction lists and the violation count are kept
as entries are added (never re-listed), accepted client frames and the server's events without
a violation are kept compactly (``mockrt.core.appendlog``), a rejected frame is kept whole only
when short (else its first characters, its length and a SHA-256), ``audio`` strings are
summarised, and nothing written contains NaN or Infinity (``mockrt.core.scrub``). One line about
a frame or a violation, for logs: ``mockrt.core.summary``. Must never import aiohttp or
websockets.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from mockrt.core.appendlog import FrameLog
from mockrt.core.scrub import redact, strict_json

__all__ = [
    "AudioRef",
    "CloseRecord",
    "Entries",
    "Entry",
    "Journal",
    "Violation",
    "read_jsonl",
]


@dataclass(frozen=True)
class Violation:
    """Which client event broke which rule, and the error it earned."""

    rule: str
    code: str | None
    message: str
    client_index: int | None
    client_type: str | None
    client_event_id: str | None
    # how far the message is the live API's text: "verbatim", "unconfirmed" or "invented"
    # (mockrt.core.errors.Status); never on the wire, only here for the person reading
    text_status: str | None = None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "rule": self.rule,
            "code": self.code,
            "message": self.message,
            "client_event": {
                "index": self.client_index,
                "type": self.client_type,
                "event_id": self.client_event_id,
            },
        }
        if self.text_status is not None:
            record["text_status"] = self.text_status
        return record


@dataclass(frozen=True)
class AudioRef:
    """Where an append's audio went: ``length`` bytes at ``offset`` in the data chunk of the
    .wav ``file`` (a name beside the capture)."""

    file: str
    offset: int
    length: int

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "offset": self.offset, "length": self.length}


@dataclass(frozen=True)
class CloseRecord:
    """The end of a connection: who closed it (``direction``), with which code and reason (the
    other side got the same). ``code`` 1006: the connection dropped without a close frame."""

    direction: Literal["client", "server"]
    time: float
    session: str
    code: int
    reason: str = ""

    def to_line(self) -> str:
        record = {
            "direction": self.direction,
            "time": round(self.time, 6),
            "session": self.session,
            "close": {"code": self.code, "reason": self.reason},
        }
        return redact(json.dumps(record, separators=(",", ":")))


@dataclass(slots=True)
class Entry:
    """One frame of the journal. Built for every frame both ways, so not frozen (a frozen
    dataclass's ``__init__`` costs ~8x as much, docs/perf-notes.md); never changed once added."""

    direction: Literal["client", "server", "connection"]
    time: float
    session: str
    event: Any
    index: int
    violation: Violation | None = None
    audio: AudioRef | None = None
    # on a session's first entry: the handshake headers that tell client libraries apart
    # (User-Agent, X-Stainless-*), never a key
    client_headers: dict[str, str] | None = None

    @property
    def type(self) -> str | None:
        """The event's ``type`` when the frame was a JSON object with a string type."""
        if isinstance(self.event, dict) and isinstance(self.event.get("type"), str):
            return str(self.event["type"])
        return None

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "direction": self.direction,
            "time": round(self.time, 6),
            "session": self.session,
            "index": self.index,
            "event": self.event,
        }
        if self.violation is not None:
            record["violation"] = self.violation.to_json()
        if self.audio is not None:
            record["audio"] = self.audio.to_json()
        if self.client_headers:
            record["client_headers"] = self.client_headers
        return record

    def to_line(self) -> str:
        # ASCII escapes: a client may send lone surrogates, which UTF-8 files cannot hold.
        return redact(strict_json(self.to_json()))


# Rough memory of an entry besides its frame text (tracemalloc: ~450 bytes for a short frame with
# its Entry, dict and violation); ``approx_bytes`` bounds the finished sessions a server keeps.
_ENTRY_OVERHEAD = 400
# A compact frame as the journal keeps it: its position in the journal's FrameLog (numbers in
# arrays, nothing the garbage collector tracks; ~100 bytes, plus the text of a text frame, where
# an Entry with its dict is ~430), made into an Entry only when read.
_COMPACT_BYTES = 100


class Entries(Sequence[Entry]):
    """The journal's frames in order, read-only; compact appends become Entries when read."""

    __slots__ = ("_entry", "_items")

    def __init__(self, items: list[Entry | int], entry: Callable[[Entry | int], Entry]) -> None:
        self._items = items
        self._entry = entry

    def __len__(self) -> int:
        return len(self._items)

    @overload
    def __getitem__(self, index: int) -> Entry: ...

    @overload
    def __getitem__(self, index: slice) -> list[Entry]: ...

    def __getitem__(self, index: int | slice) -> Entry | list[Entry]:
        if isinstance(index, slice):
            return [self._entry(item) for item in self._items[index]]
        return self._entry(self._items[index])

    def __iter__(self) -> Iterator[Entry]:
        return map(self._entry, self._items)


class Journal:
    """The frames of one session (or many, when read from a file)."""

    def __init__(
        self,
        entries: Iterable[Entry] = (),
        closes: Iterable[CloseRecord] = (),
        client_headers: dict[str, str] | None = None,
    ) -> None:
        self._items: list[Entry | int] = []  # an int: a compact frame (self._compact)
        self._compact = FrameLog()
        # Kept as entries are added: nothing per frame re-lists the journal.
        self._client: list[Entry | int] = []
        self._server: list[Entry | int] = []
        self._violations: list[Entry] = []  # the entries that carry one
        self.closes: list[CloseRecord] = list(closes)
        self.approx_bytes = 0
        # set by the adapter at the handshake; journaled on the first entry (see Entry)
        self.client_headers: dict[str, str] = dict(client_headers or {})
        for entry in entries:
            self.add(entry)

    @property
    def violation_count(self) -> int:
        return len(self._violations)

    @property
    def entries(self) -> Entries:
        return Entries(self._items, self._entry)

    def __iter__(self) -> Iterator[Entry]:
        return map(self._entry, self._items)

    def _entry(self, item: Entry | int) -> Entry:
        if isinstance(item, Entry):
            return item
        direction, time, session, index, form = self._compact.get(item)
        return Entry(direction, time, session, form, index)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, entry: Entry, size: int | None = None) -> None:
        """Append ``entry``; ``size`` is the length of its frame text when known."""
        if not self._items and self.client_headers and entry.client_headers is None:
            entry = dataclasses.replace(entry, client_headers=dict(self.client_headers))
        self._items.append(entry)
        if entry.direction == "client":
            self._client.append(entry)
        elif entry.direction == "server":
            self._server.append(entry)
        if entry.violation is not None:
            self._violations.append(entry)
        if size is None:
            size = len(entry.event) if isinstance(entry.event, str) else _ENTRY_OVERHEAD
        self.approx_bytes += _ENTRY_OVERHEAD + size

    def add_append(
        self, time: float, session: str, index: int, chars: int, size: int, event_id: str | None
    ) -> None:
        """Journal an accepted ``input_audio_buffer.append`` of ``chars`` base64 characters
        (``size`` bytes) compactly: the per-frame path of a live session."""
        position = self._compact.add_append(time, session, index, chars, size, event_id)
        self._keep(position, 0, self._client)

    def add_text(self, time: float, session: str, index: int, text: str) -> None:
        """Journal any other accepted client frame of strict JSON compactly, as its ``text``."""
        self._keep(self._compact.add_text(time, session, index, text), len(text), self._client)

    def add_sent(self, time: float, session: str, index: int, text: str) -> None:
        """Journal a server event without a violation compactly, as the ``text`` sent."""
        self._keep(self._compact.add_sent(time, session, index, text), len(text), self._server)

    def _keep(self, position: int, size: int, into: list[Entry | int]) -> None:
        """Keep the compact frame at ``position`` in ``into`` (its direction's list) too."""
        if self._items or not self.client_headers:
            self._items.append(position)
            into.append(position)
            self.approx_bytes += _COMPACT_BYTES + size
        else:  # the first entry carries the headers (its compact record stays unused)
            self.add(self._entry(position), _COMPACT_BYTES + size)

    def client(self) -> list[Entry]:
        return [self._entry(item) for item in self._client]

    def server(self) -> list[Entry]:
        return [self._entry(item) for item in self._server]

    def client_entry(self, index: int) -> Entry | None:
        """The client frame of ``index`` (its position among client frames), in O(1)."""
        return self._entry(self._client[index]) if 0 <= index < len(self._client) else None

    def connections(self) -> list[Entry]:
        """Connections the redirect saw (``mockrt.serve.redirect``), in order."""
        return [e for e in self._full_entries() if e.direction == "connection"]

    def received(self, event_type: str | None = None) -> list[Entry]:
        """Client frames, optionally only those of ``event_type``."""
        return [e for e in self.client() if event_type is None or e.type == event_type]

    def sent(self, event_type: str | None = None) -> list[Entry]:
        """Server frames, optionally only those of ``event_type``."""
        return [e for e in self.server() if event_type is None or e.type == event_type]

    def violations(self) -> list[Violation]:
        return [e.violation for e in self._violations if e.violation is not None]

    def violation_entries(self, start: int = 0) -> list[Entry]:
        """The entries that carry a violation, from the ``start``-th on, in O(new ones)."""
        return self._violations[start:]

    def assert_received(self, event_type: str, count: int | None = None) -> None:
        """Fail unless the client sent ``event_type`` (exactly ``count`` times when given)."""
        n = len(self.received(event_type))
        if count is None and n == 0:
            raise AssertionError(f"the client never sent {event_type!r}")
        if count is not None and n != count:
            raise AssertionError(f"the client sent {event_type!r} {n} times, expected {count}")

    def _full_entries(self) -> Iterator[Entry]:
        """Every entry but the compact ones (no violation, no connection among them)."""
        return (item for item in self._items if isinstance(item, Entry))

    def to_jsonl(self) -> str:
        lines = [e.to_line() + "\n" for e in self]
        return "".join(lines + [c.to_line() + "\n" for c in self.closes])


def read_jsonl(lines: Iterable[str]) -> Journal:
    """A journal (or a capture in the same format) read back from JSON Lines."""
    journal = Journal()
    counters = {"client": 0, "server": 0, "connection": 0}
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        direction = record["direction"]
        if "close" in record and "event" not in record:
            close = record["close"]
            journal.closes.append(
                CloseRecord(
                    direction=direction,
                    time=float(record.get("time", 0.0)),
                    session=str(record.get("session", "")),
                    code=int(close["code"]),
                    reason=str(close.get("reason", "")),
                )
            )
            continue
        violation = record.get("violation")
        audio = record.get("audio")
        journal.add(
            Entry(
                direction=direction,
                time=float(record.get("time", 0.0)),
                session=str(record.get("session", "")),
                event=record["event"],
                index=int(record.get("index", counters[direction])),
                violation=None
                if violation is None
                else Violation(
                    rule=violation["rule"],
                    code=violation.get("code"),
                    message=violation.get("message", ""),
                    client_index=violation.get("client_event", {}).get("index"),
                    client_type=violation.get("client_event", {}).get("type"),
                    client_event_id=violation.get("client_event", {}).get("event_id"),
                    text_status=violation.get("text_status"),
                ),
                audio=None
                if not isinstance(audio, dict)
                else AudioRef(str(audio["file"]), int(audio["offset"]), int(audio["length"])),
                client_headers=record.get("client_headers"),
            )
        )
        counters[direction] += 1
    return journal

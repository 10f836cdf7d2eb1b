"""The journal: every frame both ways, timestamped, and the rule each error enforced.

One JSON Lines record per frame: ``{"direction": "client"|"server", "time": <s since the session
began>, "session": "<sess id>", "event": <the frame as JSON, or its raw text>}`` plus ``index``
(per direction, from 0) and, on an error the mock sent, ``violation`` naming the client event that
caused it and the rule. Captures of live traffic use the same format. API keys are redacted.
Direction ``"connection"`` (session ``""``) records a connection the program opened elsewhere and
the redirect sent here: ``event`` is ``{"type": "mockrt.redirect", "url": <as the program asked>,
"to": ..., "library": ..., "action": "redirected"|"passed"|"blocked"}``; client()/server() skip it.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "Entry",
    "Journal",
    "Violation",
    "describe",
    "read_jsonl",
    "redact",
    "summarize",
]

# OpenAI secret keys (sk-…, sk-proj-…) and ephemeral keys (ek_…): keep a short prefix only.
_KEY = re.compile(r"\b(sk-|ek_)([A-Za-z0-9_\-]{4})[A-Za-z0-9_\-]{4,}")


def redact(text: str) -> str:
    """``text`` with API keys cut to their first characters: ``sk-abcd…``."""
    return _KEY.sub(lambda m: f"{m.group(1)}{m.group(2)}…", text)


@dataclass(frozen=True)
class Violation:
    """Which client event broke which rule, and the error it earned."""

    rule: str
    code: str | None
    message: str
    client_index: int | None
    client_type: str | None
    client_event_id: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "code": self.code,
            "message": self.message,
            "client_event": {
                "index": self.client_index,
                "type": self.client_type,
                "event_id": self.client_event_id,
            },
        }


@dataclass(frozen=True)
class Entry:
    direction: Literal["client", "server", "connection"]
    time: float
    session: str
    event: Any
    index: int
    violation: Violation | None = None

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
        return record

    def to_line(self) -> str:
        # ASCII escapes: a client may send lone surrogates, which UTF-8 files cannot hold.
        return redact(json.dumps(self.to_json(), separators=(",", ":")))


@dataclass
class Journal:
    """The frames of one session (or many, when read from a file)."""

    entries: list[Entry] = field(default_factory=list)

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def client(self) -> list[Entry]:
        return [e for e in self.entries if e.direction == "client"]

    def server(self) -> list[Entry]:
        return [e for e in self.entries if e.direction == "server"]

    def connections(self) -> list[Entry]:
        """Connections the redirect saw (``mockrt.serve.redirect``), in order."""
        return [e for e in self.entries if e.direction == "connection"]

    def received(self, event_type: str | None = None) -> list[Entry]:
        """Client frames, optionally only those of ``event_type``."""
        return [e for e in self.client() if event_type is None or e.type == event_type]

    def sent(self, event_type: str | None = None) -> list[Entry]:
        """Server frames, optionally only those of ``event_type``."""
        return [e for e in self.server() if event_type is None or e.type == event_type]

    def violations(self) -> list[Violation]:
        return [e.violation for e in self.entries if e.violation is not None]

    def assert_received(self, event_type: str, count: int | None = None) -> None:
        """Fail unless the client sent ``event_type`` (exactly ``count`` times when given)."""
        n = len(self.received(event_type))
        if count is None and n == 0:
            raise AssertionError(f"the client never sent {event_type!r}")
        if count is not None and n != count:
            raise AssertionError(f"the client sent {event_type!r} {n} times, expected {count}")

    def to_jsonl(self) -> str:
        return "".join(e.to_line() + "\n" for e in self.entries)


def read_jsonl(lines: Iterable[str]) -> Journal:
    """A journal (or a capture in the same format) read back from JSON Lines."""
    journal = Journal()
    counters = {"client": 0, "server": 0, "connection": 0}
    for line in lines:
        if not line.strip():
            continue
        record = json.loads(line)
        direction = record["direction"]
        violation = record.get("violation")
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
                ),
            )
        )
        counters[direction] += 1
    return journal


def summarize(event: Any) -> str:
    """One line naming a client frame and its key fields, for logs and reports."""
    if not isinstance(event, dict):
        text = str(event)
        return f"non-JSON frame {text[:60]!r}" if not text.startswith("<") else text
    kind = event.get("type")
    parts: list[str] = []
    session = event.get("session")
    if isinstance(session, dict):
        if "type" in session:
            parts.append(f"session.type={json.dumps(session['type'])}")
        for key in ("model", "tracing", "output_modalities"):
            if key in session:
                parts.append(f"{key}={json.dumps(session[key])}")
        audio = session.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("input"), dict):
            transcription = audio["input"].get("transcription")
            if isinstance(transcription, dict) and "model" in transcription:
                parts.append(f"transcription.model={json.dumps(transcription['model'])}")
    if event.get("event_id") is not None:
        parts.append(f"event_id={json.dumps(event['event_id'])}")
    name = kind if isinstance(kind, str) else "event without a valid type"
    return f"{name} ({', '.join(parts)})" if parts else str(name)


def describe(journal: Journal, session_id: str, intent: str, violation: Violation) -> str:
    """``session sess_x: client event #1 session.update (…) on a transcription session ->
    rejected (invalid_parameter)``, with API keys redacted."""
    if violation.client_index is None:
        return redact(f"session {session_id}: {violation.message} -> error ({violation.code})")
    client = journal.client()
    index = violation.client_index
    frame = client[index].event if index < len(client) else None
    return redact(
        f"session {session_id}: client event #{index + 1} {summarize(frame)} "
        f"on a {intent} session -> rejected ({violation.code})"
    )

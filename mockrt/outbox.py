"""The outbox: server events with due times, drained in order; journaled when drained.

Events are ordered by (due time, order of scheduling). Faults that drop, duplicate or delay an
event type are applied here, at scheduling time. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from mockrt.events import dump
from mockrt.journal import Entry, Journal, Violation

__all__ = ["Outbox"]


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    event: dict[str, Any] = field(compare=False)
    violation: Violation | None = field(compare=False, default=None)


class Outbox:
    """Scheduled server events of one session."""

    def __init__(self, journal: Journal, session_id: str) -> None:
        self._heap: list[_Scheduled] = []
        self._seq = 0
        self._journal = journal
        self._session_id = session_id
        self.sent_count = 0
        self.drop: set[str] = set()
        self.duplicate: set[str] = set()
        self.delay_ms: dict[str, float] = {}

    def schedule(self, event: BaseModel, due: float, violation: Violation | None = None) -> None:
        """Queue ``event`` to be sent at ``due`` seconds since the session began."""
        wire = dump(event)
        event_type = wire["type"]
        if event_type in self.drop:
            return
        due += self.delay_ms.get(event_type, 0.0) / 1000
        copies = 2 if event_type in self.duplicate else 1
        for _ in range(copies):
            self._seq += 1
            heapq.heappush(self._heap, _Scheduled(due, self._seq, wire, violation))

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None

    def pending(self) -> int:
        return len(self._heap)

    def drain(self, now: float) -> list[dict[str, Any]]:
        """Events due at ``now``, in order, journaled as sent."""
        out: list[dict[str, Any]] = []
        while self._heap and self._heap[0].due <= now:
            item = heapq.heappop(self._heap)
            stamp = now if now != float("inf") else item.due
            self._journal.add(
                Entry(
                    "server", stamp, self._session_id, item.event, self.sent_count, item.violation
                )
            )
            self.sent_count += 1
            out.append(item.event)
        return out

    def drain_all(self) -> list[dict[str, Any]]:
        """Every queued event regardless of due time (used when closing)."""
        return self.drain(float("inf"))

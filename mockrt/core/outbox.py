"""The outbox: server events with due times, drained in order as the text frames to send (strict
JSON, ``mockrt.core.scrub``), each journaled when drained: as that text, or, with a violation,
as a full entry.

Events are ordered by (due time, order of scheduling). A close marker (a scripted close fault)
stops the drain: nothing queued after it is sent. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from mockrt.core.journal import Entry, Journal, Violation
from mockrt.core.scrub import strict_json
from mockrt.core.wire import dump

__all__ = ["Outbox"]


@dataclass(order=True)
class _Scheduled:
    due: float
    seq: int
    event: dict[str, Any] | None = field(compare=False)  # None: a close marker
    violation: Violation | None = field(compare=False, default=None)
    close: tuple[int, str] | None = field(compare=False, default=None)


class Outbox:
    """Scheduled server events of one session."""

    def __init__(self, journal: Journal, session_id: str) -> None:
        self._heap: list[_Scheduled] = []
        self._seq = 0
        self._journal = journal
        self._session_id = session_id
        self.sent_count = 0
        self.close: tuple[int, str] | None = None  # set when a close marker was reached

    def schedule(
        self, event: BaseModel | dict[str, Any], due: float, violation: Violation | None = None
    ) -> None:
        """Queue ``event`` (a model, or its wire form) to be sent at ``due`` seconds since the
        session began."""
        self._seq += 1
        wire = dump(event) if isinstance(event, BaseModel) else event
        heapq.heappush(self._heap, _Scheduled(due, self._seq, wire, violation))

    def schedule_close(self, due: float, code: int, reason: str) -> None:
        """Close the socket once everything queued before this point has been sent."""
        self._seq += 1
        heapq.heappush(self._heap, _Scheduled(due, self._seq, None, None, (code, reason)))

    def next_due(self) -> float | None:
        return self._heap[0].due if self._heap else None

    def drain(self, now: float, limit: int | None = None) -> list[str]:
        """Events due at ``now`` (at most ``limit``), in order, as text; journaled as sent."""
        out: list[str] = []
        while self._heap and self._heap[0].due <= now and self.close is None:
            if limit is not None and len(out) >= limit:
                break
            item = heapq.heappop(self._heap)
            if item.event is None:
                self.close = item.close
                break
            text = strict_json(item.event)
            if item.violation is None:
                self._journal.add_sent(now, self._session_id, self.sent_count, text)
            else:  # an error's entry carries its violation (Journal.violations)
                self._journal.add(
                    Entry(
                        "server", now, self._session_id, item.event, self.sent_count, item.violation
                    )
                )
            self.sent_count += 1
            out.append(text)
        return out

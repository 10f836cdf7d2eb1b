"""Effects: what the audio and turn logic decides should happen, for the Session to schedule.

``Emit`` a server event after a delay, ``Reject`` a client event with an error, ``Fire`` a scripted
point fault. The logic returns them in order and never calls back into the Session (which owns
all scheduling). Must never import aiohttp or websockets, nor the session.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel

from mockrt.core.errors import ErrorDetail
from mockrt.core.journal import Violation
from mockrt.core.script import Close, InjectError

__all__ = ["ClientRef", "Effect", "Emit", "Fire", "Reject", "violation_of"]


@dataclass(slots=True)
class ClientRef:
    """The client event a server reaction belongs to (for error.event_id and the journal).

    Built for every client frame, so not frozen: a frozen dataclass's ``__init__`` sets each
    field through ``object.__setattr__`` and costs ~8x as much (docs/perf-notes.md). Treat it
    as immutable all the same.
    """

    index: int | None
    type: str | None
    event_id: str | None


@dataclass(frozen=True)
class Emit:
    """Send ``event`` ``delay_ms`` from now (``turn``: the turn it belongs to, for faults)."""

    event: BaseModel
    delay_ms: float = 0.0
    turn: int | None = None


@dataclass(frozen=True)
class Reject:
    """Answer the client event ``ref`` with the ``error`` event for ``detail``."""

    detail: ErrorDetail
    ref: ClientRef


@dataclass(frozen=True)
class Fire:
    """Carry out a scripted point fault ``at_ms`` from now; an injected error is sent with
    ``event_id`` (made when the turn reached the fault, so ids follow the live order)."""

    fault: InjectError | Close
    at_ms: float
    event_id: str | None


Effect = Emit | Reject | Fire


def violation_of(detail: ErrorDetail, ref: ClientRef) -> Violation:
    """What the journal keeps of the refusal of the client event ``ref`` for ``detail``."""
    return Violation(
        detail.rule.value,
        detail.code,
        detail.message,
        ref.index,
        ref.type,
        ref.event_id,
        detail.status.value,
    )

"""Session states and the TRANSITIONS table; nothing else.

A session is OPEN from the handshake (``session.created`` is its first frame) until it is closed.
CLOSING means the server decided to close (session expired, a scripted close fault): the
remaining frames are flushed, then the socket closes. Client frames that
arrive while CLOSING are journaled but not answered. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CLIENT_INPUTS", "SERVER_INPUTS", "State", "TRANSITIONS", "next_state"]


class State(StrEnum):
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


# What can happen to a session: a client frame, or a server-side decision.
CLIENT_INPUTS = ("text_frame", "binary_frame")
SERVER_INPUTS = ("expire", "close_fault", "close")

TRANSITIONS: dict[State, dict[str, State]] = {
    State.OPEN: {
        "text_frame": State.OPEN,
        "binary_frame": State.OPEN,
        "expire": State.CLOSING,
        "close_fault": State.CLOSING,
        "close": State.CLOSED,
    },
    State.CLOSING: {
        "text_frame": State.CLOSING,
        "binary_frame": State.CLOSING,
        "close": State.CLOSED,
    },
    State.CLOSED: {},
}


def next_state(state: State, event: str) -> State | None:
    """The state after ``event``, or None when ``event`` is not allowed in ``state``."""
    return TRANSITIONS[state].get(event)

"""The journal's store of accepted appends: numbers in arrays, nothing the garbage collector
tracks (issue 15).

A live session journals every ``input_audio_buffer.append`` (``Journal.add_append``). Kept as a
tuple, each one was a new object the collector tracks until its next pass: one survivor per
frame, which made four in five of the collector's passes during a stream (105 against 26
young-generation passes over 60,000 frames, and 9 against 2 middle-generation passes of 2-4 ms
each). Here an append is four numbers appended to arrays and two references appended to lists;
the journal keeps its position (an ``int``, untracked too) and reads it back as the same fields.
No I/O, no clocks. Must never import aiohttp or websockets.
"""

from __future__ import annotations

from array import array

__all__ = ["AppendFields", "AppendLog"]

# (time, session, index, base64 chars, bytes, event_id): what an accepted append keeps
AppendFields = tuple[float, str, int, int, int, str | None]


class AppendLog:
    """Accepted appends of one journal, in the order added; ``add`` returns the position."""

    __slots__ = ("_chars", "_event_ids", "_indices", "_sessions", "_sizes", "_times")

    def __init__(self) -> None:
        self._times = array("d")
        self._indices = array("q")
        self._chars = array("q")
        self._sizes = array("q")
        self._sessions: list[str] = []  # the session's own id object: no new object per append
        self._event_ids: list[str | None] = []

    def add(
        self, time: float, session: str, index: int, chars: int, size: int, event_id: str | None
    ) -> int:
        position = len(self._times)
        self._times.append(time)
        self._indices.append(index)
        self._chars.append(chars)
        self._sizes.append(size)
        self._sessions.append(session)
        self._event_ids.append(event_id)
        return position

    def get(self, position: int) -> AppendFields:
        return (
            self._times[position],
            self._sessions[position],
            self._indices[position],
            self._chars[position],
            self._sizes[position],
            self._event_ids[position],
        )

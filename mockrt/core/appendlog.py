"""The journal's compact store of frames: numbers in arrays and strings in lists, nothing the
garbage collector tracks (issue 15). It keeps accepted client frames and the server events sent
without a violation.

A live session journals every frame it gets. Kept as a tuple, each accepted
``input_audio_buffer.append`` was a new object the collector tracks until its next pass: one
survivor per frame, which made four in five of the collector's passes during a stream (105
against 26 young-generation passes over 60,000 frames, and 9 against 2 middle-generation passes
of 2-4 ms each). Here an append is four numbers appended to arrays and two references appended to
lists. Any other accepted frame of strict JSON (a ``session.update``, a commit) is kept as its
text: parsed, a ``session.update`` was seven dicts and a list that all survived, and made a
young-generation pass every 40 or so round trips; a string is not tracked at all. The server's
events are kept as the text that was sent: kept as dicts in Entries, every spoken turn's events
left 57 objects for the collector (12 Entries, 24 dicts, 21 lists: 5,710 after 100 turns,
against 10 now) and took ~530 bytes more per event (tracemalloc). The journal keeps a frame's
position (an ``int``, untracked too) and ``get`` rebuilds the frame's journal form when it is
read: ``scrub.append_form`` of an append, the parsed text of any other frame.
No I/O, no clocks. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import json
from array import array
from typing import Any, Literal

from mockrt.core.scrub import append_form

__all__ = ["FrameLog"]

# in ``_chars``, where an append keeps its base64 characters: the frame is kept as its text (in
# ``_extras``), a client's or a server's
_TEXT, _SENT = -1, -2


class FrameLog:
    """Frames of one journal, in the order added; each ``add_*`` returns the frame's position."""

    __slots__ = ("_chars", "_extras", "_indices", "_sessions", "_sizes", "_times")

    def __init__(self) -> None:
        self._times = array("d")
        self._indices = array("q")
        self._chars = array("q")  # an append's base64 characters, or _TEXT or _SENT
        self._sizes = array("q")  # an append's bytes, or the text's characters
        self._sessions: list[str] = []  # the session's own id object: no new object per frame
        self._extras: list[str | None] = []  # an append's event_id, or the frame's text

    def add_append(
        self, time: float, session: str, index: int, chars: int, size: int, event_id: str | None
    ) -> int:
        """An ``input_audio_buffer.append`` of ``chars`` base64 characters (``size`` bytes)."""
        position = len(self._times)
        self._times.append(time)
        self._indices.append(index)
        self._chars.append(chars)
        self._sizes.append(size)
        self._sessions.append(session)
        self._extras.append(event_id)
        return position

    def add_text(self, time: float, session: str, index: int, text: str) -> int:
        """Any other accepted client frame, as its ``text`` of strict JSON."""
        return self.add_append(time, session, index, _TEXT, len(text), text)

    def add_sent(self, time: float, session: str, index: int, text: str) -> int:
        """A server event, as the ``text`` of strict JSON that was sent."""
        return self.add_append(time, session, index, _SENT, len(text), text)

    def get(self, position: int) -> tuple[Literal["client", "server"], float, str, int, Any]:
        """(direction, time, session, index, journal form) of the frame at ``position``."""
        chars, extra = self._chars[position], self._extras[position]
        if chars < 0:
            assert extra is not None
            form = json.loads(extra)
        else:
            form = append_form(chars, self._sizes[position], extra)
        direction: Literal["client", "server"] = "server" if chars == _SENT else "client"
        at, session, index = (
            self._times[position],
            self._sessions[position],
            self._indices[position],
        )
        return direction, at, session, index, form

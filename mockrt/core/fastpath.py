"""The append fast path: one msgspec decode parses, validates and base64-decodes an
``input_audio_buffer.append``, nearly every frame a session gets (issue 15).

The full path (``mockrt.core.validation.parse_client_text``, then ``decode_base64``) parses
with pydantic and decodes the base64 in a second pass: about 1.8 + 3 µs for a 20 ms append, where
msgspec does both in one pass in about 1.5 µs (docs/perf-notes.md). This path only ever
*accepts*: a frame it refuses (another event type, an unknown or missing key, a wrong type,
base64 that is not canonical, JSON it cannot read) goes to the full path, which words the error
as the live API does. It accepts no frame the full path would refuse, and yields the same audio,
``event_id`` and base64 length (tests/test_fastpath.py checks both with hypothesis).

``strict_object`` tells whether any other frame is strict JSON, with msgspec's strict parser.
msgspec is imported with the first frame that needs it (or the warm-up after the ready line),
not with ``mockrt serve``'s start-up. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, Literal, Protocol

__all__ = ["FastAppend", "b64_chars", "decode_append", "strict_object"]


class FastAppend(Protocol):
    """An accepted append: its decoded audio and its ``event_id``."""

    @property
    def audio(self) -> bytes: ...

    @property
    def event_id(self) -> str | None: ...


def b64_chars(size: int) -> int:
    """The length of the base64 text of an append of ``size`` bytes that the fast path took: it
    takes only canonical, padded base64."""
    return (size + 2) // 3 * 4


_APPEND = "input_audio_buffer.append"  # an escaped spelling goes to the full path, which takes it


@functools.cache
def _decoder() -> Callable[[str], Any]:
    import msgspec

    class Append(msgspec.Struct, forbid_unknown_fields=True):
        # the same keys as mockrt.core.client_events.InputAudioBufferAppend; ``bytes``: msgspec
        # decodes the base64 while it reads the JSON
        type: Literal["input_audio_buffer.append"]
        audio: bytes
        event_id: str | None = None

    return msgspec.json.Decoder(Append).decode


def decode_append(text: str) -> FastAppend | None:
    """The append ``text`` carries, or None when the full path must judge the frame."""
    if _APPEND not in text:  # any other event: a substring scan instead of a refused decode
        return None
    try:
        event: FastAppend = _decoder()(text)
    except ValueError:  # msgspec.DecodeError (and ValidationError), or a lone surrogate
        return None
    return event


@functools.cache
def _strict_decoder() -> Callable[[str], Any]:
    import msgspec

    return msgspec.json.Decoder().decode


def strict_object(text: str) -> dict[str, Any] | None:
    """The JSON object ``text`` holds when it is strict JSON, else None. msgspec refuses what
    Python's ``json`` reads but JSON does not have: ``NaN``, ``Infinity``, a number that
    overflows a float (``1e400``) and a lone surrogate escape. So an object this returns holds
    no non-finite number anywhere, and ``json.loads`` reads the same object from the same text
    (tests/test_fastpath.py): a frame whose text passes is journaled as that text and parsed
    again only when the journal is read (``mockrt.core.appendlog``). About 3 µs for a 476-byte
    ``session.update``."""
    try:
        value = _strict_decoder()(text)
    except ValueError:  # msgspec.DecodeError
        return None
    return value if isinstance(value, dict) else None

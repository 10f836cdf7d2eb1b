"""Identifiers: live-like random ids for serving, counters for tests.

Owns the id formats of protocol.md §7. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import os
import secrets
import string
import threading
from collections import Counter
from typing import Protocol

__all__ = ["CountingIds", "Ids", "RandomIds"]

_BASE62 = string.digits + string.ascii_uppercase + string.ascii_lowercase
# protocol.md §7: sess_ + 21 base62 (seen live); event_/item_ lengths UNCONFIRMED, same assumed.
_LIVE_ID_LENGTH = 21


class Ids(Protocol):
    """Makes the ids a session puts on the wire."""

    def make(self, prefix: str) -> str:
        """A new id such as ``event_…``, ``item_…`` or ``sess_…``."""
        ...

    def ephemeral_key(self) -> str:
        """A new client secret value, ``ek_`` + 32 hex digits."""
        ...


class RandomIds:
    """Live-looking ids: prefix + 21 base62 characters; keys ``ek_`` + 32 lowercase hex."""

    def make(self, prefix: str) -> str:
        return prefix + "_" + _POOL.take(_LIVE_ID_LENGTH)

    def ephemeral_key(self) -> str:
        # protocol.md §7: ek_68af296e8e408191a1120ab6383263c2 (32 lowercase hex)
        return "ek_" + secrets.token_hex(16)


class _Base62Pool:
    """Base62 characters from the OS generator, read 4 KiB at a time: one read per ~190 ids
    instead of one per id (a read and a list of 21 characters were ~5 µs of every event a
    server sends). Byte values 248-255 are dropped and the rest map to ``b % 62``, so every
    character is equally likely. Threads share it under a lock (a test process may run mock
    servers in threads), and a forked worker starts a pool of its own (``reset`` runs in the
    child, with a new lock), so no two servers ever hand out the same ids."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._chars, self._at, self._lock = "", 0, threading.Lock()

    def take(self, n: int) -> str:
        with self._lock:
            at = self._at
            if at + n > len(self._chars):
                raw = secrets.token_bytes(_POOL_BYTES).translate(_TO_BASE62, _UNEVEN)
                self._chars, at = raw.decode("ascii"), 0  # ~3,870 characters
            self._at = at + n
            return self._chars[at : at + n]


_POOL_BYTES = 4096
_TO_BASE62 = bytes.maketrans(bytes(range(248)), (_BASE62 * 4).encode("ascii"))
_UNEVEN = bytes(range(248, 256))  # 248 = 4 x 62: only the values below map evenly
_POOL = _Base62Pool()
os.register_at_fork(after_in_child=_POOL.reset)


class CountingIds:
    """Deterministic ids for tests: ``event_0001``, ``item_0001``, ``sess_0001``, ``ek_…0001``."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def make(self, prefix: str) -> str:
        self._counts[prefix] += 1
        return f"{prefix}_{self._counts[prefix]:04d}"

    def ephemeral_key(self) -> str:
        self._counts["ek"] += 1
        return f"ek_{self._counts['ek']:032x}"

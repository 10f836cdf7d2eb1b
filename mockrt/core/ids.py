"""Identifiers: live-like random ids for serving, counters for tests.

Owns the id formats of protocol.md §7. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import secrets
import string
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
        # One read of the OS generator per id (secrets.choice per character made 21 syscalls, a
        # measurable share of every turn's cost). 62 does not divide 256: the first 248 byte
        # values map evenly, the rest are drawn again.
        chars: list[str] = []
        while len(chars) < _LIVE_ID_LENGTH:
            chars += [_BASE62[b % 62] for b in secrets.token_bytes(_LIVE_ID_LENGTH) if b < 248]
        return prefix + "_" + "".join(chars[:_LIVE_ID_LENGTH])

    def ephemeral_key(self) -> str:
        # protocol.md §7: ek_68af296e8e408191a1120ab6383263c2 (32 lowercase hex)
        return "ek_" + secrets.token_hex(16)


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

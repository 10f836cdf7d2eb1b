"""What one mock server knows: its configuration, its sessions, its journal file.

``ServerConfig`` is what ``mockrt serve`` and the test fixtures configure; ``ServerState`` hangs on
the aiohttp application under ``STATE``, where the adapter (``mockrt.serve.server``) and the
inspector read it. No protocol behaviour here, so both can import it without importing each other.

Memory (issue 14): finished sessions are kept up to ``max_sessions`` and ``max_journal_bytes``.
A session is a reference cycle, so a dropped one waits for the garbage collector; ``release``
runs a collection and, on glibc, ``malloc_trim(0)`` (glibc keeps freed heap pages otherwise:
~2.7 MiB after a 100,000-frame flood, ~0.7 MiB after 2,000 sessions, measured with
``bench/soak.py``). It runs once per ``_COLLECT_AFTER_BYTES`` of dropped journals, and when the
last open session closes after ``_IDLE_RELEASE_BYTES`` were dropped; it is scheduled after the
closing handler has returned, so that the handler's own session is garbage by then. What stays
above the start after many sessions is CPython's small-object allocator keeping its arenas at
the high-water mark of the concurrent sessions (reused, not grown, by later sessions; README,
Reliability).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Literal

from aiohttp import web

from mockrt.core.handshake import KeyStore
from mockrt.core.ids import Ids, RandomIds
from mockrt.core.options import Options
from mockrt.core.session import Session
from mockrt.core.transcriber import Transcriber

__all__ = ["STATE", "Live", "ServerConfig", "ServerState", "serving_gc"]


@dataclass
class ServerConfig:
    """What ``mockrt serve`` and the test fixtures configure."""

    options: Options = field(default_factory=Options)
    api_keys: frozenset[str] | None = None  # None: any sk-… key
    journal_path: Path | None = None
    ids: Callable[[], Ids] = RandomIds
    transcriber: Callable[[], Transcriber] | None = None
    persona: Literal["ga", "beta"] = "ga"
    speed: float = 1.0  # 0: as fast as possible
    # 15 MiB of audio is 20 MiB of base64; larger frames are closed with 1009 by aiohttp.
    max_frame_bytes: int = 32 * 1024 * 1024
    wall_clock: Callable[[], float] = time.time
    # Finished sessions kept for the inspector and fixtures (the newest; journal_path has all).
    max_sessions: int = 100
    max_journal_bytes: int = 16 * 1024 * 1024  # approximate memory of the kept journals


@dataclass
class Live:
    """An open connection: its session, its socket, how much of its journal is written."""

    session: Session
    ws: web.WebSocketResponse
    logged: int = 0  # journal entries already written to the journal file
    violations_logged: int = 0  # violations already logged


@dataclass
class ServerState:
    """What one server knows while it runs (under ``STATE`` on the application)."""

    config: ServerConfig
    keys: KeyStore
    ids: Ids
    live: dict[str, Live] = field(default_factory=dict)
    finished: deque[Session] = field(default_factory=deque)
    finished_bytes: int = 0
    dropped: int = 0  # finished sessions dropped to stay within the limits
    journal_file: IO[str] | None = None
    _uncollected: int = 0  # approximate bytes dropped since the last release
    _release_pending: bool = False
    releases: int = 0  # how many times ``release`` ran (tests, bench)

    def keep_finished(self, session: Session) -> None:
        """Keep ``session``; drop the oldest kept ones beyond the count and byte limits.

        Called by the connection handler that owned ``session`` while it still holds it; the
        release this may schedule runs after that handler has returned."""
        self.finished.append(session)
        self.finished_bytes += session.journal.approx_bytes
        limits = self.config
        while self.finished and (
            len(self.finished) > limits.max_sessions
            or self.finished_bytes > limits.max_journal_bytes
        ):
            old = self.finished.popleft()
            self.finished_bytes -= old.journal.approx_bytes
            self._uncollected += old.journal.approx_bytes
            self.dropped += 1
        idle_after_drop = not self.live and self._uncollected >= _IDLE_RELEASE_BYTES
        if (self._uncollected >= _COLLECT_AFTER_BYTES or idle_after_drop) and not (
            self._release_pending
        ):
            self._release_pending = True
            try:
                asyncio.get_running_loop().call_soon(self.release)
            except RuntimeError:  # no loop (a direct call): release now
                self.release()

    def forget_finished(self) -> int:
        """Forget every finished session (``POST /mockrt/reset``); how many there were."""
        count = len(self.finished)
        self._uncollected += self.finished_bytes
        self.finished.clear()
        self.finished_bytes = 0
        return count

    def release(self) -> None:
        """Collect dropped sessions (reference cycles) and hand freed heap pages back to the
        system where the C library keeps them (glibc ``malloc_trim``)."""
        self._release_pending = False
        self._uncollected = 0
        self.releases += 1
        gc.collect()
        trim = _malloc_trim()
        if trim is not None:
            trim(0)


_COLLECT_AFTER_BYTES = 8 * 1024 * 1024
# When the last open session closes, release if at least this much was dropped since the last
# release (a full collection per few dozen short sessions at most, never per session).
_IDLE_RELEASE_BYTES = 256 * 1024


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None elsewhere (musl, macOS, Windows: nothing to call). Looked
    up on the first release, not at import (``ctypes.util.find_library`` runs ``ldconfig``)."""
    import ctypes
    import ctypes.util
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return None
    try:
        trim: Callable[[int], int] = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")[
            "malloc_trim"
        ]
    except (OSError, AttributeError):  # pragma: no cover - a glibc without it
        return None
    return trim


STATE = web.AppKey("mockrt_state", ServerState)


# Full passes of the garbage collector stall the event loop that paces every stream (~1 µs per
# tracked object here, tens of ms per pass: docs/perf-notes.md): considered after 100 passes of
# the middle generation instead of 10, so cyclic garbage waits longer (still bounded).
_FULL_PASS_AFTER = 100


def serving_gc() -> None:
    """The garbage collector as a long-running server wants it, for this process only (never
    for a test process that runs a mock in-process): everything built so far (modules, schemas,
    the app) lives as long as the process, so it is frozen out of the full passes, and full
    passes come ten times less often. ``mockrt serve`` calls it after its ready line,
    ``--workers N`` before forking."""
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, _FULL_PASS_AFTER)

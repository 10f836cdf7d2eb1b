"""What one mock server knows: its configuration, its sessions, its journal file.

``ServerConfig`` is what ``mockrt serve`` and the test fixtures configure; ``ServerState`` hangs on
the aiohttp application under ``STATE``, where the adapter (``mockrt.serve.server``) and the
inspector read it. No behaviour here, so both can import it without importing each other.
"""

from __future__ import annotations

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

__all__ = ["STATE", "Live", "ServerConfig", "ServerState"]


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
    session: Session
    ws: web.WebSocketResponse
    logged: int = 0  # journal entries already written / logged


@dataclass
class ServerState:
    config: ServerConfig
    keys: KeyStore
    ids: Ids
    live: dict[str, Live] = field(default_factory=dict)
    finished: deque[Session] = field(default_factory=deque)
    finished_bytes: int = 0
    dropped: int = 0  # finished sessions dropped to stay within the limits
    journal_file: IO[str] | None = None
    _uncollected: int = 0  # approximate bytes dropped since the last garbage collection

    def keep_finished(self, session: Session) -> None:
        """Keep ``session``; drop the oldest kept ones beyond the count and byte limits."""
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
        if self._uncollected >= _COLLECT_AFTER_BYTES:
            # A session is a reference cycle (its audio and turns point back at it): without a
            # collection an idle server would hold a dropped journal until the next allocations.
            self._uncollected = 0
            gc.collect()


_COLLECT_AFTER_BYTES = 8 * 1024 * 1024


STATE = web.AppKey("mockrt_state", ServerState)

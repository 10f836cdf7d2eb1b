"""The drivers' one interface: where a client connects (``Target``), what it hears (``Audio``),
what its application does (``Plan``), and what that application saw (``ClientRun``, built by a
``Recorder``).

A driver is a module with ``NAME``, ``LIBRARY``, ``SUMMARY`` and
``async def run(target: Target, audio: Audio, plan: Plan) -> ClientRun``; it imports its client
library inside ``run()``, so an import failure becomes an UNIMPLEMENTED run (see
``conformance.clients.run_client``), never a skipped driver.
Must never import a client library (openai, agents, livekit, pipecat) or mockrt's server.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

__all__ = [
    "Audio",
    "ClientRun",
    "DriverModule",
    "Plan",
    "Problem",
    "Recorder",
    "Target",
    "Transcript",
]

SAMPLE_RATE = 24_000  # audio/pcm: 24 kHz s16le mono, 48 000 bytes a second (docs/protocol.md §7)
BYTES_PER_MS = SAMPLE_RATE * 2 // 1000


@dataclass(frozen=True)
class Target:
    """Where a client connects: the REST base (``http(s)://host/v1``, the openai SDK's
    ``base_url``), the WebSocket base (``ws(s)://host/v1``) and the key.

    ``redirect``, when set, makes a context manager (plain or async) that sends a program's
    traffic for api.openai.com to this target while it is open, e.g.
    ``lambda: mockrt_redirect(server)`` (mockrt.serve.redirect); drivers for libraries that
    treat api.openai.com specially (LiveKit) then keep the library's default host instead of
    pointing it at ``http_base``."""

    name: str
    http_base: str
    ws_base: str
    api_key: str
    redirect: (
        Callable[[], AbstractContextManager[Any] | AbstractAsyncContextManager[Any]] | None
    ) = None

    @classmethod
    def mock(cls, server: Any, *, name: str = "mock") -> Target:
        """A running ``mockrt.testing.MockRealtimeServer`` (or anything with ``http_url``,
        ``ws_base_url`` and ``api_key``)."""
        return cls(name, str(server.http_url), str(server.ws_base_url), str(server.api_key))

    @classmethod
    def live(cls, api_key: str) -> Target:
        return cls("live", "https://api.openai.com/v1", "wss://api.openai.com/v1", api_key)

    @classmethod
    def from_endpoint(cls, name: str, endpoint: Any) -> Target:
        """From the suite's ``conformance.targets.Endpoint`` (``ws_base`` and ``http_base``
        without ``/v1``, and ``key``), so the matrix drives clients where it runs cases."""
        return cls(
            name,
            f"{endpoint.http_base.rstrip('/')}/v1",
            f"{endpoint.ws_base.rstrip('/')}/v1",
            str(endpoint.key),
        )

    @property
    def transcription_url(self) -> str:
        """The GA transcription endpoint, ``…/v1/realtime?intent=transcription``."""
        return f"{self.ws_base}/realtime?intent=transcription"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}


@dataclass(frozen=True)
class Audio:
    """What the client hears: ``pcm`` is 24 kHz s16le mono (``audio/pcm``), sent in chunks of
    ``chunk_ms``. ``pace`` 1.0 sends at real time, 0 as fast as the client takes it."""

    pcm: bytes
    name: str = "audio"
    chunk_ms: int = 100
    pace: float = 0.0

    @property
    def duration_ms(self) -> float:
        return len(self.pcm) / BYTES_PER_MS

    def chunks(self) -> list[bytes]:
        size = max(2, self.chunk_ms * BYTES_PER_MS)
        return [self.pcm[i : i + size] for i in range(0, len(self.pcm), size)]

    async def stream(self) -> AsyncIterator[bytes]:
        """The chunks, paced; yields to the loop between chunks even at pace 0."""
        started = time.monotonic()
        sent_ms = 0.0
        for chunk in self.chunks():
            yield chunk
            sent_ms += len(chunk) / BYTES_PER_MS
            ahead = sent_ms * self.pace / 1000 - (time.monotonic() - started)
            await asyncio.sleep(max(0.0, ahead))


@dataclass(frozen=True)
class Plan:
    """What the application does around the library: the transcription model and language it
    configures, how many final transcripts it waits for, and when it gives up: ``idle_s`` with
    nothing new, or ``timeout_s`` in all.

    ``model`` and ``language`` reach every driver but the RealtimeRunner ones (the runner
    configures its own session; the intent driver mints its key with them). ``turn_detection``
    reaches raw-ga, raw-beta and openai-sdk; the libraries keep their own (agents voice:
    semantic_vad; LiveKit: server_vad; pipecat: per driver)."""

    turns: int = 2
    model: str = "gpt-4o-transcribe"
    language: str | None = "en"
    turn_detection: Literal["server_vad", "semantic_vad", "none"] = "server_vad"
    idle_s: float = 1.5
    timeout_s: float = 15.0


@dataclass(frozen=True)
class Transcript:
    text: str
    at_s: float  # seconds since the run started
    item_id: str | None = None


@dataclass(frozen=True)
class Problem:
    """An error event handed to the application, or an exception raised into it."""

    code: str | None  # the error code, or the exception's type name
    message: str
    at_s: float


@dataclass
class ClientRun:
    """What the application saw, in the order it saw it. ``unimplemented`` holds the reason
    the driver could not run (its library does not import): the verdict UNIMPLEMENTED."""

    client: str
    target: str
    finals: list[Transcript] = field(default_factory=list)
    interim: list[Transcript] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    exceptions: list[Problem] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    closed: str | None = None  # how the connection ended when the application noticed
    unimplemented: str | None = None

    @property
    def transcripts(self) -> list[str]:
        return [t.text for t in self.finals]

    @property
    def error_messages(self) -> list[str]:
        return [p.message for p in self.errors]

    def summary(self) -> str:
        """One line: ``raw-ga on mock: 2 transcripts, 0 errors, 0 exceptions``."""
        if self.unimplemented is not None:
            return f"{self.client} on {self.target}: UNIMPLEMENTED ({self.unimplemented})"
        return (
            f"{self.client} on {self.target}: {len(self.finals)} transcripts, "
            f"{len(self.errors)} errors, {len(self.exceptions)} exceptions"
        )


class DriverModule(Protocol):
    """What ``conformance.clients`` finds in a driver module."""

    NAME: str
    LIBRARY: str
    SUMMARY: str

    async def run(self, target: Target, audio: Audio, plan: Plan) -> ClientRun: ...


class Recorder:
    """Stamps what the application sees with the time since the run started, and lets the
    application wait for it: ``await rec.settle(plan)`` returns once ``plan.turns`` finals
    arrived, the connection ended, or nothing new came for ``plan.idle_s`` after the audio."""

    def __init__(self, client: str, target: Target) -> None:
        self.run = ClientRun(client, target.name)
        self._started = time.monotonic()
        self._changed = asyncio.Event()

    def now(self) -> float:
        return round(time.monotonic() - self._started, 4)

    def _touch(self) -> None:
        self._changed.set()

    def mark(self, name: str) -> None:
        """Record a moment once (the first time it happens): ``connected``, ``audio_done``…"""
        self.run.timings.setdefault(name, self.now())
        self._touch()

    def final(self, text: str, item_id: str | None = None) -> None:
        self.run.finals.append(Transcript(text, self.now(), item_id))
        self.run.timings.setdefault("first_final", self.now())
        self._touch()

    def interim(self, text: str, item_id: str | None = None) -> None:
        self.run.interim.append(Transcript(text, self.now(), item_id))
        self.run.timings.setdefault("first_interim", self.now())
        self._touch()

    def error(self, code: str | None, message: str) -> None:
        self.run.errors.append(Problem(code, message, self.now()))
        self._touch()

    def exception(self, exc: BaseException) -> None:
        self.run.exceptions.append(Problem(type(exc).__name__, str(exc), self.now()))
        self._touch()

    def closed(self, how: str) -> None:
        if self.run.closed is None:
            self.run.closed = how
            self.mark("closed")

    def note(self, text: str) -> None:
        self.run.notes.append(text)

    def seen(self) -> None:
        """Any other event the application was handed (it only restarts the idle wait)."""
        self._touch()

    def done(self, plan: Plan) -> bool:
        """``plan.turns`` different finals arrived (a duplicated one counts once), or the
        connection ended."""
        distinct = {(t.item_id, t.text) for t in self.run.finals}
        return len(distinct) >= plan.turns or self.run.closed is not None

    async def settle(self, plan: Plan, extra: Callable[[], bool] | None = None) -> None:
        """Wait, bounded by ``plan.timeout_s`` from the start, until ``done`` (or ``extra()``),
        or until ``plan.idle_s`` passed with nothing new."""
        deadline = self._started + plan.timeout_s
        while not (self.done(plan) or (extra is not None and extra())):
            remaining = min(plan.idle_s, deadline - time.monotonic())
            if remaining <= 0:
                self.note(f"gave up after {plan.timeout_s} s")
                return
            self._changed.clear()
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                if time.monotonic() < deadline:
                    self.note(f"nothing new for {plan.idle_s} s; stopped waiting")
                else:
                    self.note(f"gave up after {plan.timeout_s} s")
                return

    async def poll(self, predicate: Callable[[], bool], timeout_s: float) -> bool:
        """Check ``predicate`` every 10 ms for at most ``timeout_s``: for state a library keeps
        to itself rather than reporting as an event."""
        deadline = time.monotonic() + timeout_s
        while not predicate():
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.01)
        return True

    def finish(self) -> ClientRun:
        self.mark("finished")
        return self.run

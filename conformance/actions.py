"""The vocabulary between the case runner and a driver, sans-I/O: the actions the runner yields
(connect, send, receive, close, sleep, an HTTP call), the replies a driver sends back, and the
``Outcome`` of one run. Must never import websockets, aiohttp or asyncio.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from conformance import audio
from conformance.matching import Bindings

__all__ = [
    "Action",
    "Close",
    "Connect",
    "Handshake",
    "Http",
    "HttpReply",
    "Outcome",
    "Receive",
    "Received",
    "Reply",
    "Send",
    "Sleep",
]


@dataclass(frozen=True)
class Connect:
    """Open the WebSocket: ``auth`` is ``key`` (the target's), ``none``, ``invalid``,
    ``subprotocol`` (the key as ``openai-insecure-api-key.KEY``) or a literal key."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    subprotocols: tuple[str, ...]
    auth: str


@dataclass(frozen=True)
class Send:
    text: str | None = None
    data: bytes | None = None


@dataclass(frozen=True)
class Receive:
    timeout_s: float


@dataclass(frozen=True)
class Close:
    code: int = 1000


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Http:
    method: str
    path: str
    body: Any
    auth: str


Action = Connect | Send | Receive | Close | Sleep | Http


@dataclass(frozen=True)
class Handshake:
    """The upgrade's answer: 101 when the socket opened, else the HTTP status and JSON body."""

    status: int
    body: Any = None
    subprotocol: str | None = None


@dataclass(frozen=True)
class Received:
    """What a ``Receive`` got: a frame, the close (``code``, ``reason``), or nothing in time."""

    kind: Literal["text", "binary", "close", "timeout"]
    text: str = ""
    code: int | None = None
    reason: str = ""
    time: float = 0.0


@dataclass(frozen=True)
class HttpReply:
    status: int
    body: Any


Reply = Handshake | Received | HttpReply | None


@dataclass
class Outcome:
    """How one run of a case's steps went."""

    passed: bool
    mismatch: str = ""
    step: int | None = None
    wire: list[dict[str, Any]] = field(default_factory=list)
    bindings: Bindings = field(default_factory=dict)
    audio_bytes: dict[str, int] = field(default_factory=dict)
    refused: bool = False  # the (first) handshake was refused when the case expected an upgrade

    @property
    def audio_seconds(self) -> float:
        return sum(n / audio.BYTES_PER_SECOND[f] for f, n in self.audio_bytes.items())

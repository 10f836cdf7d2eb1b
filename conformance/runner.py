"""The case runner, sans-I/O: a generator that yields actions (connect, send, receive, close, an
HTTP call) and is sent back what happened; it returns an ``Outcome`` (passed or the first
mismatch, the wire log both ways, the audio it sent). A driver (``conformance.driver``) does
the I/O; tests drive it with canned replies. Must never import websockets, aiohttp or asyncio.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Generator, Mapping
from typing import Any

from conformance import audio
from conformance.actions import (
    Action,
    Close,
    Connect,
    Handshake,
    Http,
    HttpReply,
    Outcome,
    Receive,
    Received,
    Reply,
    Send,
    Sleep,
)
from conformance.casefile import Case
from conformance.matching import match, substitute

__all__ = [
    "DEFAULT_TIMEOUT_MS",
    "audio_seconds",
    "case_steps",
    "run_steps",
    "step_label",
]

DEFAULT_TIMEOUT_MS = 10_000  # live: commit -> completed takes 0.5-0.8 s (docs/protocol.md §7)
_ACTIONS = (
    "connect",
    "handshake",
    "send",
    "send_raw",
    "send_binary",
    "audio",
    "expect",
    "quiet",
    "expect_close",
    "wait",
    "close",
    "http",
)


class _Failed(Exception):
    def __init__(self, step: int | None, reason: str) -> None:
        super().__init__(reason)
        self.step, self.reason = step, reason


def _action_of(step: Mapping[str, Any]) -> str:
    return next(k for k in step if k in _ACTIONS)


def case_steps(case: Case, steps: tuple[dict[str, Any], ...] | None = None) -> list[dict[str, Any]]:
    """The steps with the implicit connect in place: before the first step that is not an HTTP
    call, unless the steps connect themselves."""
    chosen = list(case.steps if steps is None else steps)
    if any("connect" in s for s in chosen) or all("http" in s or "wait" in s for s in chosen):
        return chosen
    at = next((i for i, s in enumerate(chosen) if "http" not in s), len(chosen))
    return [*chosen[:at], {"connect": {}, "implicit": True}, *chosen[at:]]


def step_label(steps: list[dict[str, Any]], index: int | None) -> str:
    """``step N`` as the case file counts (from 1), or ``connecting`` for the implicit one."""
    if index is None:
        return "after the steps"
    if steps[index].get("implicit"):
        return "connecting"
    return f"step {index + 1 - sum(1 for s in steps[:index] if s.get('implicit'))}"


def audio_seconds(case: Case) -> float:
    """Seconds of audio the case's main steps send (for the live budget)."""
    total = 0.0
    for step in case.steps:
        if "audio" in step:
            spec = step["audio"]
            raw = audio.render(spec)
            total += len(raw) / audio.BYTES_PER_SECOND[str(spec.get("format", "pcm"))]
    return total


def _frame(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def _describe(frame: Any) -> str:
    text = json.dumps(frame) if not isinstance(frame, str) else frame
    return text if len(text) <= 300 else text[:297] + "..."


def run_steps(
    steps: list[dict[str, Any]], connection: Mapping[str, Any]
) -> Generator[Action, Reply, Outcome]:
    """Run ``steps`` (``case_steps(case)``) on ``connection``; see the module docstring."""
    out = Outcome(passed=True)
    state = _State(out, dict(connection))
    try:
        for index, step in enumerate(steps):
            yield from state.step(index, step, steps[index + 1] if index + 1 < len(steps) else None)
        if state.open:
            yield Close(1000)
            state.open = False
    except _Failed as failed:
        out.passed, out.mismatch, out.step = False, failed.reason, failed.step
        if state.open:
            yield Close(1000)
    return out


class _State:
    def __init__(self, out: Outcome, connection: dict[str, Any]) -> None:
        self.out = out
        self.connection = connection
        self.open = False
        self.closed: Received | None = None
        self.connects = 0

    def log(self, direction: str, **record: Any) -> None:
        self.out.wire.append({"direction": direction, **record})

    def step(
        self, index: int, step: dict[str, Any], following: dict[str, Any] | None
    ) -> Generator[Action, Reply, None]:
        kind = _action_of(step)
        value = substitute(step[kind], self.out.bindings)
        if kind == "connect":
            yield from self.connect(index, value, following)
        elif kind == "handshake":
            return  # checked by the connect before it
        elif kind == "http":
            yield from self.http(index, value)
        elif kind == "wait":
            yield Sleep(int(value) / 1000)
        elif kind == "close":
            self.need_open(index, "close")
            yield Close(int(value))
            self.log("client", close=int(value))
            self.open = False
        elif kind in ("send", "send_raw", "send_binary"):
            self.need_open(index, kind)
            if kind == "send":
                text = json.dumps(value)
                yield Send(text=text)
                self.log("client", event=value)
            elif kind == "send_raw":
                yield Send(text=str(value))
                self.log("client", event=_frame(str(value)))
            else:
                yield Send(data=bytes(int(value)))
                self.log("client", event=f"<binary frame of {int(value)} bytes>")
        elif kind == "audio":
            self.need_open(index, "audio")
            fmt = str(value.get("format", "pcm"))
            raw = audio.render(value)
            for chunk in audio.chunks(raw, fmt, float(value.get("chunk_ms", 100))):
                payload = base64.b64encode(chunk).decode("ascii")
                text = json.dumps({"type": "input_audio_buffer.append", "audio": payload})
                yield Send(text=text)
                self.out.audio_bytes[fmt] = self.out.audio_bytes.get(fmt, 0) + len(chunk)
                self.log(
                    "client",
                    event={"type": "input_audio_buffer.append", "audio": "..."},
                    bytes=len(chunk),
                )
        elif kind == "expect":
            yield from self.expect(index, step, list(value))
        elif kind == "quiet":
            yield from self.quiet(index, step, int(value))
        elif kind == "expect_close":
            yield from self.expect_close(index, step, dict(value))

    def need_open(self, index: int, what: str) -> None:
        if not self.open:
            why = f" (closed {self.closed.code} {self.closed.reason!r})" if self.closed else ""
            raise _Failed(index, f"cannot {what}: the connection is not open{why}")

    def connect(
        self, index: int, value: dict[str, Any], following: dict[str, Any] | None
    ) -> Generator[Action, Reply, None]:
        merged = {**self.connection, **value}
        action = Connect(
            path=str(merged.get("path", "/v1/realtime")),
            query=dict(merged.get("query", {"intent": "transcription"})),
            headers=dict(merged.get("headers", {})),
            subprotocols=tuple(merged.get("subprotocols", ())),
            auth=str(substitute(merged.get("auth", "key"), self.out.bindings)),
        )
        reply = yield action
        assert isinstance(reply, Handshake)
        self.connects += 1
        self.log(
            "server",
            handshake={
                "status": reply.status,
                "body": reply.body,
                "subprotocol": reply.subprotocol,
            },
        )
        expected = (following or {}).get("handshake", {"status": 101})
        if reply.status == 101:
            self.open, self.closed = True, None
        found = match(
            expected,
            {"status": reply.status, "body": reply.body, "subprotocol": reply.subprotocol},
            self.out.bindings,
        )
        if found is not None:
            if reply.status != 101 and expected.get("status") == 101 and self.connects == 1:
                self.out.refused = True
            raise _Failed(index, f"handshake {found}; body {_describe(reply.body)}")

    def http(self, index: int, value: dict[str, Any]) -> Generator[Action, Reply, None]:
        reply = yield Http(
            str(value["method"]),
            str(value["path"]),
            value.get("body"),
            str(value.get("auth", "key")),
        )
        assert isinstance(reply, HttpReply)
        self.log(
            "client",
            http={"method": value["method"], "path": value["path"], "body": value.get("body")},
        )
        self.log("server", http={"status": reply.status, "body": reply.body})
        want: dict[str, Any] = {"status": value["status"]}
        if "response" in value:
            want["body"] = value["response"]
        found = match(want, {"status": reply.status, "body": reply.body}, self.out.bindings)
        if found is not None:
            raise _Failed(index, f"HTTP {value['method']} {value['path']}: {found}")

    def receive(self, index: int, timeout_ms: int) -> Generator[Action, Reply, Received]:
        reply = yield Receive(timeout_ms / 1000)
        assert isinstance(reply, Received)
        if reply.kind == "close":
            self.log("server", close=reply.code, reason=reply.reason)
            self.open, self.closed = False, reply
        elif reply.kind in ("text", "binary"):
            self.log("server", event=_frame(reply.text) if reply.kind == "text" else reply.text)
        return reply

    def expect(
        self, index: int, step: dict[str, Any], wanted: list[Any]
    ) -> Generator[Action, Reply, None]:
        ignore = set(step.get("ignore", ()))
        timeout = int(step.get("timeout_ms", DEFAULT_TIMEOUT_MS))
        pending = list(wanted)
        while pending:
            self.need_open(index, f"receive {_describe(pending[0])}")
            got = yield from self.receive(index, timeout)
            if got.kind == "timeout":
                raise _Failed(
                    index, f"no frame within {timeout} ms; expected {_describe(pending[0])}"
                )
            if got.kind == "close":
                raise _Failed(
                    index, f"closed {got.code} {got.reason!r}; expected {_describe(pending[0])}"
                )
            frame = _frame(got.text) if got.kind == "text" else got.text
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind in ignore:
                continue
            candidates = pending if step.get("unordered") else pending[:1]
            first = None
            for want in candidates:
                found = match(want, frame, self.out.bindings)
                if found is None:
                    pending.remove(want)
                    break
                first = first or found
            else:
                assert first is not None
                raise _Failed(index, f"frame {kind or '?'} {first}; got {_describe(frame)}")

    def quiet(self, index: int, step: dict[str, Any], ms: int) -> Generator[Action, Reply, None]:
        ignore = set(step.get("ignore", ()))
        while self.open:
            got = yield from self.receive(index, ms)
            if got.kind == "timeout":
                return
            if got.kind == "close":
                raise _Failed(index, f"closed {got.code} {got.reason!r}; expected no frame")
            frame = _frame(got.text)
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind not in ignore:
                raise _Failed(index, f"expected no frame for {ms} ms, got {_describe(frame)}")

    def expect_close(
        self, index: int, step: dict[str, Any], want: dict[str, Any]
    ) -> Generator[Action, Reply, None]:
        ignore = set(step.get("ignore", ()))
        timeout = int(step.get("timeout_ms", DEFAULT_TIMEOUT_MS))
        while self.open:
            got = yield from self.receive(index, timeout)
            if got.kind == "timeout":
                raise _Failed(index, f"no close within {timeout} ms")
            if got.kind == "close":
                found = match(want, {"code": got.code, "reason": got.reason}, self.out.bindings)
                if found is not None:
                    raise _Failed(index, f"close {found}")
                return
            frame = _frame(got.text)
            kind = frame.get("type") if isinstance(frame, dict) else None
            if kind not in ignore:
                raise _Failed(index, f"expected the close, got {_describe(frame)}")
        if self.closed is None:
            raise _Failed(index, "expected the server's close; the connection is not open")
        found = match(
            want, {"code": self.closed.code, "reason": self.closed.reason}, self.out.bindings
        )
        if found is not None:
            raise _Failed(index, f"close {found}")

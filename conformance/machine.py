"""A hypothesis ``RuleBasedStateMachine`` that drives a real WebSocket (the mock, ``mockrt
serve``, or any URL) with drawn client events, session configurations, audio chunkings and
mutated events, and checks the invariants (``conformance.invariants``) after every step; at
teardown every commit must have its result. A failure shrinks to a minimal sequence and is
printed as a case file ready to drop into conformance/cases/. Profiles ``dev``, ``ci`` and a
small bounded ``live``. Needs the ``test`` extra (hypothesis).
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import yaml
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from conformance.audio import samples
from conformance.invariants import default_schemas_dir, validate_records
from conformance.strategies import audio_chunks, client_events, mutated_events, session_configs

__all__ = ["PROFILES", "ProtocolMachine", "awaiting", "case_file", "machine_for"]

# examples x steps bound the sockets and the audio: "live" sends at most 6 x 6 x 0.6 s.
PROFILES: dict[str, settings] = {
    "dev": settings(max_examples=50, stateful_step_count=20, deadline=None),
    "ci": settings(
        max_examples=5,
        stateful_step_count=6,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    ),
    "live": settings(max_examples=6, stateful_step_count=6, deadline=None, database=None),
}
_QUIET_S = 0.03  # a drain ends after this long without a frame (times ``patience``)
_RESULT_WAIT_S = 5.0


def case_file(steps: list[dict[str, Any]], problem: str) -> str:
    """The sequence as a case file (section 99: renumber it when you add it)."""
    case = {
        "section": "99",
        "title": "Found by the hypothesis state machine",
        "cases": [
            {
                "id": "99.1",
                "description": "a drawn event sequence keeps the protocol invariants",
                "sources": [{"ref": "docs/protocol.md §5", "seen": time.strftime("%Y-%m")}],
                "certainty": "inferred",
                "steps": [{"expect": [{"type": "session.created"}]}, *steps, {"quiet": 500}],
            }
        ],
    }
    return f"# {problem}\n" + yaml.safe_dump(case, sort_keys=False, allow_unicode=True)


class ProtocolMachine(RuleBasedStateMachine):
    """Set ``url`` and ``key`` on a subclass (``machine_for``)."""

    url = ""
    key = ""
    patience = 1.0  # live: replies take ~0.15 s (commit) to ~0.8 s (completed)

    def __init__(self) -> None:
        super().__init__()
        self.ws: ClientConnection | None = None
        self.wire: list[dict[str, Any]] = []
        self.steps: list[dict[str, Any]] = []
        self.closed: str | None = None
        self.ids = 0

    @initialize()
    def open(self) -> None:
        self.ws = connect(
            self.url,
            additional_headers={"Authorization": f"Bearer {self.key}"},
            max_size=None,
            compression=None,
            open_timeout=15,
            close_timeout=5,
        )
        self.drain(first=True)

    def send(self, event: dict[str, Any], step: dict[str, Any] | None = None) -> None:
        assert self.ws is not None
        self.wire.append({"direction": "client", "event": event})
        self.steps.append(step or {"send": event})
        try:
            self.ws.send(json.dumps(event))
        except ConnectionClosed as exc:
            self.closed = f"closed {exc.rcvd.code if exc.rcvd else 1006}"

    def drain(self, first: bool = False, until: float = _QUIET_S) -> None:
        assert self.ws is not None
        while self.closed is None:
            try:
                text = self.ws.recv(timeout=5.0 if first else until * self.patience)
            except TimeoutError:
                return
            except ConnectionClosed as exc:
                self.closed = f"the server closed {exc.rcvd.code if exc.rcvd else 1006}"
                return
            first = False
            event = json.loads(text) if isinstance(text, str) else f"<{len(text)} bytes>"
            self.wire.append({"direction": "server", "event": event})

    def next_id(self) -> str:
        self.ids += 1
        return f"hyp_{self.ids}"

    @rule(session=session_configs())
    def update_session(self, session: dict[str, Any]) -> None:
        self.send({"type": "session.update", "event_id": self.next_id(), "session": session})
        self.drain(until=0.1)

    @rule(sizes=audio_chunks(), dbfs=st.sampled_from([-90.0, -40.0, -20.0]))
    def append_audio(self, sizes: list[int], dbfs: float) -> None:
        pcm = samples("tone", sum(sizes) / 48, dbfs, 440).astype("<i2").tobytes()
        offset = 0
        for size in sizes:
            chunk = pcm[offset : offset + size]
            offset += size
            payload = base64.b64encode(chunk).decode("ascii")
            self.send(
                {"type": "input_audio_buffer.append", "audio": payload},
                {"audio": {"source": "tone", "ms": max(1, round(size / 48)), "dbfs": dbfs}},
            )
        self.drain()

    @rule()
    def commit(self) -> None:
        self.send({"type": "input_audio_buffer.commit", "event_id": self.next_id()})
        self.drain(until=0.1)

    @rule()
    def clear(self) -> None:
        self.send({"type": "input_audio_buffer.clear"})
        self.drain()

    @rule(event=client_events())
    def send_valid_event(self, event: dict[str, Any]) -> None:
        self.send(event)
        self.drain()

    @rule(event=mutated_events())
    def send_mutated_event(self, event: dict[str, Any]) -> None:
        self.send(event)
        self.drain()

    def fail(self, problem: str) -> None:
        raise AssertionError(
            f"{problem}\n\nAs a case file for conformance/cases/:\n\n"
            + case_file(self.steps, problem)
        )

    @invariant()
    def the_protocol_holds(self) -> None:
        if self.ws is None:
            return
        if self.closed is not None:
            self.fail(f"the connection ended: {self.closed}")
        found = validate_records(
            self.wire,
            "ga",
            default_schemas_dir(),
            invariants=True,
            directions=("server",),
            complete=False,
        )
        if found:
            self.fail(str(found[0]))

    def teardown(self) -> None:
        if self.ws is None:
            return
        try:
            if self.closed is None:
                deadline = time.monotonic() + _RESULT_WAIT_S
                while time.monotonic() < deadline and awaiting(self.wire):
                    self.drain(until=0.1)
                missing = awaiting(self.wire)
                if missing:
                    self.fail(f"no completed or failed for committed item(s) {sorted(missing)}")
        finally:
            self.ws.close()


def awaiting(wire: list[dict[str, Any]]) -> set[str]:
    """Items committed while transcription was on that have no result yet."""
    transcribing = False
    waiting: set[str] = set()
    for record in wire:
        event = record["event"]
        if record["direction"] != "server" or not isinstance(event, dict):
            continue
        kind = event.get("type")
        if kind in ("session.created", "session.updated"):
            audio = event.get("session", {}).get("audio", {})
            transcribing = audio.get("input", {}).get("transcription") is not None
        elif kind == "input_audio_buffer.committed" and transcribing:
            waiting.add(str(event.get("item_id")))
        elif kind in (
            "conversation.item.input_audio_transcription.completed",
            "conversation.item.input_audio_transcription.failed",
        ):
            waiting.discard(str(event.get("item_id")))
    return waiting


def machine_for(url: str, key: str, profile: str = "ci") -> type[ProtocolMachine]:
    """A ``ProtocolMachine`` subclass bound to a target and a profile; run it with
    ``hypothesis.stateful.run_state_machine_as_test`` or expose its ``TestCase``."""
    patience = 10.0 if profile == "live" else 1.0
    machine: type[ProtocolMachine] = type(
        "ProtocolMachineFor", (ProtocolMachine,), {"url": url, "key": key, "patience": patience}
    )
    machine.TestCase.settings = PROFILES[profile]
    return machine

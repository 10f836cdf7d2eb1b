"""The transitions table, and a hypothesis state machine over Session with the turn invariants."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from mockrt.core.exceptions import InvalidState
from mockrt.core.machine import CLIENT_INPUTS, SERVER_INPUTS, TRANSITIONS, State, next_state
from mockrt.core.session import Session

from .audio_gen import noise, silence, tone
from .conftest import make_session

DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
FAILED = "conversation.item.input_audio_transcription.failed"


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", [*CLIENT_INPUTS, *SERVER_INPUTS])
def test_every_state_and_input_pair_is_decided_by_the_table(state: State, event: str) -> None:
    target = next_state(state, event)
    assert target == TRANSITIONS[state].get(event)
    if state is State.CLOSED:
        assert target is None


def test_closed_session_refuses_frames() -> None:
    session = make_session()
    session.close()
    with pytest.raises(InvalidState):
        session.receive_bytes(b"x")


def audio_chunks() -> st.SearchStrategy[bytes]:
    """Random audio of random length: silence, tones, noise at several levels."""
    ms = st.integers(min_value=1, max_value=700)
    return st.one_of(
        ms.map(silence),
        st.tuples(ms, st.sampled_from([-45.0, -30.0, -12.0])).map(lambda a: tone(a[0], 440, a[1])),
        st.tuples(ms, st.integers(0, 3)).map(lambda a: noise(a[0], -40.0, seed=a[1])),
    )


class SessionMachine(RuleBasedStateMachine):
    """Client events in any order; checks what the live API guarantees about turns."""

    def __init__(self) -> None:
        super().__init__()
        self.session: Session = make_session()
        self.sent: list[dict[str, Any]] = self.session.events_to_send()
        self.feed(
            {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
                },
            }
        )

    def feed(self, event: dict[str, Any] | str) -> None:
        self.session.receive_text(event if isinstance(event, str) else json.dumps(event))
        self.sent += self.session.events_to_send()

    @rule(audio=audio_chunks(), split=st.integers(min_value=1, max_value=4))
    def append(self, audio: bytes, split: int) -> None:
        step = max(2, len(audio) // split // 2 * 2)
        for start in range(0, len(audio), step):
            self.feed(
                {
                    "type": "input_audio_buffer.append",
                    "audio": base64.b64encode(audio[start : start + step]).decode(),
                }
            )

    @rule()
    def commit(self) -> None:
        self.feed({"type": "input_audio_buffer.commit"})

    @rule()
    def clear(self) -> None:
        self.feed({"type": "input_audio_buffer.clear"})

    @rule(
        td=st.sampled_from(
            [
                None,
                {"type": "server_vad", "silence_duration_ms": 300},
                {"type": "semantic_vad", "eagerness": "high"},
            ]
        )
    )
    def turn_detection(self, td: dict[str, Any] | None) -> None:
        self.feed(
            {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"turn_detection": td}}},
            }
        )

    @rule(frame=st.sampled_from(["junk", "[]", '{"type": "x"}', '{"type": "response.create"}']))
    def garbage(self, frame: str) -> None:
        self.feed(frame)

    @rule(ms=st.integers(min_value=0, max_value=2000))
    def wait(self, ms: int) -> None:
        self.session.advance(ms)
        self.sent += self.session.events_to_send()

    def teardown(self) -> None:
        # Let every scheduled event come out, then check the whole stream once more.
        for _ in range(500):
            due = self.session.next_event_due()
            if due is None:
                break
            self.session.advance_to(due)
            self.sent += self.session.events_to_send()
        self.check(final=True)

    @invariant()
    def turns_are_consistent(self) -> None:
        self.check(final=False)

    def check(self, final: bool) -> None:
        sent = self.sent
        assert sent[0]["type"] == "session.created"
        started: list[str] = []
        stopped: list[str] = []
        committed: list[str] = []
        known: set[str] = set()
        endings: dict[str, int] = {}
        deltas: dict[str, str] = {}
        for event in sent:
            kind = event["type"]
            if kind == "input_audio_buffer.speech_started":
                assert len(started) == len(stopped), "speech_started twice without a stop"
                started.append(event["item_id"])
                start_ms = event["audio_start_ms"]
                known.add(event["item_id"])
            elif kind == "input_audio_buffer.speech_stopped":
                assert started and started[-1] == event["item_id"]
                assert event["audio_end_ms"] > start_ms
                stopped.append(event["item_id"])
            elif kind == "input_audio_buffer.committed":
                committed.append(event["item_id"])
                known.add(event["item_id"])
            elif kind == DELTA:
                assert event["item_id"] in known
                deltas[event["item_id"]] = deltas.get(event["item_id"], "") + event["delta"]
            elif kind in (COMPLETED, FAILED):
                assert event["item_id"] in committed, "ending for an unknown item"
                endings[event["item_id"]] = endings.get(event["item_id"], 0) + 1
                if kind == COMPLETED:
                    assert deltas.get(event["item_id"], "") == event["transcript"]
            elif "item" in event:
                assert event["item"]["id"] in committed
        assert all(n == 1 for n in endings.values()), "an item ended twice"
        assert len(set(committed)) == len(committed)
        if final:
            assert set(endings) == set(committed), "a committed item never completed"


TestSessionMachine = SessionMachine.TestCase
TestSessionMachine.settings = settings(
    max_examples=40,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

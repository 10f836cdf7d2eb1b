"""Committing input audio on a realtime (conversation) session, in the core and over a socket.

A conversation session commits its buffer as a transcription session does: ``committed``, the
user item's ``conversation.item.added``/``.done``, and a transcript only when the session sets
``audio.input.transcription`` (protocol.md §2.3). The mock models no responses.
"""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
import websockets
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core.session import Session
from mockrt.serve.testing import MockRealtimeServer

from .audio_gen import silence, tone
from .conftest import make_session, send
from .test_fuzz import json_values
from .test_turns import COMPLETED, DELTA, append, run_out, types

COMMIT = {"type": "input_audio_buffer.commit", "event_id": "c1"}
ITEM_EVENTS = ["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"]


def realtime(transcription: Any = None, **session: Any) -> Session:
    """A realtime-intent session; ``transcription`` (when given) set by a realtime update."""
    s = make_session(intent="realtime", model="gpt-realtime")
    s.events_to_send()
    if transcription is not None:
        update = {"type": "realtime", "audio": {"input": {"transcription": transcription}}}
        reply = send(s, {"type": "session.update", "session": {**update, **session}})
        assert types(reply) == ["session.updated"], reply
    return s


def transcription_session(model: str) -> Session:
    """A transcription session with ``model`` and no turn detection (manual commits only)."""
    s = make_session()
    s.events_to_send()
    audio_input = {"transcription": {"model": model}, "turn_detection": None}
    update = {"type": "transcription", "audio": {"input": audio_input}}
    assert types(send(s, {"type": "session.update", "session": update})) == ["session.updated"]
    return s


def test_commit_on_a_realtime_session_answers_committed_and_the_user_item() -> None:
    session = realtime()
    append(session, tone(300, 440, -20))
    session.receive_text(json.dumps(COMMIT))
    item = {
        "id": "item_0001",
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    assert run_out(session) == [
        {
            "type": "input_audio_buffer.committed",
            "event_id": "event_0002",
            "previous_item_id": None,
            "item_id": "item_0001",
        },
        {
            "type": "conversation.item.added",
            "event_id": "event_0003",
            "previous_item_id": None,
            "item": item,
        },
        {
            "type": "conversation.item.done",
            "event_id": "event_0004",
            "previous_item_id": None,
            "item": item,
        },
    ]
    assert session.journal.violations() == []


def test_realtime_session_commits_chain_their_previous_item_ids() -> None:
    session = realtime()
    committed = []
    for _ in range(2):
        append(session, silence(200))
        session.receive_text(json.dumps(COMMIT))
        committed += [e for e in run_out(session) if e["type"] == ITEM_EVENTS[0]]
    assert [(c["previous_item_id"], c["item_id"]) for c in committed] == [
        (None, "item_0001"),
        ("item_0001", "item_0002"),
    ]


def test_empty_commit_on_a_realtime_session_gets_the_commit_empty_error() -> None:
    session = realtime()
    append(session, silence(50))
    (error,) = send(session, COMMIT)
    assert error["error"]["code"] == "input_audio_buffer_commit_empty"
    assert error["error"]["event_id"] == "c1"
    assert error["error"]["message"].endswith("buffer only has 50.00ms of audio.")
    assert run_out(session) == []


@pytest.mark.parametrize("model", ["gpt-4o-transcribe", "whisper-1", "gpt-transcribe"])
def test_realtime_session_with_transcription_gets_the_transcript_a_transcription_session_gets(
    model: str,
) -> None:
    got = []
    for session in (
        realtime({"model": model}, audio={"input": {"transcription": {"model": model}}}),
        transcription_session(model),
    ):
        append(session, tone(1240, 440, -20))
        session.receive_text(json.dumps(COMMIT))
        got.append(run_out(session))
    on_realtime, on_transcription = got
    assert on_realtime == on_transcription
    assert types(on_realtime)[:3] == ITEM_EVENTS
    assert on_realtime[-1]["type"] == COMPLETED
    assert on_realtime[-1]["transcript"] == "turn 1: 1.24 s of speech"


def test_realtime_session_logprobs_follow_its_include() -> None:
    session = realtime(
        {"model": "gpt-4o-transcribe"}, include=["item.input_audio_transcription.logprobs"]
    )
    append(session, tone(500, 440, -20))
    session.receive_text(json.dumps(COMMIT))
    events = run_out(session)
    assert DELTA in types(events)
    assert all("logprobs" in e for e in events if e["type"] in (DELTA, COMPLETED))


@pytest.mark.parametrize(
    "transcription",
    [
        pytest.param(None, id="never-set"),
        pytest.param({"model": 5}, id="not-a-transcription"),
        pytest.param({"model": "gpt-4o-transcribe", "colour": "red"}, id="unknown-key"),
    ],
)
def test_realtime_session_without_a_usable_transcription_commits_without_a_transcript(
    transcription: Any,
) -> None:
    session = realtime(transcription)
    append(session, tone(500, 440, -20))
    session.receive_text(json.dumps(COMMIT))
    assert types(run_out(session)) == ITEM_EVENTS


def test_realtime_session_can_turn_its_transcription_off_again() -> None:
    session = realtime({"model": "gpt-4o-transcribe"})
    off = {"type": "realtime", "audio": {"input": {"transcription": None}}}
    assert types(send(session, {"type": "session.update", "session": off})) == ["session.updated"]
    append(session, tone(500, 440, -20))
    session.receive_text(json.dumps(COMMIT))
    assert types(run_out(session)) == ITEM_EVENTS


def test_speech_then_silence_on_a_realtime_session_waits_for_the_manual_commit() -> None:
    # The mock runs no turn detection on a conversation session (protocol.md §2.3), so its
    # server_vad default commits nothing by itself; the client's commit takes all the audio.
    session = realtime({"model": "gpt-4o-transcribe"})
    append(session, silence(300) + tone(800, 440, -20) + silence(1500))
    assert run_out(session) == []
    session.receive_text(json.dumps(COMMIT))
    events = run_out(session)
    assert types(events)[:3] == ITEM_EVENTS
    assert events[-1]["transcript"] == "turn 1: 2.60 s of speech"


async def test_realtime_connection_commits_and_gets_the_transcript_over_a_socket(
    server: MockRealtimeServer,
) -> None:
    url = f"{server.ws_base_url}/realtime?model=gpt-realtime"
    transcription = {"model": "gpt-4o-transcribe"}
    update = {"type": "realtime", "audio": {"input": {"transcription": transcription}}}
    audio = base64.b64encode(tone(1240, 440, -20)).decode()
    received: list[dict[str, Any]] = []
    async with (
        asyncio.timeout(20),
        websockets.connect(url, additional_headers=server.headers) as ws,
    ):
        await ws.send(json.dumps({"type": "session.update", "session": update}))
        await ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": audio}))
        await ws.send(json.dumps({"type": "input_audio_buffer.commit", "event_id": "c1"}))
        async for message in ws:
            received.append(json.loads(message))
            if received[-1]["type"] in (COMPLETED, "error"):
                break
    assert types(received)[:5] == ["session.created", "session.updated", *ITEM_EVENTS]
    assert received[-1]["type"] == COMPLETED, received[-1]
    assert received[-1]["transcript"] == "turn 1: 1.24 s of speech"
    assert server.journal.violations() == []


# --- any mix of audio, commits, clears and transcription settings, on either kind of session ----

transcriptions = st.one_of(
    st.none(),
    st.sampled_from(["gpt-4o-transcribe", "whisper-1"]).map(lambda m: {"model": m}),
    json_values,
)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("append"), st.integers(0, 400), st.booleans()),
        st.tuples(st.just("commit")),
        st.tuples(st.just("clear")),
        st.tuples(st.just("transcription"), transcriptions),
    ),
    max_size=10,
)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["transcription", "realtime"]), steps)
def test_commits_on_either_kind_of_session_never_raise_and_each_gets_its_item(
    intent: str, plan: list[tuple[Any, ...]]
) -> None:
    session = make_session(intent=intent)
    session.events_to_send()
    events: list[dict[str, Any]] = []
    for step in plan:
        if step[0] == "append":
            audio = tone(step[1], 440, -20) if step[2] else silence(step[1])
            append(session, audio)
        elif step[0] == "transcription":
            audio_input = {"transcription": step[1], "turn_detection": None}
            update = {"type": intent, "audio": {"input": audio_input}}
            session.receive_text(json.dumps({"type": "session.update", "session": update}))
        else:
            session.receive_text(json.dumps({"type": f"input_audio_buffer.{step[0]}"}))
        events += run_out(session)
    assert [e for e in events if e.get("error", {}).get("type") == "server_error"] == []
    committed = [e["item_id"] for e in events if e["type"] == ITEM_EVENTS[0]]
    for kind in ITEM_EVENTS[1:]:
        assert [e["item"]["id"] for e in events if e["type"] == kind] == committed

"""Arbitrary frames never raise in the core; a bug of ours becomes server_error on the wire."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core.session import Session
from mockrt.serve.testing import MockRealtimeServer

from .conftest import make_session, send
from .test_reliability_update import mutated_requests, sessions

TYPES = [
    "session.update",
    "input_audio_buffer.append",
    "input_audio_buffer.commit",
    "input_audio_buffer.clear",
    "transcription_session.update",
    "response.create",
    "x",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=25,
)


def events_like() -> st.SearchStrategy[dict[str, Any]]:
    """Objects that look like client events, with random sessions and fields."""
    session = st.fixed_dictionaries(
        {},
        optional={
            "type": st.sampled_from(["transcription", "realtime", 3]),
            "audio": st.fixed_dictionaries(
                {},
                optional={
                    "input": st.dictionaries(
                        st.sampled_from(
                            [
                                "format",
                                "transcription",
                                "turn_detection",
                                "noise_reduction",
                                "bogus",
                            ]
                        ),
                        json_values,
                        max_size=3,
                    )
                },
            ),
            "include": json_values,
            "model": json_values,
        },
    )
    return st.fixed_dictionaries(
        {"type": st.sampled_from(TYPES)},
        optional={
            "session": session | json_values,
            "audio": st.text(max_size=40) | json_values,
            "event_id": st.text(max_size=8) | json_values,
        },
    )


frames = st.one_of(st.text(max_size=60), json_values.map(json.dumps), events_like().map(json.dumps))


@settings(max_examples=300, deadline=None)
@given(st.lists(frames, max_size=8))
def test_any_frames_get_answers_and_never_raise(texts: list[str]) -> None:
    session = make_session()
    session.events_to_send()
    for text in texts:
        session.receive_text(text)
        for event in session.events_to_send():
            assert event["type"] != "error" or event["error"]["message"]
            json.dumps(event)  # everything sent is serialisable
    session.advance(60_000)
    session.events_to_send()
    reply = send(session, {"type": "input_audio_buffer.clear"})
    assert [e["type"] for e in reply][-1] == "input_audio_buffer.cleared"


async def test_an_internal_error_becomes_server_error_and_the_session_goes_on(
    server: MockRealtimeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Session.receive_text

    def flaky(self: Session, text: str) -> None:
        if "boom" in text:
            raise RuntimeError("a bug")
        original(self, text)

    monkeypatch.setattr(Session, "receive_text", flaky)
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        await ws.recv()
        await ws.send('{"type": "boom"}')
        error = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert error["error"]["type"] == "server_error"
        assert "Traceback" not in json.dumps(error) and "a bug" not in json.dumps(error)
        await ws.send('{"type": "input_audio_buffer.clear"}')
        cleared = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert cleared["type"] == "input_audio_buffer.cleared"


# --- issue 14: schema-aware and raw frames; strict JSON out, never server_error ------------------


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} is not JSON")


raw_texts = st.one_of(
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
    st.text(st.characters(codec=None, categories=["Cs", "Cc", "Zl", "Zp"]), max_size=10).map(
        lambda t: json.dumps({"type": t, "event_id": t}, ensure_ascii=False)
    ),
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            mutated_requests(),
            sessions.map(lambda s: json.dumps({"type": "session.update", "session": s})),
            raw_texts,
            frames,
            st.binary(max_size=40),
        ),
        max_size=8,
    )
)
def test_schema_aware_and_raw_frames_never_cause_server_error_or_non_json(
    items: list[str | bytes],
) -> None:
    session = make_session()
    session.events_to_send()
    for item in items:
        if isinstance(item, bytes):
            session.receive_bytes(item)
        else:
            session.receive_text(item)
        for event in session.events_to_send():
            text = json.dumps(event, allow_nan=False)
            assert event.get("error", {}).get("type") != "server_error", text
    for entry in session.journal:
        json.loads(entry.to_line(), parse_constant=_no_constant)
    reply = send(session, {"type": "input_audio_buffer.clear"})
    assert [e["type"] for e in reply][-1] == "input_audio_buffer.cleared"

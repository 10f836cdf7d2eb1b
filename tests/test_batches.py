"""Frames read together are handed to the session together (``Session.receive_texts``, issue 15):
their audio is heard in one pass, and nothing else changes. Whatever the frames and however they
are cut into batches, the events (ids included), their due times and the journal are those of
``receive_text`` frame by frame. The adapter holds a burst of appends (mockrt/serve/pump.py) and
loses none of them, not even after a bug of ours on one of them."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import pytest
import websockets
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core.ids import CountingIds
from mockrt.core.session import Session
from mockrt.core.vad import TurnDetector
from mockrt.serve import pump
from mockrt.serve.state import ServerConfig
from mockrt.serve.testing import MockRealtimeServer
from tests import audio_gen


def _append(pcm: bytes | str, event_id: str | None = None) -> str:
    audio = pcm if isinstance(pcm, str) else base64.b64encode(pcm).decode()
    event: dict[str, Any] = {"type": "input_audio_buffer.append", "audio": audio}
    if event_id is not None:
        event["event_id"] = event_id
    return json.dumps(event)


def _chunks(pcm: bytes, ms: int = 20) -> list[str]:
    step = 48 * ms  # 24 kHz pcm16
    return [_append(pcm[i : i + step]) for i in range(0, len(pcm), step)]


_SHORT_TURNS = {
    "type": "session.update",
    "session": {
        "type": "transcription",
        "audio": {
            "input": {
                "transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": {
                    "type": "server_vad",
                    "silence_duration_ms": 200,
                    "prefix_padding_ms": 100,
                },
            }
        },
    },
}
# Each piece is a run of frames; batches cut across them anywhere.
PIECES: dict[str, list[str]] = {
    "speech": _chunks(audio_gen.tone(200, 220, -20)),
    "pause": _chunks(audio_gen.silence(300)),
    "noise": _chunks(audio_gen.noise(100, -50, seed=3)),
    "odd_bytes": [_append(b"\x01\x02\x03")],  # half a sample: refused
    "bad_base64": [_append("not base64!")],  # refused by the full path
    "commit": [json.dumps({"type": "input_audio_buffer.commit", "event_id": "c"})],
    "clear": [json.dumps({"type": "input_audio_buffer.clear"})],
    "short_turns": [json.dumps(_SHORT_TURNS)],
    "no_vad": [
        json.dumps(
            {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
            }
        )
    ],
    "not_json": ["{not json"],
    "unknown": [json.dumps({"type": "response.create"})],
}


def _run(frames: list[str], cuts: list[int], together: bool) -> tuple[list[Any], list[str]]:
    """(every event with its due time, the journal's lines) for ``frames`` read in batches cut
    at ``cuts``, 20 ms apart."""
    session = Session(ids=CountingIds())
    events: list[Any] = []
    bounds = [0, *sorted(set(cuts)), len(frames)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        session.advance(20)
        batch = frames[start:end]
        if together:
            session.receive_texts(batch)
        else:
            for text in batch:
                session.receive_text(text)
        events.append((session.next_event_due(), session.texts_to_send()))
    for _ in range(200):  # the rest of the turns' events, 50 ms at a time
        session.advance(50)
        events.append((session.next_event_due(), session.texts_to_send()))
    return events, [entry.to_line() for entry in session.journal]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(sorted(PIECES)), max_size=12), st.data())
def test_frames_handed_over_together_make_what_they_make_one_by_one(
    pieces: list[str], data: st.DataObject
) -> None:
    frames = [text for piece in pieces for text in PIECES[piece]]
    cuts = data.draw(st.lists(st.integers(0, len(frames)), max_size=3), label="cuts")
    assert _run(frames, cuts, together=True) == _run(frames, cuts, together=False)


def test_a_whole_turn_in_one_batch_is_heard_in_one_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    frames = [json.dumps(_SHORT_TURNS), *PIECES["speech"], *PIECES["pause"]]
    feeds: list[int] = []
    original = TurnDetector.feed

    def counting(self: TurnDetector, raw: bytes) -> Any:
        feeds.append(len(raw))
        return original(self, raw)

    monkeypatch.setattr(TurnDetector, "feed", counting)
    session = Session(ids=CountingIds())
    session.receive_texts(frames)
    session.advance(5000)
    kinds = [json.loads(text)["type"] for text in session.texts_to_send()]
    assert feeds == [960 * 25]  # 500 ms of audio, 25 appends, one pass
    assert (
        kinds.index("input_audio_buffer.speech_started")
        < kinds.index("input_audio_buffer.speech_stopped")
        < kinds.index("conversation.item.input_audio_transcription.completed")
    )


async def _burst(server: MockRealtimeServer, frames: list[str]) -> list[dict[str, Any]]:
    """Send ``frames`` back to back and then a commit; the events until ``committed`` or an
    error for the commit."""
    async with websockets.connect(server.url, additional_headers=server.headers) as ws:
        await ws.recv()
        for text in frames:
            await ws.send(text)
        await ws.send(json.dumps({"type": "input_audio_buffer.commit", "event_id": "last"}))
        seen: list[dict[str, Any]] = []
        while True:
            event = json.loads(await asyncio.wait_for(ws.recv(), 10))
            seen.append(event)
            if event["type"] == "input_audio_buffer.committed" or (
                event["type"] == "error" and event["error"].get("event_id") == "last"
            ):
                return seen


async def test_a_burst_of_appends_goes_over_in_batches_and_none_is_lost(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pump, "BURST_S", 1.0)  # every frame of the burst counts as buffered
    batches: list[int] = []
    original = Session.receive_texts

    def recording(self: Session, texts: list[str]) -> None:
        batches.append(len(texts))
        original(self, texts)

    monkeypatch.setattr(Session, "receive_texts", recording)
    quiet = audio_gen.silence(20)
    frames = [_append(quiet, f"a{i}") for i in range(300)]
    async with MockRealtimeServer() as server:
        events = await _burst(server, frames)
        (session,) = server.sessions
    assert events[-1]["type"] == "input_audio_buffer.committed"
    assert max(batches) > 1 and max(batches) <= pump.BATCH_MAX, batches
    assert sum(batches) <= 299  # the first frame of the burst went on its own
    appends = session.journal.received("input_audio_buffer.append")
    assert [entry.event["event_id"] for entry in appends] == [f"a{i}" for i in range(300)]


async def test_a_bug_on_one_held_frame_costs_that_frame_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pump, "BURST_S", 1.0)
    original = Session._receive_append

    def buggy(self: Session, audio: bytes | str, event_id: str | None, index: int) -> None:
        if event_id == "boom":  # after the frame was counted, as any bug of ours would be
            raise RuntimeError("a bug of ours")
        original(self, audio, event_id, index)

    monkeypatch.setattr(Session, "_receive_append", buggy)
    quiet = audio_gen.silence(20)
    frames = [_append(quiet, "boom" if i == 10 else f"a{i}") for i in range(40)]
    async with MockRealtimeServer() as server:
        events = await _burst(server, frames)
        (session,) = server.sessions
    assert [e["error"]["type"] for e in events if e["type"] == "error"] == ["server_error"]
    appends = session.journal.received("input_audio_buffer.append")
    assert [entry.event["event_id"] for entry in appends] == [f"a{i}" for i in range(40) if i != 10]


async def test_an_update_in_a_burst_is_not_held_and_keeps_its_place() -> None:
    quiet = audio_gen.silence(20)
    update = json.dumps({"type": "session.update", "session": {"type": "transcription"}})
    frames = [*[_append(quiet, f"a{i}") for i in range(20)], update]
    frames += [_append(quiet, f"b{i}") for i in range(20)]
    async with MockRealtimeServer(ServerConfig(ids=CountingIds)) as server:
        events = await _burst(server, frames)
        (session,) = server.sessions
    assert events[0]["type"] == "session.updated"
    kinds = [
        entry.event.get("event_id") or entry.event["type"] for entry in session.journal.received()
    ]
    assert kinds == [
        *(f"a{i}" for i in range(20)),
        "session.update",
        *(f"b{i}" for i in range(20)),
        "last",
    ]


def test_one_append_holding_two_turns_counts_each_turns_own_speech() -> None:
    # One piece of audio with two speeches: the first turn's speech is measured from its own
    # onset, not from the second's (where the detector stands once the piece is heard).
    pcm = audio_gen.tone(200, 220, -20) + audio_gen.silence(300) + audio_gen.tone(200, 220, -20)
    session = Session(ids=CountingIds())
    session.receive_text(json.dumps(_SHORT_TURNS))
    session.receive_text(_append(pcm + audio_gen.silence(400)))
    session.advance(5000)
    done = "conversation.item.input_audio_transcription.completed"
    transcripts = [e["transcript"] for e in session.events_to_send() if e["type"] == done]
    assert transcripts == ["turn 1: 0.20 s of speech", "turn 2: 0.20 s of speech"]

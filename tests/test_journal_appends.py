"""Accepted appends are journaled compactly (mockrt.core.journal.Journal.add_append): read back,
they are the same entries as before; kept, they cost a fraction of an Entry and leave the garbage
collector nothing to track (mockrt.core.appendlog). Other accepted frames of strict JSON are kept
as their text (``Journal.add_text``) and read back as the frame the client sent; so are the
server's events without a violation (``Journal.add_sent``), as the text that was sent."""

from __future__ import annotations

import base64
import gc
import json

from mockrt.core.journal import Entry, Journal, read_jsonl
from mockrt.core.session import Session

AUDIO = base64.b64encode(b"\x01\x00" * 480).decode()  # 20 ms of 24 kHz pcm16


def _append(event_id: str | None = None) -> str:
    event = {"type": "input_audio_buffer.append", "audio": AUDIO}
    if event_id is not None:
        event["event_id"] = event_id
    return json.dumps(event)


def test_a_compact_append_reads_back_as_the_entry_it_stands_for() -> None:
    session = Session()
    session.advance(20)
    session.receive_text(_append("evt_1"))
    session.receive_text(_append())
    first, second = session.journal.received("input_audio_buffer.append")
    assert first == Entry(
        "client",
        0.02,
        session.id,
        {
            "type": "input_audio_buffer.append",
            "audio": "<1280 base64 chars, 960 bytes>",
            "event_id": "evt_1",
        },
        0,
    )
    assert second.event == {
        "type": "input_audio_buffer.append",
        "audio": "<1280 base64 chars, 960 bytes>",
    }
    assert (second.index, second.direction) == (1, "client")
    assert session.journal.client_entry(1) == second


def test_journal_views_agree_on_order_and_count() -> None:
    session = Session()
    for _ in range(3):
        session.receive_text(_append())
    session.receive_text('{"type": "input_audio_buffer.clear"}')
    session.events_to_send()
    journal = session.journal
    entries = list(journal.entries)
    assert len(journal) == len(journal.entries) == len(entries)
    assert journal.entries[-2:] == entries[-2:]
    assert [e.index for e in journal.client()] == [0, 1, 2, 3]
    assert list(journal) == entries
    # written and read back, the journal is the same, appends included
    assert list(read_jsonl(journal.to_jsonl().splitlines())) == entries


def test_the_first_entry_carries_the_handshake_headers_even_when_it_is_an_append() -> None:
    journal = Journal(client_headers={"user-agent": "OpenAI/Python 3.57.0"})
    journal.add_append(0.0, "sess_1", 0, 1280, 960, None)
    journal.add_append(0.02, "sess_1", 1, 1280, 960, None)
    first, second = journal.entries
    assert first.client_headers == {"user-agent": "OpenAI/Python 3.57.0"}
    assert second.client_headers is None


def test_kept_appends_give_the_garbage_collector_nothing_to_track() -> None:
    session = Session()
    session.receive_text(_append())  # the detector and its first audio
    gc.collect()
    gc.disable()
    try:
        before = gc.get_count()[0]  # tracked objects made and still alive since the collection
        for _ in range(200):
            session.receive_text(_append())
        survivors = gc.get_count()[0] - before
    finally:
        gc.enable()
    assert len(session.journal.received("input_audio_buffer.append")) == 201
    assert survivors < 20  # not one per append: nothing pushes the collector to run


def test_an_append_costs_the_memory_bound_a_fraction_of_a_full_entry() -> None:
    compact, full = Journal(), Journal()
    for i in range(100):
        compact.add_append(i * 0.02, "sess_1", i, 1280, 960, None)
        form = {"type": "input_audio_buffer.append", "audio": "<1280 base64 chars, 960 bytes>"}
        full.add(Entry("client", i * 0.02, "sess_1", form, i), 64)  # as sessions added them
    assert compact.approx_bytes * 2 < full.approx_bytes


UPDATE = json.dumps(
    {
        "type": "session.update",
        "event_id": "evt_u",
        "session": {
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "whisper-1", "prompt": "é\u2028"}}},
            "include": ["item.input_audio_transcription.logprobs"],
        },
    }
)


def test_a_text_frame_reads_back_as_the_frame_the_client_sent() -> None:
    session = Session()
    session.advance(20)
    session.receive_text(UPDATE)
    session.receive_text('{"type": "input_audio_buffer.clear"}')
    update, clear = session.journal.client()
    assert update == Entry("client", 0.02, session.id, json.loads(UPDATE), 0)
    assert clear.event == {"type": "input_audio_buffer.clear"}
    assert session.journal.client_entry(1) == clear
    assert [e.type for e in session.journal.entries if e.direction == "client"] == [
        "session.update",
        "input_audio_buffer.clear",
    ]
    again = read_jsonl(session.journal.to_jsonl().splitlines())
    assert again.client()[0].event == json.loads(UPDATE)


def test_the_first_entry_carries_the_handshake_headers_even_when_it_is_a_text_frame() -> None:
    journal = Journal(client_headers={"user-agent": "OpenAI/Python 3.57.0"})
    journal.add_text(0.0, "sess_1", 0, UPDATE)
    journal.add_text(0.1, "sess_1", 1, UPDATE)
    first, second = journal.entries
    assert first.client_headers == {"user-agent": "OpenAI/Python 3.57.0"}
    assert second.client_headers is None
    assert first.event == second.event == json.loads(UPDATE)


def tracked_in(journal: Journal) -> int:
    """How many objects the garbage collector tracks that ``journal`` holds, at any depth."""
    seen, stack, count = {id(journal)}, [journal], 0
    while stack:
        for ref in gc.get_referents(stack.pop()):
            if id(ref) not in seen and gc.is_tracked(ref) and not isinstance(ref, type):
                seen.add(id(ref))
                stack.append(ref)
                count += 1
    return count


def test_kept_updates_and_their_replies_give_the_garbage_collector_nothing_to_track() -> None:
    session = Session()
    session.receive_text(UPDATE)
    session.texts_to_send()
    kept = tracked_in(session.journal)
    for _ in range(200):
        session.receive_text(UPDATE)
        session.texts_to_send()
    assert len(session.journal.received("session.update")) == 201
    assert len(session.journal.sent("session.updated")) == 201
    # each reply kept as an Entry and a dict: 400 more (and each update kept parsed: 8 more)
    assert tracked_in(session.journal) == kept


def _tone(loud: bool) -> str:
    """20 ms of a loud 440 Hz-ish square wave, or of silence, as an append."""
    wave = (b"\x00\x40" * 27 + b"\x00\xc0" * 27) * 9 if loud else b"\x00\x00" * 486
    return json.dumps(
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(wave[:960]).decode()}
    )


def test_spoken_turns_leave_the_garbage_collector_nothing_of_their_events() -> None:
    session = Session()
    session.receive_text(UPDATE)
    session.texts_to_send()
    kept = tracked_in(session.journal)
    turn = [_tone(True)] * 25 + [_tone(False)] * 75  # 0.5 s of speech, 1.5 s of silence
    for frame in turn * 10:
        session.advance(20)
        session.receive_text(frame)
        session.texts_to_send()
    sent = session.journal.sent()
    assert [e.type for e in sent].count("input_audio_buffer.committed") == 10
    assert len(sent) > 60
    assert tracked_in(session.journal) == kept  # kept as dicts in Entries: 210 more


def test_a_sent_event_reads_back_as_the_text_sent_and_an_error_keeps_its_violation() -> None:
    session = Session()
    texts = session.texts_to_send()  # session.created
    session.receive_text(UPDATE)
    texts += session.texts_to_send()
    session.receive_text('{"type": "input_audio_buffer.commit"}')  # nothing to commit: an error
    texts += session.texts_to_send()
    sent = session.journal.sent()
    assert [e.event for e in sent] == [json.loads(t) for t in texts]
    assert [e.index for e in sent] == [0, 1, 2]
    assert [e.type for e in sent] == ["session.created", "session.updated", "error"]
    assert [e.violation is not None for e in sent] == [False, False, True]
    assert session.journal.violations()[0].client_type == "input_audio_buffer.commit"
    assert list(read_jsonl(session.journal.to_jsonl().splitlines())) == list(session.journal)


def test_the_first_entry_carries_the_handshake_headers_even_when_it_is_a_sent_event() -> None:
    journal = Journal(client_headers={"user-agent": "OpenAI/Python 3.57.0"})
    journal.add_sent(0.0, "sess_1", 0, '{"type":"session.created"}')
    journal.add_sent(0.1, "sess_1", 1, '{"type":"session.updated"}')
    first, second = journal.server()
    assert first.client_headers == {"user-agent": "OpenAI/Python 3.57.0"}
    assert second.client_headers is None
    assert (first.direction, first.type, second.type) == (
        "server",
        "session.created",
        "session.updated",
    )

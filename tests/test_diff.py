"""mockrt diff over hand-made journals: ids bind like placeholders, timings within a tolerance,
and each kind of difference is named."""

from __future__ import annotations

from typing import Any

from mockrt.core.journal import CloseRecord, Entry, Journal
from mockrt.diagnosis.diff import Tolerance, diff_journals


def journal(
    *events: tuple[str, float, dict[str, Any]], close: int | None = 1000, session: str = "sess_A"
) -> Journal:
    counts = {"client": 0, "server": 0}
    out = Journal()
    for direction, t, event in events:
        out.add(Entry(direction, t, session, event, counts[direction]))  # type: ignore[arg-type]
        counts[direction] += 1
    if close is not None:
        out.closes.append(CloseRecord("client", 9.0, session, close, ""))
    return out


def created(sid: str, eid: str) -> tuple[str, float, dict[str, Any]]:
    return (
        "server",
        0.0,
        {"type": "session.created", "event_id": eid, "session": {"id": sid, "expires_at": 1}},
    )


def committed(
    eid: str, item: str, prev: str | None, t: float = 1.0
) -> tuple[str, float, dict[str, Any]]:
    return (
        "server",
        t,
        {
            "type": "input_audio_buffer.committed",
            "event_id": eid,
            "item_id": item,
            "previous_item_id": prev,
        },
    )


def delta(eid: str, item: str, text: str, t: float = 1.2) -> tuple[str, float, dict[str, Any]]:
    return (
        "server",
        t,
        {
            "type": "conversation.item.input_audio_transcription.delta",
            "event_id": eid,
            "item_id": item,
            "delta": text,
        },
    )


COMMIT = ("client", 0.9, {"type": "input_audio_buffer.commit"})


def test_captures_that_differ_only_in_ids_and_wall_clock_are_equal() -> None:
    a = journal(
        created("sess_A", "event_1"),
        COMMIT,
        committed("event_2", "item_1", None),
        delta("event_3", "item_1", "hi"),
    )
    b = journal(
        created("sess_Z", "event_x"),
        COMMIT,
        committed("event_y", "item_q", None),
        delta("event_z", "item_q", "hi"),
        session="sess_Z",
    )
    b.entries[0].event["session"]["expires_at"] = 99
    assert diff_journals(a, b) == []


def test_an_id_bound_once_must_match_ever_after() -> None:
    a = journal(committed("event_1", "item_1", None), delta("event_2", "item_1", "hi"))
    b = journal(committed("event_1", "item_1", None), delta("event_2", "item_2", "hi"))
    (d,) = diff_journals(a, b)
    assert d.kind == "field" and "/item_id" in d.detail and "bound otherwise" in d.detail


def test_a_different_delta_is_a_field_difference_with_both_values() -> None:
    a = journal(delta("event_1", "item_1", "hello"))
    b = journal(delta("event_1", "item_1", "hullo"))
    (d,) = diff_journals(a, b)
    assert (d.kind, d.direction, d.index_a, d.index_b) == ("field", "server", 0, 0)
    assert d.detail == '/delta: "hello" vs "hullo"'


def test_a_missing_event_is_one_difference_not_a_cascade() -> None:
    a = journal(
        committed("event_1", "item_1", None),
        delta("event_2", "item_1", "a"),
        delta("event_3", "item_1", "b"),
    )
    b = journal(committed("event_1", "item_1", None), delta("event_3", "item_1", "b"))
    found = diff_journals(a, b)
    assert [d.kind for d in found] == ["missing"], [str(d) for d in found]


def test_events_in_another_order_are_an_order_difference() -> None:
    err = ("server", 1.0, {"type": "error", "event_id": "event_9", "error": {"message": "m"}})
    a = journal(committed("event_1", "item_1", None), err)
    b = journal(err, committed("event_1", "item_1", None))
    assert "order" in [d.kind for d in diff_journals(a, b)]


def test_error_texts_and_close_codes_are_named() -> None:
    def err(text: str) -> tuple[str, float, dict[str, Any]]:
        return ("server", 1.0, {"type": "error", "event_id": "event_1", "error": {"message": text}})

    found = diff_journals(
        journal(err("Passing a realtime session update event"), close=1000),
        journal(err("Passing a realtime session update"), close=4000),
    )
    assert sorted(d.kind for d in found) == ["close", "error text"]


def test_times_and_ms_fields_match_within_the_tolerance_only() -> None:
    a = journal(
        ("server", 0.0, {"type": "input_audio_buffer.speech_started", "audio_start_ms": 100}),
        ("server", 1.0, {"type": "x"}),
    )
    b = journal(
        ("server", 0.0, {"type": "input_audio_buffer.speech_started", "audio_start_ms": 180}),
        ("server", 1.5, {"type": "x"}),
    )
    assert diff_journals(a, b) == []
    found = diff_journals(a, b, Tolerance(seconds=0.2, ms=50))
    assert sorted(d.kind for d in found) == ["field", "timing"]
    assert diff_journals(a, b, Tolerance(seconds=None, ms=100)) == []


def test_close_codes_are_skipped_when_one_side_recorded_none() -> None:
    assert diff_journals(journal(COMMIT, close=1000), journal(COMMIT, close=None)) == []
    found = diff_journals(journal(COMMIT, close=1000), journal(COMMIT, close=1011))
    assert [d.kind for d in found] == ["close"]


def test_a_session_only_one_capture_has_is_reported() -> None:
    two = journal(COMMIT)
    two.add(Entry("client", 0.0, "sess_B", {"type": "input_audio_buffer.commit"}, 0))
    found = diff_journals(journal(COMMIT), two)
    assert [(d.kind, d.session) for d in found] == [("extra", 2)]

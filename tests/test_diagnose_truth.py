"""What diagnose says must be true: byte counts, notes about commits and models, and audio sent
at the wrong sample rate (issue 13 items 6, 7, 9)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from mockrt.core.session import Session
from mockrt.diagnosis.analysis import diagnose
from mockrt.diagnosis.audiorate import RATE_RULE

from .audio_gen import silence, tone
from .conftest import make_session, send


def new(turn_detection: Any = None, model: str = "gpt-4o-transcribe") -> Session:
    session = make_session()
    session.events_to_send()
    audio_input = {"transcription": {"model": model}, "turn_detection": turn_detection}
    body = {"type": "transcription", "audio": {"input": audio_input}}
    (updated,) = send(session, {"type": "session.update", "session": body})
    assert updated["type"] == "session.updated"
    return session


def append(session: Session, chunk: bytes) -> None:
    frame = {"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
    session.receive_text(json.dumps(frame))


def run_out(session: Session) -> None:
    session.events_to_send()
    for _ in range(1000):
        due = session.next_event_due()
        if due is None:
            return
        session.advance_to(due)
        session.events_to_send()


# --- 7: byte counts ------------------------------------------------------------------------------


def test_appends_are_counted_in_real_bytes_not_base64_length() -> None:
    session = new()
    for _ in range(3):
        append(session, tone(100)[:3200])  # 3,200 bytes: base64 with "==" padding
    assert len(base64.b64encode(bytes(3200))) == 4268  # 4268 // 4 * 3 = 3201
    text = diagnose(session.journal).to_text()
    assert "x3, 3,200 bytes each" in text
    assert "3,201" not in text


# --- 9: notes that are true ----------------------------------------------------------------------


def test_no_never_committed_note_when_a_turn_was_committed_and_transcribed() -> None:
    session = new(model="gpt-realtime-whisper")
    append(session, tone(1000))
    send(session, {"type": "input_audio_buffer.commit"})
    append(session, silence(300))  # a client streaming on after its local VAD's commit
    run_out(session)
    report = diagnose(session.journal)
    assert report.sessions[0].transcripts and report.sessions[0].transcripts[0]
    titles = [n.title for n in report.sessions[0].notes]
    assert "Audio was never committed" not in titles
    assert not any("not transcribed" in t for t in titles)


def test_long_audio_after_the_last_commit_is_named_truthfully() -> None:
    session = new()
    append(session, tone(500))
    send(session, {"type": "input_audio_buffer.commit"})
    append(session, tone(1500))
    run_out(session)
    titles = [n.title for n in diagnose(session.journal).sessions[0].notes]
    assert "Audio after the last commit was not transcribed" in titles
    assert "Audio was never committed" not in titles


def test_audio_that_was_never_committed_is_still_named() -> None:
    session = new()
    append(session, tone(500))
    titles = [n.title for n in diagnose(session.journal).sessions[0].notes]
    assert "Audio was never committed" in titles


def test_a_model_set_by_a_rejected_update_is_explained_by_the_rejection() -> None:
    session = make_session()
    session.events_to_send()
    bad = {
        "type": "session.update",
        "event_id": "cfg",
        "session": {
            "type": "transcription",
            "audio": {
                "input": {
                    "transcription": {"model": "gpt-4o-transcribe"},
                    "turn_detection": {"type": "server_vad", "create_response": None},
                }
            },
        },
    }
    (error,) = send(session, bad)
    assert error["type"] == "error"
    session.receive_text(
        json.dumps(
            {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
            }
        )
    )
    append(session, tone(500))
    send(session, {"type": "input_audio_buffer.commit"})
    run_out(session)
    notes = diagnose(session.journal).sessions[0].notes
    titles = [n.title for n in notes]
    assert "No transcription model was configured" not in titles
    note = next(
        n for n in notes if n.title == "The update that set the transcription model was rejected"
    )
    assert "#1" in note.detail and '"gpt-4o-transcribe"' in note.detail
    assert "invalid_type" in note.detail and "expected boolean, got null." in note.detail


def test_no_model_at_all_is_still_named_as_such() -> None:
    session = make_session()
    session.events_to_send()
    send(
        session,
        {
            "type": "session.update",
            "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
        },
    )
    append(session, tone(500))
    send(session, {"type": "input_audio_buffer.commit"})
    titles = [n.title for n in diagnose(session.journal).sessions[0].notes]
    assert "No transcription model was configured" in titles


# --- 6: audio at the wrong rate ------------------------------------------------------------------


def stream_at(
    rate: int, *, seconds: float = 2.0, chunk_ms: int = 20, burst: bool = False
) -> Session:
    """A client streaming ``rate`` Hz 16-bit audio in real time (``burst``: all at once)."""
    session = new()
    chunk = tone(chunk_ms * 2)[: rate * 2 * chunk_ms // 1000]  # chunk_ms of audio at ``rate``
    for i in range(int(seconds * 1000 / chunk_ms)):
        if not burst:
            jitter = (i * 7) % 5 - 2  # a deterministic +-2 ms wobble, as a real sender has
            session.advance(chunk_ms + jitter if i else 0)
        append(session, chunk)
    return session


@pytest.mark.parametrize(
    ("rate", "name"), [(16000, "16 kHz"), (8000, "8 kHz"), (48000, "48 kHz"), (44100, "44.1 kHz")]
)
def test_audio_at_another_rate_streamed_in_real_time_is_a_problem_with_the_rate_and_fix(
    rate: int, name: str
) -> None:
    report = diagnose(stream_at(rate).journal)
    assert not report.conformant
    (problem,) = [p for p in report.sessions[0].problems if p.rule == RATE_RULE]
    assert name in problem.explanation.title and name in problem.what
    assert "24 kHz" in problem.explanation.fix
    assert "The live API sends no error for this" in report.to_text()


def test_24_khz_audio_in_real_time_is_fine() -> None:
    report = diagnose(stream_at(24000).journal)
    assert not [p for p in report.sessions[0].problems if p.rule == RATE_RULE]


@pytest.mark.parametrize("rate", [16000, 48000])
def test_a_burst_is_not_judged(rate: int) -> None:
    report = diagnose(stream_at(rate, burst=True).journal)
    assert not [p for p in report.sessions[0].problems if p.rule == RATE_RULE]


def test_a_stream_that_changes_pace_is_not_judged() -> None:
    session = new()
    chunk = tone(20)[:640]  # 16 kHz pace for the first half ...
    for i in range(60):
        session.advance(20 if i < 30 else 5)  # ... then a burst
        append(session, chunk)
    report = diagnose(session.journal)
    assert not [p for p in report.sessions[0].problems if p.rule == RATE_RULE]

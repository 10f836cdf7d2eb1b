"""Audio buffer accounting, VAD turns and scripted transcripts in the pure core."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from mockrt.contract.scriptfile import load_script, parse_script
from mockrt.core.options import Options
from mockrt.core.session import Session
from mockrt.core.transcriber import ScriptedTranscriber

from .audio_gen import silence, tone
from .conftest import make_session, send

DATA = Path(__file__).parent / "data"
EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "scripts"
PCM_BYTES_PER_MS = 48
DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"


def configure(session: Session, **audio_input: Any) -> None:
    reply = send(
        session,
        {
            "type": "session.update",
            "session": {"type": "transcription", "audio": {"input": audio_input}},
        },
    )
    assert reply[-1]["type"] == "session.updated", reply


def new(model: str = "gpt-4o-transcribe", script: Any = None, **audio_input: Any) -> Session:
    transcriber = ScriptedTranscriber(parse_script(script)) if script is not None else None
    session = make_session(transcriber=transcriber)
    session.events_to_send()
    configure(session, transcription={"model": model}, **audio_input)
    return session


def append(
    session: Session, audio: bytes, chunk_ms: float = 20, event_id: str | None = None
) -> None:
    step = int(chunk_ms * PCM_BYTES_PER_MS) // 2 * 2
    for start in range(0, len(audio), step):
        event: dict[str, Any] = {
            "type": "input_audio_buffer.append",
            "audio": base64.b64encode(audio[start : start + step]).decode(),
        }
        if event_id:
            event["event_id"] = event_id
        session.receive_text(json.dumps(event))


def do(session: Session, event: dict[str, Any]) -> None:
    """Feed a client event, leaving what it caused queued for ``run_out``."""
    session.receive_text(json.dumps(event))


def run_out(session: Session) -> list[dict[str, Any]]:
    """Everything the session will send, advancing the fake clock (never sleeping)."""
    events = session.events_to_send()
    for _ in range(1000):
        due = session.next_event_due()
        if due is None or session.close_request is not None:
            return events
        session.advance_to(due)
        events += session.events_to_send()
    raise AssertionError("events kept coming")


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


# --- buffer accounting ---------------------------------------------------------------------------


def test_append_is_never_acknowledged() -> None:
    session = new(turn_detection=None)
    append(session, silence(500))
    assert run_out(session) == []
    assert session.audio.buffered_ms == 500


def test_commit_of_less_than_100ms_gets_the_verbatim_error_and_no_committed() -> None:
    session = new(turn_detection=None)
    append(session, silence(50))
    events = send(session, {"type": "input_audio_buffer.commit", "event_id": "commit_1"})
    assert events == [
        {
            "type": "error",
            "event_id": "event_0003",
            "error": {
                "type": "invalid_request_error",
                "code": "input_audio_buffer_commit_empty",
                "message": "Error committing input audio buffer: buffer too small. Expected at "
                "least 100ms of audio, but buffer only has 50.00ms of audio.",
                "param": None,
                "event_id": "commit_1",
            },
        }
    ]
    assert "input_audio_buffer.committed" not in types(run_out(session))


def test_empty_commit_reports_zero_ms() -> None:
    session = new(turn_detection=None)
    (error,) = send(session, {"type": "input_audio_buffer.commit"})
    assert error["error"]["message"].endswith("buffer only has 0.00ms of audio.")


def test_manual_commit_produces_the_live_event_order_with_deltas_joining_to_transcript() -> None:
    session = new(turn_detection=None)
    append(session, tone(1240, 440, -20))
    do(session, {"type": "input_audio_buffer.commit", "event_id": "c1"})
    events = run_out(session)
    assert types(events)[:3] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    assert set(types(events)[3:-1]) == {DELTA}
    completed = events[-1]
    assert completed["type"] == COMPLETED
    assert completed["transcript"] == "turn 1: 1.24 s of speech"
    assert "".join(e["delta"] for e in events if e["type"] == DELTA) == completed["transcript"]
    assert events[0] == {
        "type": "input_audio_buffer.committed",
        "event_id": "event_0003",
        "previous_item_id": None,
        "item_id": "item_0001",
    }
    assert events[1]["item"] == {
        "id": "item_0001",
        "object": "realtime.item",
        "type": "message",
        "status": "completed",
        "role": "user",
        "content": [{"type": "input_audio", "transcript": None}],
    }
    assert "logprobs" not in completed


def test_previous_item_id_chains_commits() -> None:
    session = new(turn_detection=None)
    items = []
    for _ in range(3):
        append(session, silence(200))
        do(session, {"type": "input_audio_buffer.commit"})
        items.append(
            [e for e in run_out(session) if e["type"] == "input_audio_buffer.committed"][0]
        )
    assert [(c["previous_item_id"], c["item_id"]) for c in items] == [
        (None, "item_0001"),
        ("item_0001", "item_0002"),
        ("item_0002", "item_0003"),
    ]


def test_clear_answers_cleared_and_empties_the_buffer() -> None:
    session = new(turn_detection=None)
    append(session, silence(300))
    assert types(send(session, {"type": "input_audio_buffer.clear"})) == [
        "input_audio_buffer.cleared"
    ]
    (error,) = send(session, {"type": "input_audio_buffer.commit"})
    assert error["error"]["code"] == "input_audio_buffer_commit_empty"


@pytest.mark.parametrize(
    ("audio", "param", "fragment"),
    [("!!!!", "audio", "base64"), ("AA==", "audio", "2-byte samples")],
)
def test_bad_audio_gets_an_error_and_counts_nothing(audio: str, param: str, fragment: str) -> None:
    session = new(turn_detection=None)
    (error,) = send(
        session, {"type": "input_audio_buffer.append", "audio": audio, "event_id": "a1"}
    )
    assert (error["error"]["param"], error["error"]["event_id"]) == (param, "a1")
    assert fragment in error["error"]["message"]
    assert session.audio.buffered_ms == 0


def test_appends_over_15_mib_are_refused() -> None:
    session = make_session(options=Options(max_append_bytes=1000))
    session.events_to_send()
    (error,) = send(
        session,
        {"type": "input_audio_buffer.append", "audio": base64.b64encode(bytes(1002)).decode()},
    )
    assert "exceeds the maximum" in error["error"]["message"]


def test_g711_is_accounted_at_8_bytes_per_ms() -> None:
    session = new(turn_detection=None, format={"type": "audio/pcmu"})
    session.receive_text(
        json.dumps(
            {"type": "input_audio_buffer.append", "audio": base64.b64encode(b"\xff" * 800).decode()}
        )
    )
    assert session.audio.buffered_ms == 100
    do(session, {"type": "input_audio_buffer.commit"})
    assert "input_audio_buffer.committed" in types(run_out(session))


def test_no_transcription_model_means_no_transcript_events() -> None:
    session = make_session()
    session.events_to_send()
    configure(session, turn_detection=None)
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    assert types(run_out(session)) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]


# --- server VAD ----------------------------------------------------------------------------------


def test_server_vad_finds_a_tone_burst_with_padding_and_silence_included() -> None:
    session = new(
        turn_detection={
            "type": "server_vad",
            "threshold": 0.5,
            "prefix_padding_ms": 300,
            "silence_duration_ms": 500,
        }
    )
    append(session, silence(1000) + tone(1000, 440, -20) + silence(1000))
    events = run_out(session)
    assert events[:3] == [
        {
            "type": "input_audio_buffer.speech_started",
            "event_id": "event_0003",
            "audio_start_ms": 700,
            "item_id": "item_0001",
        },
        {
            "type": "input_audio_buffer.speech_stopped",
            "event_id": "event_0004",
            "audio_end_ms": 2500,
            "item_id": "item_0001",
        },
        {
            "type": "input_audio_buffer.committed",
            "event_id": "event_0005",
            "previous_item_id": None,
            "item_id": "item_0001",
        },
    ]
    assert events[-1]["transcript"] == "turn 1: 1.00 s of speech"
    # The 500 ms after the turn's end stay in the buffer.
    assert session.audio.buffered_ms == pytest.approx(500)


def test_audio_after_speech_is_uncommitted_until_the_next_turn() -> None:
    session = new(turn_detection={"type": "server_vad", "silence_duration_ms": 300})
    append(session, tone(500) + silence(400) + tone(500) + silence(400))
    events = run_out(session)
    committed = [e for e in events if e["type"] == "input_audio_buffer.committed"]
    assert [c["item_id"] for c in committed] == ["item_0001", "item_0002"]
    stops = [e["audio_end_ms"] for e in events if e["type"] == "input_audio_buffer.speech_stopped"]
    assert stops == [800, 1700]


def recording() -> bytes:
    return (DATA / "speech.pcm").read_bytes()


def session_events(audio: bytes, chunk_ms: float, **audio_input: Any) -> list[dict[str, Any]]:
    session = new(**audio_input)
    append(session, audio, chunk_ms)
    return run_out(session)


@pytest.mark.parametrize("chunk_ms", [10, 20, 50, 100, 333])
def test_real_speech_gives_the_same_events_whatever_the_chunk_size(chunk_ms: float) -> None:
    td = {
        "type": "server_vad",
        "threshold": 0.5,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 500,
    }
    events = session_events(recording(), chunk_ms, turn_detection=td)
    assert events == session_events(recording(), 20, turn_detection=td)
    marks = [
        (e["type"].rsplit(".", 1)[1], e.get("audio_start_ms", e.get("audio_end_ms")))
        for e in events
        if "speech_" in e["type"]
    ]
    # Ground truth in tests/data/README.md: phrases at 550-1980 ms and 3550-4970 ms.
    assert marks == [
        ("speech_started", 250),
        ("speech_stopped", 2480),
        ("speech_started", 3250),
        ("speech_stopped", 5470),
    ]
    transcripts = [e["transcript"] for e in events if e["type"] == COMPLETED]
    assert transcripts == ["turn 1: 1.43 s of speech", "turn 2: 1.42 s of speech"]


def test_two_runs_of_the_same_audio_give_identical_events() -> None:
    td = {"type": "semantic_vad", "eagerness": "high"}
    assert session_events(recording(), 50, turn_detection=td) == session_events(
        recording(), 50, turn_detection=td
    )


def test_semantic_vad_eagerness_changes_the_silence_window() -> None:
    audio = tone(500) + silence(400) + tone(500) + silence(1200)

    def stops(eagerness: str) -> int:
        events = session_events(
            audio, 20, turn_detection={"type": "semantic_vad", "eagerness": eagerness}
        )
        return sum(e["type"] == "input_audio_buffer.speech_stopped" for e in events)

    assert stops("high") == 2  # 250 ms window: the 400 ms pause ends a turn
    assert stops("low") == 1  # 1000 ms window: it does not


def test_idle_timeout_triggers_and_commits_the_silence() -> None:
    session = new(turn_detection={"type": "server_vad", "idle_timeout_ms": 1000})
    append(session, silence(1500))
    events = run_out(session)
    assert events[0] == {
        "type": "input_audio_buffer.timeout_triggered",
        "event_id": "event_0003",
        "audio_start_ms": 0,
        "audio_end_ms": 1000,
        "item_id": "item_0001",
    }
    assert events[1]["type"] == "input_audio_buffer.committed"


def test_manual_commit_during_speech_uses_the_announced_item_id() -> None:
    session = new(turn_detection={"type": "server_vad"})
    append(session, silence(300) + tone(600))
    started = [
        e for e in session.events_to_send() if e["type"] == "input_audio_buffer.speech_started"
    ]
    do(session, {"type": "input_audio_buffer.commit"})
    committed = [e for e in run_out(session) if e["type"] == "input_audio_buffer.committed"]
    assert committed[0]["item_id"] == started[0]["item_id"]


# --- models, transcripts and pacing --------------------------------------------------------------


def test_streaming_models_send_deltas_before_committed_with_the_item_id() -> None:
    session = new(
        "gpt-live-transcribe",
        script={"turns": [{"transcript": "one two three"}]},
        turn_detection=None,
    )
    configure(session, transcription={"model": "gpt-live-transcribe", "delay": "minimal"})
    append(session, tone(800))
    do(session, {"type": "input_audio_buffer.commit"})
    events = run_out(session)
    assert types(events) == [
        DELTA,
        DELTA,
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        DELTA,
        COMPLETED,
    ]
    assert {e["item_id"] for e in events if e["type"] == DELTA} == {"item_0001"}
    assert events[-1]["usage"] == {"type": "duration", "seconds": 1}


def test_logprobs_only_when_include_asks() -> None:
    session = new(turn_detection=None, script={"turns": [{"transcript": "Hi there"}] * 2})
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    assert all("logprobs" not in e for e in run_out(session))
    do(
        session,
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "include": ["item.input_audio_transcription.logprobs"],
            },
        },
    )
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    events = run_out(session)
    for e in events:
        if e["type"] in (DELTA, COMPLETED):
            assert e["logprobs"] and set(e["logprobs"][0]) == {"token", "bytes", "logprob"}


def test_events_are_paced_by_the_scripted_latencies() -> None:
    script = {
        "turns": [
            {
                "transcript": "a b",
                "latency_ms": {"first_delta": 200, "between_deltas": 100, "completed": 50},
            }
        ]
    }
    session = new(turn_detection=None, script=script)
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    assert types(session.events_to_send()) == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
    ]
    session.advance(199)
    assert session.events_to_send() == []
    session.advance(1)
    assert types(session.events_to_send()) == [DELTA]
    session.advance(100)
    assert types(session.events_to_send()) == [DELTA]
    session.advance(50)
    assert types(session.events_to_send()) == [COMPLETED]


def test_completions_follow_script_latencies_even_out_of_order() -> None:
    script = {
        "turns": [
            {"transcript": "slow", "latency_ms": {"first_delta": 900}},
            {"transcript": "fast", "latency_ms": {"first_delta": 10}},
        ]
    }
    session = new(turn_detection=None, script=script)
    for _ in range(2):
        append(session, silence(200))
        do(session, {"type": "input_audio_buffer.commit"})
    done = [e["transcript"] for e in run_out(session) if e["type"] == COMPLETED]
    assert done == ["fast", "slow"]


def test_a_failing_turn_sends_failed_instead_of_a_transcript() -> None:
    script = {"turns": [{"fail": {"code": "transcription_failed", "message": "No."}}]}
    session = new(turn_detection=None, script=script)
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    events = run_out(session)
    assert types(events)[-1] == "conversation.item.input_audio_transcription.failed"
    assert events[-1]["error"]["message"] == "No."
    assert DELTA not in types(events)


# --- faults --------------------------------------------------------------------------------------


def commits(session: Session, n: int) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for _ in range(n):
        append(session, silence(600))
        do(session, {"type": "input_audio_buffer.commit"})
        events += run_out(session)
    return events


def test_the_faults_example_script_drops_duplicates_delays_injects_and_closes() -> None:
    script = load_script(EXAMPLES / "faults.yaml")
    session = make_session(transcriber=ScriptedTranscriber(script))
    session.events_to_send()
    configure(session, transcription={"model": "gpt-4o-transcribe"}, turn_detection=None)
    events = commits(session, 4)
    assert "conversation.item.done" not in types(events)
    completed = [e for e in events if e["type"] == COMPLETED]
    assert completed[0] == completed[1]  # duplicated for turn 1
    assert "conversation.item.input_audio_transcription.failed" in types(events)
    injected = [e for e in events if e["type"] == "error"]
    assert injected[0]["error"]["code"] == "server_error"
    assert session.close_request == (4000, "bye")
    assert session.audio.transcriber.unused_turns == []  # type: ignore[attr-defined]


def test_close_after_the_nth_server_event() -> None:
    session = new(
        turn_detection=None,
        script={
            "faults": [{"close": {"code": 1011, "reason": "internal error"}, "after_event": 4}]
        },
    )
    append(session, silence(200))
    do(session, {"type": "input_audio_buffer.commit"})
    events = run_out(session)
    # session.created, session.updated were events 1 and 2; committed, item.added are 3 and 4
    assert types(events) == ["input_audio_buffer.committed", "conversation.item.added"]
    assert session.close_request == (1011, "internal error")

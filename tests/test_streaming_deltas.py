"""Streaming models send deltas in audio time, before committed (protocol.md §5.3), measured on
the injected clock with the speech recording (tests/data/README.md: phrase 1 is voiced from 550 to
1980 ms, phrase 2 from 3550 to 4970 ms)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from mockrt.contract.scriptfile import parse_script
from mockrt.core.session import Session
from mockrt.core.streaming import DELAY_MS, MS_PER_CHARACTER
from mockrt.core.transcriber import ScriptedTranscriber

from .audio_gen import silence
from .conftest import make_session, send

SPEECH = (Path(__file__).parent / "data" / "speech.pcm").read_bytes()
BYTES_PER_MS = 48
DELTA = "conversation.item.input_audio_transcription.delta"
COMPLETED = "conversation.item.input_audio_transcription.completed"
PHRASE_1 = "Hello from the mock server."
ONSET_1_MS = 550  # first voiced 10 ms frame of phrase 1


def streaming_session(
    model: str = "gpt-realtime-whisper", delay: str | None = None, script: Any = None
) -> Session:
    transcriber = None
    if script is not None:
        transcriber = ScriptedTranscriber(parse_script(script))
    session = make_session(transcriber=transcriber)
    session.events_to_send()
    transcription: dict[str, Any] = {"model": model}
    if delay is not None:
        transcription["delay"] = delay
    body = {"audio": {"input": {"transcription": transcription, "turn_detection": None}}}
    (updated,) = send(
        session, {"type": "session.update", "session": {"type": "transcription", **body}}
    )
    assert updated["type"] == "session.updated"
    return session


def stream(
    session: Session, audio: bytes, chunk_ms: int = 20
) -> list[tuple[float, dict[str, Any]]]:
    """Append ``audio`` in real time on the session clock; (clock ms, event) for what came."""
    out: list[tuple[float, dict[str, Any]]] = []
    step = chunk_ms * BYTES_PER_MS
    for start in range(0, len(audio), step):
        chunk = audio[start : start + step]
        session.advance(len(chunk) / BYTES_PER_MS)
        frame = {"type": "input_audio_buffer.append", "audio": base64.b64encode(chunk).decode()}
        session.receive_text(json.dumps(frame))
        out += [(session.now * 1000, e) for e in session.events_to_send()]
    return out


def commit(session: Session) -> list[tuple[float, dict[str, Any]]]:
    session.receive_text(json.dumps({"type": "input_audio_buffer.commit"}))
    out = [(session.now * 1000, e) for e in session.events_to_send()]
    for _ in range(100):
        due = session.next_event_due()
        if due is None:
            return out
        session.advance_to(due)
        out += [(session.now * 1000, e) for e in session.events_to_send()]
    raise AssertionError("events kept coming")


def phrase_1_run(chunk_ms: int = 20, delay: str | None = None) -> list[tuple[float, Any]]:
    session = streaming_session(delay=delay, script={"turns": [{"transcript": PHRASE_1}]})
    return stream(session, SPEECH[: 3000 * BYTES_PER_MS], chunk_ms) + commit(session)


def test_deltas_arrive_while_the_audio_arrives_before_committed() -> None:
    events = phrase_1_run()
    kinds = [e["type"] for _, e in events]
    committed = kinds.index("input_audio_buffer.committed")
    early = [(t, e) for t, e in events[:committed] if e["type"] == DELTA]
    assert len(early) == len(PHRASE_1.split()) - 1  # every delta but the last
    assert all(t < 3000 for t, _ in early)  # while the client was still streaming
    assert kinds[committed:] == [
        "input_audio_buffer.committed",
        "conversation.item.added",
        "conversation.item.done",
        DELTA,
        COMPLETED,
    ]
    deltas = [e["delta"] for _, e in events if e["type"] == DELTA]
    assert "".join(deltas) == PHRASE_1 == events[-1][1]["transcript"]
    assert {e["item_id"] for _, e in events if "item_id" in e} == {"item_0001"}


def test_each_delta_trails_the_speech_it_covers_by_the_delay() -> None:
    events = phrase_1_run(delay="low")
    early = [(t, e["delta"]) for t, e in events if e["type"] == DELTA][:-1]
    chars = 0
    for t, delta in early:
        chars += len(delta)
        # the speech that covers the delta began at the onset and is at least this long
        earliest = ONSET_1_MS + chars * MS_PER_CHARACTER + DELAY_MS["low"]
        assert t >= earliest - 20, (delta, t, earliest)
    assert early[0][0] <= ONSET_1_MS + 5 * MS_PER_CHARACTER + DELAY_MS["low"] + 40


def test_a_higher_delay_makes_the_text_trail_further() -> None:
    def first_delta_ms(delay: str) -> float:
        return next(t for t, e in phrase_1_run(delay=delay) if e["type"] == DELTA)

    minimal, medium, xhigh = (first_delta_ms(d) for d in ("minimal", "medium", "xhigh"))
    assert minimal < medium < xhigh
    assert medium - minimal == pytest.approx(DELAY_MS["medium"], abs=20)


def test_the_same_audio_and_chunking_give_the_same_events_at_the_same_times() -> None:
    assert phrase_1_run(20) == phrase_1_run(20)


def test_another_chunking_gives_the_same_text_within_one_chunk_of_time() -> None:
    fine, coarse = phrase_1_run(10), phrase_1_run(100)
    fine_deltas = [(t, e["delta"]) for t, e in fine if e["type"] == DELTA]
    coarse_deltas = [(t, e["delta"]) for t, e in coarse if e["type"] == DELTA]
    assert [d for _, d in fine_deltas] == [d for _, d in coarse_deltas]
    for (t_fine, _), (t_coarse, _) in zip(fine_deltas[:-1], coarse_deltas[:-1], strict=True):
        assert -1e-6 <= t_coarse - t_fine < 100


def test_silence_streams_nothing_and_transcribes_to_nothing() -> None:
    session = streaming_session()
    events = stream(session, silence(1000)) + commit(session)
    assert [e["type"] for _, e in events][0] == "input_audio_buffer.committed"
    assert events[-1][1]["transcript"] == ""


def test_the_default_text_of_a_streaming_turn_says_where_the_speech_began() -> None:
    session = streaming_session(delay="minimal")
    events = stream(session, SPEECH[: 3000 * BYTES_PER_MS]) + commit(session)
    assert events[-1][1]["transcript"] == "turn 1: speech from 0.55 s"
    assert events[0][1]["type"] == DELTA


def test_a_cleared_buffer_drops_the_streaming_turn() -> None:
    script = {"turns": [{"transcript": "never finished"}, {"transcript": "second"}]}
    session = streaming_session(delay="minimal", script=script)
    first = stream(session, SPEECH[: 1500 * BYTES_PER_MS])
    assert first and first[0][1]["item_id"] == "item_0001"
    send(session, {"type": "input_audio_buffer.clear"})
    second = stream(session, SPEECH[3000 * BYTES_PER_MS :]) + commit(session)
    completed = second[-1][1]
    assert completed["item_id"] != "item_0001" and completed["transcript"] == "second"


def test_a_fault_after_the_first_delta_fires_at_the_early_delta() -> None:
    script = {
        "turns": [
            {
                "transcript": PHRASE_1,
                "faults": [
                    {
                        "inject_error": {"type": "server_error", "message": "boom"},
                        "after": "first_delta",
                    }
                ],
            }
        ]
    }
    session = streaming_session(delay="minimal", script=script)
    events = stream(session, SPEECH[: 3000 * BYTES_PER_MS]) + commit(session)
    kinds = [e["type"] for _, e in events]
    assert kinds[:2] == [DELTA, "error"]
    assert kinds.count("error") == 1


def test_switching_only_the_model_to_a_streaming_one_starts_streaming() -> None:
    # The update keeps format and turn detection (both as before) and changes only the model:
    # the input buffer must still start metering speech for the streaming model.
    session = streaming_session(
        model="gpt-4o-transcribe", script={"turns": [{"transcript": PHRASE_1}]}
    )
    update = {"audio": {"input": {"transcription": {"model": "gpt-realtime-whisper"}}}}
    (updated,) = send(
        session, {"type": "session.update", "session": {"type": "transcription", **update}}
    )
    assert updated["type"] == "session.updated"
    events = stream(session, SPEECH[: 3000 * BYTES_PER_MS])
    assert any(e["type"] == DELTA for _, e in events)

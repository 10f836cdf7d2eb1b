"""The client checks (conformance/client_checks.py), the client cases (conformance/client_cases/)
and the verdicts (conformance/verdicts.py), over hand-built journals and runs: no sockets."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from conformance.casefile import CaseError
from conformance.client_checks import check_client, pacing_ratio
from conformance.clientcases import load_client_cases, select_client_cases
from conformance.clients import ClientRun, Problem, Transcript
from conformance.verdicts import REASON_LIMIT, judge

CREATED = {
    "type": "session.created",
    "event_id": "event_0001",
    "session": {
        "type": "transcription",
        "object": "realtime.transcription_session",
        "id": "sess_0001",
        "expires_at": 1796119295,
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "noise_reduction": None,
                "transcription": None,
                "turn_detection": None,
            }
        },
        "include": None,
    },
}
UPDATE = {
    "type": "session.update",
    "session": {
        "type": "transcription",
        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
    },
}


def server(event: dict[str, Any], at: float = 0.0) -> dict[str, Any]:
    return {"direction": "server", "time": at, "session": "sess_0001", "event": event}


def client(event: dict[str, Any], at: float = 0.0) -> dict[str, Any]:
    return {"direction": "client", "time": at, "session": "sess_0001", "event": event}


def append(ms: float, at: float, rate: int = 24_000) -> dict[str, Any]:
    """An append of ``ms`` of audio at ``rate`` (as the journal keeps it: its base64 length)."""
    size = int(ms * rate * 2 / 1000)
    return client(
        {"type": "input_audio_buffer.append", "audio": f"<{(size + 2) // 3 * 4} base64 chars>"}, at
    )


def rules(records: list[dict[str, Any]]) -> list[str]:
    return [v.rule for v in check_client(records)]


def paced(chunks: int, chunk_ms: float, every_s: float) -> list[dict[str, Any]]:
    return [append(chunk_ms, 0.1 + i * every_s) for i in range(chunks)]


def test_a_realtime_session_update_on_a_transcription_session_is_caught_with_its_type() -> None:
    realtime = {"type": "session.update", "session": {"type": "realtime", "instructions": ""}}
    (found,) = check_client([server(CREATED), client(realtime)])
    assert found.rule == "client:realtime-update-on-transcription"
    assert found.message == (
        "sent session.update with session.type 'realtime' on a transcription session"
    )


def test_a_transcription_session_update_on_a_transcription_session_is_clean() -> None:
    assert rules([server(CREATED), client(UPDATE), *paced(5, 100, 0.0)]) == []


def test_the_beta_transcription_session_update_on_a_ga_session_is_caught() -> None:
    beta = {"type": "transcription_session.update", "session": {"input_audio_format": "pcm16"}}
    assert "client:beta-shape-on-ga" in rules([server(CREATED), client(beta)])


def test_audio_appended_before_the_first_session_update_is_caught() -> None:
    found = check_client([server(CREATED), append(100, 0.1), client(UPDATE, 0.2)])
    assert [v.rule for v in found] == ["client:configure-first"]
    assert "1 append(s) before its first session.update" in found[0].message


def test_a_commit_under_100_ms_is_caught_and_one_of_100_ms_is_not() -> None:
    commit = {"type": "input_audio_buffer.commit"}
    short = [server(CREATED), client(UPDATE), append(60, 0.1), client(commit, 0.2)]
    assert rules(short) == ["client:commit-too-short"]
    enough = [server(CREATED), client(UPDATE), append(100, 0.1), client(commit, 0.2)]
    assert rules(enough) == []
    twice = [*enough, append(40, 0.3), client(commit, 0.4)]
    assert rules(twice) == ["client:commit-too-short"]


def test_16_khz_audio_paced_in_real_time_but_declared_as_24_khz_is_caught_from_the_timing() -> None:
    # 100 ms of 16 kHz audio a tenth of a second: 3200 bytes, which at 24 kHz claim 66.7 ms.
    records = [server(CREATED), client(UPDATE)] + [
        append(100 * 16 / 24, 0.1 + i * 0.1) for i in range(20)
    ]
    (found,) = check_client(records)
    assert found.rule == "client:audio-pacing"
    assert "0.67x real time" in found.message
    assert "16 kHz audio declared as 24 kHz" in found.message


def test_24_khz_audio_in_real_time_and_a_file_sent_at_once_both_pass_the_pacing_check() -> None:
    assert rules([server(CREATED), client(UPDATE), *paced(20, 100, 0.1)]) == []
    assert rules([server(CREATED), client(UPDATE), *paced(40, 100, 0.001)]) == []
    assert pacing_ratio([(0.0, 100.0)] * 3) is None  # too short to judge


def test_a_fast_sender_starved_now_and_then_by_a_busy_loop_passes_the_pacing_check() -> None:
    at, records = 0.1, []
    for i in range(20):
        records.append(append(100, at))
        at += 0.5 if i % 4 == 3 else 0.05  # slower than real time overall, fast in between
    assert rules([server(CREATED), client(UPDATE), *records]) == []


def test_a_client_frame_off_the_schema_is_caught_by_the_suites_invariant_library() -> None:
    found = check_client([server(CREATED), client({"type": "input_audio_buffer.append"})])
    assert found and all(v.direction == "client" for v in found)
    assert found[0].type == "input_audio_buffer.append"


def test_the_client_cases_load_with_unique_ids_and_the_scripted_transcripts_expected() -> None:
    cases = load_client_cases()
    assert [c.id for c in cases] == [f"C{i}" for i in range(1, len(cases) + 1)]
    assert len(cases) >= 10
    first = cases[0]
    assert first.expect.transcripts == ("Hello from the mock server.", "This is the second phrase.")
    assert [c.id for c in select_client_cases(cases, ["C1", "C1?"])] == ["C1", "C10", "C11"]
    assert [c.id for c in cases if c.inject] == ["C11"]
    faults = {type(f).__name__ for c in cases for f in c.script.faults}
    faults |= {type(f).__name__ for c in cases for t in c.script.turns for f in t.faults}
    assert faults == {"Close", "Delay", "Drop", "Duplicate", "InjectError"}


def test_a_bad_client_case_names_the_file_line_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "01-bad.yaml"
    bad.write_text(
        "title: Bad\ncases:\n  - id: C1\n    description: x\n    sources: []\n"
        "    certainty: sure\n    script: {turns: []}\n"
    )
    with pytest.raises(CaseError) as caught:
        load_client_cases(tmp_path)
    assert str(caught.value).startswith(f"{bad}:5: ")
    worse = tmp_path / "01-bad.yaml"
    worse.write_text(
        "title: Bad\ncases:\n  - id: C1\n    description: x\n    sources: [{ref: docs/protocol.md"
        " §5, seen: '2026-11'}]\n    certainty: inferred\n    script: {turns: [{}]}\n"
    )
    with pytest.raises(CaseError, match="a turn needs 'transcript'"):
        load_client_cases(tmp_path)


CASE = load_client_cases()[0]
PHRASES = list(CASE.expect.transcripts)


def a_run(*texts: str, **fields: Any) -> ClientRun:
    run = ClientRun("raw-ga", "mock", **fields)
    run.finals += [Transcript(t, 0.1 * i, f"item_{i}") for i, t in enumerate(texts)]
    return run


def test_a_run_with_every_transcript_once_and_in_order_is_ok() -> None:
    assert judge(CASE, a_run(*PHRASES), []).verdict == "OK"


def test_a_missing_transcript_fails_and_says_which_and_the_first_error() -> None:
    run = a_run(PHRASES[0], errors=[Problem("server_error", "boom", 0.2)])
    verdict = judge(CASE, run, [])
    assert verdict.verdict == "FAILED"
    assert verdict.reason == (
        "the application got 1 of 2 transcripts (missing 'This is the second phrase.'); "
        "first error: server_error: boom"
    )


def test_a_duplicated_or_reordered_transcript_is_non_strict_with_the_reason() -> None:
    duplicated = judge(CASE, a_run(PHRASES[0], *PHRASES), [])
    assert (duplicated.verdict, duplicated.reason) == (
        "NON-STRICT",
        "showed 'Hello from the mock server.' more than once",
    )
    reordered = judge(CASE, a_run(*reversed(PHRASES)), [])
    assert reordered.verdict == "NON-STRICT" and "completion order" in reordered.reason


def test_a_severe_rule_fails_even_when_the_transcripts_arrived() -> None:
    realtime = {"type": "session.update", "session": {"type": "realtime"}}
    found = check_client([server(CREATED), client(realtime)])
    verdict = judge(CASE, a_run(*PHRASES), found)
    assert verdict.verdict == "FAILED"
    assert verdict.reason == (
        "sent session.update with session.type 'realtime' on a transcription session"
    )


def test_a_driver_that_cannot_run_is_unimplemented_with_its_reason() -> None:
    run = ClientRun("pipecat", "mock", unimplemented="pipecat-ai[openai] does not import")
    verdict = judge(CASE, run, [])
    assert (verdict.verdict, verdict.reason) == (
        "UNIMPLEMENTED",
        "pipecat-ai[openai] does not import",
    )


def test_the_checks_cases_verdicts_and_report_load_no_socket_or_event_loop_library() -> None:
    pure = ["client_checks", "clientcases", "verdicts", "matrix_report"]
    code = (
        "import sys\n"
        + "".join(f"import conformance.{m}\n" for m in pure)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('asyncio', 'aiohttp', 'websockets')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_a_reason_is_one_line_even_when_a_library_error_runs_to_pages() -> None:
    message = "1 validation error for tagged-union\n" + "  Input tag 'x' found\n" * 100
    verdict = judge(CASE, a_run(errors=[Problem("error", message, 0.1)]), [])
    assert verdict.verdict == "FAILED"
    assert "\n" not in verdict.reason and len(verdict.reason) == REASON_LIMIT
    assert verdict.reason.endswith("...")

"""Diagnosis, pure: journals in, fingerprints, problems and fixes out. No sockets here."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mockrt.core import errors
from mockrt.core.errors import ErrorDetail, Rule
from mockrt.core.journal import Entry, Journal, read_jsonl
from mockrt.core.session import Session
from mockrt.diagnosis.analysis import diagnose
from mockrt.diagnosis.catalogue import EXPLANATIONS
from mockrt.diagnosis.describe import describe_event
from mockrt.diagnosis.explanations import infer_rule
from mockrt.diagnosis.findings import Connection, RunInfo
from tests import audio_gen

from .conftest import make_session

EVIDENCE = Path(__file__).parent / "data" / "evidence"
RULE_TEXT = "Passing a realtime session update event to a transcription session is not allowed."


def evidence(name: str) -> Any:
    return json.loads((EVIDENCE / name).read_text())


def run_frames(frames: list[Any], session: Session | None = None, ms: float = 2000) -> Session:
    """Feed client frames (dicts are JSON-encoded) to a pure Session; drain every reply."""
    session = session or make_session()
    session.events_to_send()
    for frame in frames:
        session.receive_text(frame if isinstance(frame, str) else json.dumps(frame))
        session.events_to_send()
    session.advance(ms)
    session.events_to_send()
    return session


def runner_frames() -> list[Any]:
    return [step["event"] for step in evidence("agents-sdk-0.24-sends.json")["client_sent"]]


def appends(pcm: bytes, chunk_ms: int = 100) -> list[dict[str, str]]:
    step = 48 * chunk_ms
    return [
        {"type": "input_audio_buffer.append", "audio": audio_gen.to_b64(pcm[i : i + step])}
        for i in range(0, len(pcm), step)
    ]


def transcription_update(**audio_input: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "format": {"type": "audio/pcm", "rate": 24000},
        "transcription": {"model": "gpt-4o-transcribe", "language": "en"},
    }
    base.update(audio_input)
    return {
        "type": "session.update",
        "session": {"type": "transcription", "audio": {"input": base}},
    }


# --- the reported case ----------------------------------------------------------------------------


def test_realtime_runner_journal_is_fingerprinted_and_gets_both_fixes() -> None:
    report = diagnose(run_frames(runner_frames()).journal)
    (session,) = report.sessions
    assert session.kind == "transcription"
    assert session.client is not None
    assert session.client.client == "agents-realtime-runner"
    assert session.client.confidence == "high"
    assert any("tracing" in ev for ev in session.client.evidence)
    (problem,) = session.problems
    assert problem.rule == Rule.REALTIME_UPDATE_ON_TRANSCRIPTION
    assert problem.events == (0, 1)
    assert problem.error == {
        "type": "invalid_request_error",
        "code": "invalid_parameter",
        "message": RULE_TEXT,
        "param": "",
    }
    why, fix = problem.explanation.why, problem.explanation.fix
    assert "always configures a conversation session" in why
    assert "agents.voice" in fix and "OpenAISTTModel" in fix
    assert 'client.realtime.connect(extra_query={"intent": "transcription"})' in fix
    assert '"type": "transcription"' in fix
    assert "examples/agents_voice_stt.py" in problem.explanation.see
    assert not report.conformant and report.exit_code == 1


def test_realtime_runner_text_report_reads_what_why_and_how() -> None:
    text = diagnose(run_frames(runner_frames()).journal).to_text()
    assert text.startswith("mockrt diagnose: NOT CONFORMANT")
    assert "OpenAI Agents SDK RealtimeRunner" in text
    assert "#1  +0.000s  session.update  <-- problem 1" in text
    assert 'model="gpt-realtime-2.1"' in text and 'tracing="auto"' in text
    assert RULE_TEXT in text.replace("\n    ", " ")
    for heading in ("What happened:", "Why:", "How to fix:"):
        assert heading in text


def test_live_capture_without_violations_is_inferred_and_order_is_evidence() -> None:
    """The user's capture: the client frame came before session.created; no annotations."""
    live = evidence("agents-runner-on-transcription.json")["server_sent"]
    frames = runner_frames()
    journal = Journal(
        [
            Entry("client", 0.01, "sess_live", frames[0], 0),
            Entry("server", 0.02, "sess_live", live[0], 0),
            Entry("server", 0.03, "sess_live", live[1], 1),
            Entry("client", 0.04, "sess_live", frames[1], 1),
        ]
    )
    (session,) = diagnose(journal).sessions
    assert session.client is not None and session.client.client == "agents-realtime-runner"
    assert any("before session.created" in ev for ev in session.client.evidence)
    (problem,) = session.problems
    assert problem.rule == Rule.REALTIME_UPDATE_ON_TRANSCRIPTION
    assert problem.events == (0,)


# --- conformant clients --------------------------------------------------------------------------


def test_manual_commit_client_is_conformant_and_gets_its_transcript() -> None:
    pcm = audio_gen.tone(1000, 440) + audio_gen.silence(700)
    frames = [transcription_update(turn_detection=None), *appends(pcm)]
    frames.append({"type": "input_audio_buffer.commit"})
    report = diagnose(run_frames(frames).journal)
    assert report.conformant and report.exit_code == 0
    (session,) = report.sessions
    assert session.problems == () and session.notes == ()
    assert session.client is not None and session.client.client == "raw"
    assert session.transcripts == ("turn 1: 1.70 s of speech",)
    assert [line.type for line in session.events] == [
        "session.update",
        "input_audio_buffer.append",
        "input_audio_buffer.commit",
    ]
    assert session.events[1].summary == "x17, 4,800 bytes each, 1.70 s of audio in all"
    assert "CONFORMANT - 1 session, no problems" in report.to_text()


def test_agents_stt_final_commit_error_is_tolerated() -> None:
    """OpenAISTTModel's end-of-input commit after VAD already committed earns
    input_audio_buffer_commit_empty, which the SDK ignores by design."""
    pcm = audio_gen.tone(1000, 440) + audio_gen.silence(500)
    frames: list[Any] = [
        transcription_update(turn_detection={"type": "semantic_vad"}),
        *appends(pcm, chunk_ms=1500),
        {"type": "input_audio_buffer.commit", "event_id": "0f" * 16},
        {"type": "input_audio_buffer.clear"},
    ]
    report = diagnose(run_frames(frames).journal)
    (session,) = report.sessions
    assert session.client is not None and session.client.client == "agents-voice-stt"
    (problem,) = session.problems
    assert problem.rule == Rule.COMMIT_EMPTY and problem.tolerated
    assert report.conformant
    assert "(tolerated)" in report.to_text()


@pytest.mark.parametrize(
    ("frames", "client"),
    [
        pytest.param(
            [
                transcription_update(
                    turn_detection={
                        "type": "server_vad",
                        "threshold": 0.5,
                        "prefix_padding_ms": 600,
                        "silence_duration_ms": 350,
                    }
                ),
                *appends(audio_gen.silence(500), chunk_ms=50),
            ],
            "livekit",
            id="livekit",
        ),
        pytest.param(
            [
                transcription_update(
                    transcription={"model": "gpt-realtime-whisper"}, turn_detection=None
                )
            ],
            "pipecat",
            id="pipecat",
        ),
        pytest.param(
            [{"type": "session.update", "session": {"type": "realtime"}}],
            "conversation-client",
            id="conversation",
        ),
        pytest.param([transcription_update()], "raw", id="raw"),
    ],
)
def test_clients_are_recognised_from_their_traffic(frames: list[Any], client: str) -> None:
    (session,) = diagnose(run_frames(frames).journal).sessions
    assert session.client is not None and session.client.client == client
    assert session.client.evidence


# --- rules and explanations ----------------------------------------------------------------------


@pytest.mark.parametrize("rule", list(Rule))
def test_every_rule_has_a_cause_and_a_fix(rule: Rule) -> None:
    explanation = EXPLANATIONS[rule.value]
    assert explanation.title and len(explanation.why) > 40 and len(explanation.fix) > 20


DETAILS: list[ErrorDetail] = [
    errors.realtime_update_on_transcription(),
    errors.realtime_update_on_transcription("later"),
    errors.transcription_update_on_realtime(),
    errors.invalid_json("Expecting value"),
    errors.binary_frame(),
    errors.not_an_object("an array"),
    dataclasses.replace(  # the mock journals this one as invalid-value
        errors.invalid_value("type", "bogus", ["session.update"]), rule=Rule.UNKNOWN_EVENT_TYPE
    ),
    errors.unsupported_in_transcription("response.create"),
    errors.unknown_parameter("session.tools"),
    errors.missing_required_parameter("session.type"),
    errors.invalid_value("session.audio.input.noise_reduction.type", "x", ["near_field"]),
    errors.invalid_type("session.include", "an array", "a string"),
    errors.out_of_range("session.audio.input.turn_detection.threshold", "decimal", True, 1, 2),
    errors.turn_detection_not_supported(),
    errors.prompt_not_supported("gpt-realtime-whisper"),
    errors.commit_empty(0.0),
    errors.invalid_base64(),
    errors.partial_sample(3, 2),
    errors.audio_too_large(20_000_000, 15 * 1024 * 1024),
    errors.beta_api_shape_disabled(),
    errors.model_parameter_for_transcription(),
    errors.model_not_supported_in_transcription("gpt-4o-transcribe"),
    errors.session_expired(60),
    errors.server_error(),
]


@pytest.mark.parametrize("detail", DETAILS, ids=lambda d: d.rule.value)
def test_rule_is_inferred_from_the_error_a_capture_holds(detail: ErrorDetail) -> None:
    assert infer_rule(detail.wire(None)) == detail.rule.value
    unknown = infer_rule({"type": "invalid_request_error", "code": "x", "message": "?"})
    assert unknown == "unclassified-error"


def test_every_rule_appears_in_the_inference_table() -> None:
    assert {d.rule for d in DETAILS} == set(Rule)


# --- shapes --------------------------------------------------------------------------------------


def test_json_report_has_sessions_client_events_problems_and_fixes() -> None:
    report = diagnose(run_frames(runner_frames()).journal)
    data = json.loads(json.dumps(report.to_json()))
    assert set(data) == {
        "conformant",
        "exit_code",
        "problems",
        "sessions",
        "refused_connections",
        "notes",
        "run",
        "connections",
    }
    assert (data["conformant"], data["exit_code"], data["problems"]) == (False, 1, 1)
    (session,) = data["sessions"]
    assert session["client"]["client"] == "agents-realtime-runner"
    assert session["client"]["confidence"] == "high"
    assert [e["type"] for e in session["client_events"]] == ["session.update"] * 2
    assert session["client_events"][0]["problems"] == [1]
    (problem,) = session["problems"]
    assert problem["rule"] == "realtime-update-on-transcription-session"
    assert problem["error"]["message"] == RULE_TEXT
    assert [e["number"] for e in problem["client_events"]] == [1, 2]
    assert {"what_happened", "why", "fix", "see", "tolerated"} <= set(problem)
    assert "agents.voice" in problem["fix"]


def test_journal_round_trips_through_jsonl_with_the_same_diagnosis() -> None:
    journal = run_frames(runner_frames()).journal
    again = read_jsonl(journal.to_jsonl().splitlines())
    assert diagnose(again).to_json() == diagnose(journal).to_json()


def test_no_traffic_is_not_conformant_and_says_why() -> None:
    report = diagnose(Journal(), run=RunInfo(("python", "app.py"), 0, False, 30.0, 0.5))
    assert not report.conformant and report.exit_code == 1
    assert "never reached the mock" in report.to_text()


def test_refused_beta_handshake_is_a_problem_with_the_ga_mapping() -> None:
    detail = errors.beta_api_shape_disabled()
    conn = Connection(
        0.1,
        "GET",
        "/v1/realtime",
        (("intent", "transcription"),),
        101,
        beta_header=True,
        error=detail.wire(None),
        rule=detail.rule.value,
    )
    report = diagnose(Journal(), connections=[conn])
    (refused,) = report.refused
    assert refused.problem.rule == "beta-api-shape"
    assert "OpenAI-Beta: realtime=v1" in refused.problem.what
    assert 'input_audio_format "pcm16"' in refused.problem.explanation.fix
    assert not report.conformant
    text = report.to_text()
    assert "beta_api_shape_disabled" in text and "then close 4000" in text


def test_program_failure_with_conformant_traffic_exits_1_with_its_own_message() -> None:
    frames = [transcription_update(turn_detection=None)]
    run = RunInfo(("python", "app.py"), 3, False, 30.0, 1.0)
    report = diagnose(run_frames(frames).journal, run=run)
    assert report.conformant and report.exit_code == 1
    assert "did not finish cleanly" in report.to_text()


def test_appends_are_described_by_size_and_updates_by_key_fields() -> None:
    assert describe_event({"type": "input_audio_buffer.commit", "event_id": "c1"}) == (
        'event_id="c1"'
    )
    update = describe_event(transcription_update(turn_detection={"type": "server_vad"}))
    assert update == (
        'session.type="transcription", format=audio/pcm@24000, '
        'transcription(model="gpt-4o-transcribe", language="en"), turn_detection=server_vad'
    )


def test_diagnosis_modules_import_neither_aiohttp_nor_websockets_nor_asyncio() -> None:
    code = (
        "import pkgutil, sys\nimport mockrt.diagnosis\n"
        "names = [m.name for m in pkgutil.iter_modules(mockrt.diagnosis.__path__)]\n"
        "for name in names:\n    __import__('mockrt.diagnosis.' + name)\n"
        "assert {'analysis', 'findings', 'fingerprints', 'render', 'report'} <= set(names), names\n"
        "print(sorted(m for m in sys.modules\n"
        "             if m.split('.')[0] in ('aiohttp', 'websockets', 'asyncio')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_advice_notes_name_what_kept_transcripts_from_arriving() -> None:
    pcm = audio_gen.tone(500, 440)
    never_committed = [transcription_update(turn_detection=None), *appends(pcm)]
    (session,) = diagnose(run_frames(never_committed).journal).sessions
    assert [n.title for n in session.notes] == ["Audio was never committed"]
    assert session.conformant  # advice, not a broken rule
    no_model = {
        "type": "session.update",
        "session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}},
    }
    frames = [no_model, *appends(pcm), {"type": "input_audio_buffer.commit"}]
    (session,) = diagnose(run_frames(frames).journal).sessions
    assert [n.title for n in session.notes] == ["No transcription model was configured"]

"""Every client driver in conformance/clients/ runs once against the in-process mock, with the
two phrases of tests/data/speech.pcm and a two-turn script, and the tests check what the
application saw (and, where it tells the story, what the mock received)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from conformance.clients import Audio, ClientRun, Plan, Target, drivers, run_client
from mockrt.core.script import Script, Turn
from mockrt.serve.testing import MockRealtimeServer

SPEECH = Audio((Path(__file__).parent / "data" / "speech.pcm").read_bytes(), "speech.pcm")
PHRASES = ["Hello from the mock server.", "This is the second phrase."]
SCRIPT = Script(turns=tuple(Turn(transcript=text) for text in PHRASES))
# Generous waits: the test stops as soon as both transcripts are in; idle_s only bounds runs
# that never get them.
PLAN = Plan(idle_s=3.0, timeout_s=20.0)
RULE = "Passing a realtime session update event to a transcription session is not allowed."


async def run_on_mock(
    name: str, plan: Plan = PLAN, **config: Any
) -> tuple[ClientRun, MockRealtimeServer]:
    async with MockRealtimeServer.from_options(script=SCRIPT, **config) as server:
        run = await run_client(name, Target.mock(server), SPEECH, plan)
    return run, server


def assert_clean_transcripts(run: ClientRun) -> None:
    assert run.unimplemented is None
    assert run.transcripts == PHRASES, run
    assert run.errors == [] and run.exceptions == [], run


def test_every_client_of_the_matrix_has_a_driver() -> None:
    assert set(drivers()) == {
        "agents-runner-default",
        "agents-runner-intent",
        "agents-voice-stt",
        "livekit",
        "openai-sdk",
        "pipecat",
        "pipecat-server-vad",
        "raw-beta",
        "raw-ga",
    }
    for driver in drivers().values():
        assert driver.library and driver.summary


def test_a_target_from_a_suite_endpoint_points_the_clients_at_its_v1_routes() -> None:
    endpoint = SimpleNamespace(
        ws_base="ws://127.0.0.1:9/p", http_base="http://127.0.0.1:9/p", key="k"
    )
    target = Target.from_endpoint("ws://127.0.0.1:9/p", endpoint)
    assert target.transcription_url == "ws://127.0.0.1:9/p/v1/realtime?intent=transcription"
    assert (target.http_base, target.headers) == (
        "http://127.0.0.1:9/p/v1",
        {"Authorization": "Bearer k"},
    )


async def test_raw_ga_client_gets_the_scripted_transcripts() -> None:
    run, server = await run_on_mock("raw-ga")
    assert_clean_transcripts(run)
    assert "".join(t.text for t in run.interim[:3]) != ""
    (session,) = server.sessions
    assert session.journal.received()[0].event["session"]["type"] == "transcription"


async def test_raw_beta_client_is_refused_with_beta_api_shape_disabled_on_the_default_persona() -> (
    None
):
    run, _ = await run_on_mock("raw-beta")
    assert [e.code for e in run.errors] == ["beta_api_shape_disabled"]
    assert run.closed is not None and run.closed.startswith("4000")
    assert run.transcripts == []


async def test_raw_beta_client_gets_the_scripted_transcripts_on_the_beta_persona() -> None:
    run, server = await run_on_mock("raw-beta", persona="beta")
    assert_clean_transcripts(run)
    (session,) = server.sessions
    assert session.journal.received()[0].type == "transcription_session.update"


async def test_openai_sdk_client_gets_the_scripted_transcripts() -> None:
    run, _ = await run_on_mock("openai-sdk")
    assert_clean_transcripts(run)
    assert run.timings["created"] <= run.timings["updated"] <= run.timings["first_final"]


async def test_agents_voice_stt_client_gets_the_scripted_transcripts() -> None:
    run, server = await run_on_mock("agents-voice-stt")
    assert_clean_transcripts(run)
    assert run.closed == "session_ended"
    (session,) = server.sessions
    assert session.journal.violations() == []


async def test_agents_runner_on_the_transcription_intent_sees_the_realtime_update_error() -> None:
    run, server = await run_on_mock("agents-runner-intent")
    assert [(e.code, e.message) for e in run.errors] == [("invalid_parameter", RULE)] * 2
    (session,) = server.sessions
    assert session.intent == "transcription"
    assert [v.rule for v in session.journal.violations()] == [
        "realtime-update-on-transcription-session"
    ] * 2


async def test_agents_runner_with_its_defaults_gets_a_conversation_session_and_no_error() -> None:
    # The mock transcribes no audio on a conversation session, so the application waits idle.
    run, server = await run_on_mock("agents-runner-default", plan=Plan(idle_s=1.0))
    assert run.unimplemented is None
    assert run.errors == [] and run.exceptions == [], run
    (session,) = server.sessions
    assert session.intent == "realtime"
    assert session.journal.violations() == []


async def test_livekit_client_pointed_at_the_mock_meets_the_model_parameter_refusal() -> None:
    # livekit-plugins-openai adds ?model= for any host but api.openai.com; the live API refuses
    # ?model= next to intent=transcription. Pointed at api.openai.com through a redirect, the
    # plugin leaves it out (Target.redirect).
    run, _ = await run_on_mock("livekit")
    assert [e.code for e in run.errors] == ["invalid_model"]
    assert 'Model "gpt-4o-transcribe" is not supported in transcription mode' in (
        run.errors[0].message
    )
    assert [e.code for e in run.exceptions] == ["APIError"]
    assert run.transcripts == []


async def test_pipecat_with_local_vad_commits_each_turn_and_gets_the_scripted_transcripts() -> None:
    run, server = await run_on_mock("pipecat")
    assert_clean_transcripts(run)
    (session,) = server.sessions
    update = session.journal.received("session.update")[0].event
    assert update["session"]["audio"]["input"]["turn_detection"] is None
    assert len(session.journal.received("input_audio_buffer.commit")) == 2


async def test_pipecat_with_server_vad_gets_the_scripted_transcripts_from_server_turns() -> None:
    run, server = await run_on_mock("pipecat-server-vad")
    assert_clean_transcripts(run)
    (session,) = server.sessions
    update = session.journal.received("session.update")[0].event
    assert update["session"]["audio"]["input"]["turn_detection"] == {"type": "server_vad"}
    assert session.journal.received("input_audio_buffer.commit") == []


async def test_a_driver_whose_library_does_not_import_is_unimplemented_with_the_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [m for m in sys.modules if m == "pipecat" or m.startswith("pipecat.")]:
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.setitem(sys.modules, "pipecat", None)
    async with MockRealtimeServer() as server:
        run = await run_client("pipecat", Target.mock(server), SPEECH, PLAN)
        assert server.sessions == []
    assert run.unimplemented is not None
    assert run.unimplemented.startswith("pipecat-ai[openai] does not import (pipecat")
    assert run.summary().startswith("pipecat on mock: UNIMPLEMENTED (")
    assert run.transcripts == [] and run.exceptions == []


async def test_livekit_client_redirected_from_api_openai_com_gets_the_scripted_transcripts() -> (
    None
):
    redirect = pytest.importorskip(
        "mockrt.serve.redirect", reason="needs the redirect of api.openai.com (mockrt_redirect)"
    )
    async with MockRealtimeServer.from_options(script=SCRIPT) as server:
        target = dataclasses.replace(
            Target.mock(server),
            redirect=lambda: redirect.mockrt_redirect(server, block_network=True),
        )
        run = await run_client("livekit", target, SPEECH, PLAN)
    assert_clean_transcripts(run)
    (session,) = server.sessions
    assert server.problems() == []
    update = session.journal.received("session.update")[0].event
    assert update["session"]["audio"]["input"]["transcription"]["model"] == PLAN.model

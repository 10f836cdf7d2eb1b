"""Diagnosis of beta-era clients: each beta field mapped to its GA place, as the core maps it."""

from __future__ import annotations

from mockrt.core.beta import BetaTranscriptionSessionRequest, ga_request_from_beta
from mockrt.core.errors import Rule
from mockrt.diagnosis.analysis import diagnose
from mockrt.diagnosis.betamap import BETA_FIELDS, beta_to_ga
from tests.test_diagnose import evidence, run_frames


def test_beta_client_journal_gets_each_field_mapped_to_ga() -> None:
    frames = evidence("forum-beta-transcription-session-update.json")["client_sent"]
    report = diagnose(run_frames(frames).journal)
    (session,) = report.sessions
    assert session.client is not None and session.client.client == "beta"
    assert not session.conformant
    fix = session.problems[0].explanation.fix
    for line in (
        "transcription_session.update -> session.update",
        'input_audio_format "pcm16" -> audio.input.format {"type": "audio/pcm", "rate": 24000}',
        "input_audio_transcription -> audio.input.transcription",
        "input_audio_noise_reduction -> audio.input.noise_reduction",
        "turn_detection -> audio.input.turn_detection",
        "OpenAI-Beta: realtime=v1",
    ):
        assert line in fix


def test_beta_fields_in_a_ga_update_get_the_mapping_too() -> None:
    frames = [{"type": "session.update", "session": {"input_audio_format": "g711_ulaw"}}]
    (session,) = diagnose(run_frames(frames).journal).sessions
    (problem,) = session.problems
    assert problem.rule == Rule.MISSING_PARAMETER
    assert problem.what.endswith("lacked the required field session.type.")
    assert '"audio/pcmu"' in problem.explanation.fix


def test_beta_session_translates_to_the_ga_session() -> None:
    frame = evidence("forum-beta-transcription-session-update.json")["client_sent"][0]
    ga, lines = beta_to_ga(frame["session"])
    assert ga == {
        "type": "transcription",
        "audio": {
            "input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {
                    "language": "en",
                    "model": "gpt-4o-mini-transcribe",
                    "prompt": "",
                },
                "turn_detection": {
                    "type": "server_vad",
                    "threshold": 0.5,
                    "prefix_padding_ms": 300,
                    "silence_duration_ms": 500,
                },
                "noise_reduction": {"type": "near_field"},
            }
        },
        "include": ["item.input_audio_transcription.logprobs"],
    }
    assert len(lines) == len(frame["session"])


def test_beta_fields_map_to_the_ga_places_the_core_puts_them() -> None:
    assert BETA_FIELDS == {
        "input_audio_format": "audio.input.format",
        "input_audio_transcription": "audio.input.transcription",
        "input_audio_noise_reduction": "audio.input.noise_reduction",
        "turn_detection": "audio.input.turn_detection",
        "include": "include",
        "client_secret": None,
        "modalities": None,
    }


def test_beta_to_ga_agrees_with_the_core_conversion_on_a_valid_beta_session() -> None:
    session = evidence("forum-beta-transcription-session-update.json")["client_sent"][0]["session"]
    ga, _ = beta_to_ga(session)
    request = BetaTranscriptionSessionRequest.model_validate(session)
    assert ga == ga_request_from_beta(request)

"""``null`` in session.update: clears where live allows it, a type error elsewhere (§11)."""

from __future__ import annotations

import typing
from typing import Any

import pytest
from openai.types.realtime import (
    audio_transcription_param,
    realtime_transcription_session_audio_input_param,
    realtime_transcription_session_audio_input_turn_detection_param,
    realtime_transcription_session_audio_param,
    realtime_transcription_session_create_request_param,
)
from pydantic import BaseModel

from mockrt.core.nullability import null_clears
from mockrt.core.session import Session
from mockrt.core.session_objects import (
    AudioTranscription,
    NoiseReduction,
    SemanticVad,
    ServerVad,
    TranscriptionSessionAudio,
    TranscriptionSessionAudioInput,
    TranscriptionSessionRequest,
)

from .conftest import send

TD = "session.audio.input.turn_detection"

# Our request models and the SDK's request params they follow.
PAIRS: list[tuple[type[BaseModel], Any]] = [
    (
        TranscriptionSessionRequest,
        realtime_transcription_session_create_request_param.RealtimeTranscriptionSessionCreateRequestParam,
    ),
    (
        TranscriptionSessionAudio,
        realtime_transcription_session_audio_param.RealtimeTranscriptionSessionAudioParam,
    ),
    (
        TranscriptionSessionAudioInput,
        realtime_transcription_session_audio_input_param.RealtimeTranscriptionSessionAudioInputParam,
    ),
    (NoiseReduction, realtime_transcription_session_audio_input_param.NoiseReduction),
    (AudioTranscription, audio_transcription_param.AudioTranscriptionParam),
    (ServerVad, realtime_transcription_session_audio_input_turn_detection_param.ServerVad),
    (SemanticVad, realtime_transcription_session_audio_input_turn_detection_param.SemanticVad),
]
# Nullable live although the SDK's params do not say so, each with its source.
DOCUMENTED_NULLABLE = {
    # API reference: "noise_reduction ... can be set to null to turn off" (protocol.md §2.1)
    (TranscriptionSessionAudioInput, "noise_reduction"),
    # API reference: transcription "can be set to null to turn off once on" (protocol.md §2.1)
    (TranscriptionSessionAudioInput, "transcription"),
    # echoed as "language": null [live-JP]; issue 13 lists it among the clearing fields
    (AudioTranscription, "language"),
}


def _sdk_allows_null(param_type: Any, name: str) -> bool:
    hint = typing.get_type_hints(param_type, include_extras=True)[name]
    while typing.get_origin(hint) in (typing.Required, typing.NotRequired):
        hint = typing.get_args(hint)[0]
    return type(None) in typing.get_args(hint)


@pytest.mark.parametrize(("model", "param_type"), PAIRS, ids=[m.__name__ for m, _ in PAIRS])
def test_nullable_fields_of_the_request_models_follow_the_sdk_params(
    model: type[BaseModel], param_type: Any
) -> None:
    sdk_fields = typing.get_type_hints(param_type)
    assert set(model.model_fields) == set(sdk_fields)
    for name in model.model_fields:
        expected = _sdk_allows_null(param_type, name) or (model, name) in DOCUMENTED_NULLABLE
        assert null_clears(model, name) == expected, f"{model.__name__}.{name}"


def update(session: dict[str, Any]) -> dict[str, Any]:
    return {"type": "session.update", "event_id": "u1", "session": session}


def td(**fields: Any) -> dict[str, Any]:
    return {"type": "transcription", "audio": {"input": {"turn_detection": fields}}}


def test_null_create_response_is_the_live_invalid_type_error(session: Session) -> None:
    before = session.config
    (error,) = send(session, update(td(type="server_vad", create_response=None)))
    assert error["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_type",
        "message": (
            "Invalid type for 'session.audio.input.turn_detection.create_response': "
            "expected boolean, got null."
        ),
        "param": f"{TD}.create_response",
        "event_id": "u1",
    }
    assert session.config == before


@pytest.mark.parametrize(
    ("session_body", "param", "expected"),
    [
        (td(type="server_vad", threshold=None), f"{TD}.threshold", "number"),
        (td(type="server_vad", silence_duration_ms=None), f"{TD}.silence_duration_ms", "integer"),
        (td(type="semantic_vad", eagerness=None), f"{TD}.eagerness", "string"),
        (
            {"type": "transcription", "audio": {"input": {"transcription": {"model": None}}}},
            "session.audio.input.transcription.model",
            "string",
        ),
        (
            {"type": "transcription", "audio": {"input": {"format": None}}},
            "session.audio.input.format",
            "object",
        ),
        ({"type": "transcription", "include": None}, "session.include", "array"),
        ({"type": "transcription", "audio": None}, "session.audio", "object"),
    ],
)
def test_null_on_a_field_that_cannot_be_null_is_refused_and_nothing_applied(
    session: Session, session_body: dict[str, Any], param: str, expected: str
) -> None:
    before = session.config
    (error,) = send(session, update(session_body))
    assert error["error"]["code"] == "invalid_type"
    assert error["error"]["param"] == param
    message = f"Invalid type for '{param}': expected {expected}, got null."
    assert error["error"]["message"] == message
    assert session.config == before


def test_null_clears_turn_detection_noise_reduction_language_and_idle_timeout(
    session: Session,
) -> None:
    send(
        session,
        update(
            {
                "type": "transcription",
                "audio": {
                    "input": {
                        "noise_reduction": {"type": "near_field"},
                        "transcription": {"model": "gpt-4o-transcribe", "language": "de"},
                        "turn_detection": {"type": "server_vad", "idle_timeout_ms": 5000},
                    }
                },
            }
        ),
    )
    (updated,) = send(session, update(td(type="server_vad", idle_timeout_ms=None)))
    assert "idle_timeout_ms" not in updated["session"]["audio"]["input"]["turn_detection"]
    (updated,) = send(
        session,
        update(
            {
                "type": "transcription",
                "audio": {
                    "input": {
                        "noise_reduction": None,
                        "transcription": {"model": "gpt-4o-transcribe", "language": None},
                        "turn_detection": None,
                    }
                },
            }
        ),
    )
    audio_input = updated["session"]["audio"]["input"]
    assert audio_input["noise_reduction"] is None and audio_input["turn_detection"] is None
    assert audio_input["transcription"]["language"] is None


@pytest.mark.parametrize("languages", [None, []])
def test_languages_null_and_empty_are_refused(session: Session, languages: Any) -> None:
    before = session.config
    body = {
        "type": "transcription",
        "audio": {"input": {"transcription": {"model": "gpt-transcribe", "languages": languages}}},
    }
    (error,) = send(session, update(body))
    assert error["type"] == "error"
    assert error["error"]["param"] == "session.audio.input.transcription.languages"
    assert error["error"]["code"] == ("invalid_type" if languages is None else "empty_array")
    assert session.config == before


def test_the_retired_beta_shape_keeps_its_own_rule_null_clears() -> None:
    from mockrt.core.persona import BETA

    from .conftest import make_session

    beta = make_session(persona=BETA)
    beta.events_to_send()
    frame = {
        "type": "transcription_session.update",
        "session": {
            "input_audio_transcription": {"model": "whisper-1", "language": None, "prompt": None},
            "include": None,
        },
    }
    (updated,) = send(beta, frame)
    assert updated["type"] == "transcription_session.updated"

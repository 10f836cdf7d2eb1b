"""The pure core: session.created, session.update, the transcription-session rule, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mockrt.core.exceptions import InvalidState
from mockrt.core.options import Options
from mockrt.core.session import Session
from mockrt.core.session_objects import TranscriptionSessionRequest

from .conftest import make_session, send

# Evidence payloads cited by docs/protocol.md, kept in the repository.
EVIDENCE = Path(__file__).parent / "data" / "evidence"
RULE = "Passing a realtime session update event to a transcription session is not allowed."


def evidence(name: str) -> dict[str, Any]:
    return dict(json.loads((EVIDENCE / name).read_text()))


def update(**session: Any) -> dict[str, Any]:
    return {"type": "session.update", "session": {"type": "transcription", **session}}


def only(events: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(events) == 1, events
    return events[0]


def test_session_created_is_the_first_frame_with_the_live_defaults() -> None:
    session = make_session()
    assert session.events_to_send() == [
        {
            "type": "session.created",
            "event_id": "event_0001",
            "session": {
                "type": "transcription",
                "object": "realtime.transcription_session",
                "id": "sess_0001",
                "expires_at": 1_700_000_000 + 3600,
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "noise_reduction": None,
                        "transcription": None,
                        "turn_detection": {
                            "type": "server_vad",
                            "threshold": 0.5,
                            "prefix_padding_ms": 300,
                            "silence_duration_ms": 200,
                        },
                    }
                },
                "include": None,
            },
        }
    ]


def test_transcription_session_update_replies_with_the_full_session(session: Session) -> None:
    reply = only(
        send(
            session,
            {
                **update(
                    audio={
                        "input": {
                            "transcription": {"model": "gpt-live-transcribe", "languages": ["ja"]},
                            "turn_detection": None,
                        }
                    }
                ),
                "event_id": "evt_client_1",
            },
        )
    )
    assert reply == {
        "type": "session.updated",
        "event_id": "event_0002",
        "session": {
            "type": "transcription",
            "object": "realtime.transcription_session",
            "id": "sess_0001",
            "expires_at": 1_700_003_600,
            "audio": {
                "input": {
                    "format": {"type": "audio/pcm", "rate": 24000},
                    "noise_reduction": None,
                    "transcription": {
                        "model": "gpt-live-transcribe",
                        "language": None,
                        "languages": ["ja"],
                        "prompt": None,
                    },
                    "turn_detection": None,
                }
            },
            "include": None,
        },
    }


def test_session_updated_never_echoes_the_client_event_id(session: Session) -> None:
    reply = only(send(session, {**update(), "event_id": "mine"}))
    assert reply["event_id"] != "mine"
    assert "mine" not in json.dumps(reply)


def test_update_merges_partially_absent_keeps_and_null_clears(session: Session) -> None:
    send(
        session,
        update(
            audio={
                "input": {
                    "noise_reduction": {"type": "near_field", "strength": 0.4},
                    "transcription": {"model": "whisper-1"},
                }
            },
            include=["item.input_audio_transcription.logprobs"],
        ),
    )
    s = only(send(session, update(audio={"input": {"noise_reduction": {"type": "far_field"}}})))
    audio = s["session"]["audio"]["input"]
    assert audio["noise_reduction"] == {"type": "far_field", "strength": 0.4}
    assert audio["transcription"]["model"] == "whisper-1"
    assert s["session"]["include"] == ["item.input_audio_transcription.logprobs"]
    s = only(
        send(
            session,
            update(audio={"input": {"turn_detection": None, "noise_reduction": None}}, include=[]),
        )
    )
    assert s["session"]["audio"]["input"]["turn_detection"] is None
    assert s["session"]["audio"]["input"]["noise_reduction"] is None
    assert s["session"]["include"] == []
    assert s["session"]["audio"]["input"]["transcription"]["model"] == "whisper-1"


def test_turn_detection_update_keeps_unsent_values_of_the_same_type(session: Session) -> None:
    s = only(
        send(
            session,
            update(audio={"input": {"turn_detection": {"type": "server_vad", "threshold": 0.8}}}),
        )
    )
    assert s["session"]["audio"]["input"]["turn_detection"] == {
        "type": "server_vad",
        "threshold": 0.8,
        "prefix_padding_ms": 300,
        "silence_duration_ms": 200,
    }
    s = only(send(session, update(audio={"input": {"turn_detection": {"type": "semantic_vad"}}})))
    assert s["session"]["audio"]["input"]["turn_detection"] == {
        "type": "semantic_vad",
        "eagerness": "auto",
    }


# --- the rule ---------------------------------------------------------------------------------


def test_both_agents_sdk_updates_get_the_exact_live_error_after_session_created() -> None:
    sent = [m["event"] for m in evidence("agents-sdk-0.24-sends.json")["client_sent"]]
    session = make_session()
    # The SDK's first update arrives before it has read session.created.
    session.receive_text(json.dumps(sent[0]))
    first = session.events_to_send()
    assert [e["type"] for e in first] == ["session.created", "error"]
    assert first[1] == {
        "type": "error",
        "event_id": "event_0002",
        "error": {
            "type": "invalid_request_error",
            "code": "invalid_parameter",
            "message": RULE,
            "param": "",
            "event_id": None,
        },
    }
    second = only(send(session, sent[1]))
    assert second["error"] == first[1]["error"]
    live = evidence("agents-runner-on-transcription.json")["server_sent"][1]
    assert {k: v for k, v in second.items() if k != "event_id"} == {
        k: v for k, v in live.items() if k != "event_id"
    }


def test_rejected_realtime_update_leaves_the_session_as_it_was(session: Session) -> None:
    before = session.config
    send(
        session,
        {"type": "session.update", "session": {"type": "realtime", "model": "gpt-realtime"}},
    )
    assert session.config == before
    assert only(send(session, update()))["type"] == "session.updated"


@pytest.mark.parametrize(
    "realtime_session",
    [
        {"type": "realtime"},
        {"type": "realtime", "model": "gpt-realtime-2.1", "tracing": "auto"},
        {"model": "gpt-realtime"},
        {"type": "transcription", "instructions": "be brief"},
        {"type": "transcription", "audio": {"output": {"voice": "ash"}}},
        {"type": "transcription", "tools": []},
    ],
)
def test_realtime_shaped_updates_break_the_rule(
    session: Session, realtime_session: dict[str, Any]
) -> None:
    reply = only(
        send(session, {"type": "session.update", "session": realtime_session, "event_id": "c1"})
    )
    assert reply["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_parameter",
        "message": RULE,
        "param": "",
        "event_id": "c1",
    }


def test_later_wording_is_selectable() -> None:
    session = make_session(options=Options(rule_wording="later"))
    session.events_to_send()
    reply = only(send(session, {"type": "session.update", "session": {"type": "realtime"}}))
    assert reply["error"]["message"] == (
        "Passing a realtime session update to a transcription session is not allowed."
    )


def test_realtime_keys_can_be_unknown_parameters_instead() -> None:
    session = make_session(options=Options(realtime_keys="unknown_parameter"))
    session.events_to_send()
    reply = only(send(session, update(tools=[])))
    assert reply["error"]["code"] == "unknown_parameter"
    assert reply["error"]["param"] == "session.tools"


def test_rule_violation_is_journaled_with_its_cause(session: Session) -> None:
    send(session, {"type": "session.update", "session": {"type": "realtime"}, "event_id": "x"})
    (violation,) = session.journal.violations()
    assert violation.rule == "realtime-update-on-transcription-session"
    assert (violation.client_index, violation.client_type, violation.client_event_id) == (
        0,
        "session.update",
        "x",
    )


# --- validation -----------------------------------------------------------------------------

CASES = [
    (
        update(totally_made_up_field=1),
        "unknown_parameter",
        "session.totally_made_up_field",
        "Unknown parameter: 'session.totally_made_up_field'.",
    ),
    (
        {"type": "session.update", "session": {"audio": {}}},
        "missing_required_parameter",
        "session.type",
        "Missing required parameter: 'session.type'.",
    ),
    (
        update(audio={"input": {"transcription": {"delay": "bogus"}}}),
        "invalid_value",
        "session.audio.input.transcription.delay",
        "Invalid value: 'bogus'. Supported values are: 'minimal', 'low', 'medium', 'high', and "
        "'xhigh'.",
    ),
    (
        update(audio={"input": {"turn_detection": {"threshold": 0.2}}}),
        "missing_required_parameter",
        "session.audio.input.turn_detection.type",
        "Missing required parameter: 'session.audio.input.turn_detection.type'.",
    ),
    (
        update(audio={"input": {"turn_detection": {"type": "server_vad", "threshold": "high"}}}),
        "invalid_type",
        "session.audio.input.turn_detection.threshold",
        "Invalid type for 'session.audio.input.turn_detection.threshold': expected a decimal, but "
        "got a string instead.",
    ),
    (
        update(audio={"input": {"turn_detection": {"type": "server_vad", "threshold": 1.5}}}),
        "decimal_above_max_value",
        "session.audio.input.turn_detection.threshold",
        "Invalid 'session.audio.input.turn_detection.threshold': decimal above maximum value. "
        "Expected a value <= 1, but got 1.5 instead.",
    ),
    (
        update(audio={"input": {"format": {"type": "audio/wav"}}}),
        "invalid_value",
        "session.audio.input.format.type",
        "Invalid value: 'audio/wav'. Supported values are: 'audio/pcm', 'audio/pcmu', and "
        "'audio/pcma'.",
    ),
    (
        update(include=["everything"]),
        "invalid_value",
        "session.include[0]",
        "Invalid value: 'everything'. Supported values are: "
        "'item.input_audio_transcription.logprobs'.",
    ),
    (
        update(
            audio={
                "input": {
                    "transcription": {"model": "gpt-live-transcribe"},
                    "turn_detection": {"type": "server_vad"},
                }
            }
        ),
        "invalid_value",
        "session.audio.input.turn_detection",
        "Turn detection is not supported for this transcription model.",
    ),
    (
        update(
            audio={
                "input": {
                    "transcription": {"model": "gpt-realtime-whisper"},
                    "turn_detection": {"type": "semantic_vad"},
                }
            }
        ),
        "invalid_value",
        "session.audio.input.turn_detection",
        "Turn detection is not supported for this transcription model.",
    ),
    (
        {"type": "session.update"},
        "missing_required_parameter",
        "session",
        "Missing required parameter: 'session'.",
    ),
]


@pytest.mark.parametrize(("event", "code", "param", "message"), CASES)
def test_invalid_updates_get_the_live_error_and_change_nothing(
    session: Session, event: dict[str, Any], code: str, param: str, message: str
) -> None:
    before = session.config
    reply = only(send(session, {**event, "event_id": "evt_9"}))
    assert reply["type"] == "error"
    assert reply["error"] == {
        "type": "invalid_request_error",
        "code": code,
        "param": param,
        "message": message,
        "event_id": "evt_9",
    }
    assert session.config == before


def test_vadless_model_drops_the_inherited_default_turn_detection(session: Session) -> None:
    reply = only(
        send(session, update(audio={"input": {"transcription": {"model": "gpt-realtime-whisper"}}}))
    )
    assert reply["session"]["audio"]["input"]["turn_detection"] is None


BAD_FRAMES = [
    ("not json at all", "invalid_json", None),
    ("[1, 2]", "invalid_type", None),
    ('"session.update"', "invalid_type", None),
    ("{}", "missing_required_parameter", "type"),
    ('{"type": 7}', "invalid_type", "type"),
    ('{"type": "no.such.event"}', "invalid_value", "type"),
    ('{"type": "response.create"}', "invalid_value", "type"),
    ('{"type": "input_audio_buffer.append"}', "missing_required_parameter", "audio"),
    ('{"type": "input_audio_buffer.append", "audio": 12}', "invalid_type", "audio"),
    ('{"type": "input_audio_buffer.commit", "extra": 1}', "unknown_parameter", "extra"),
    ('{"type": "input_audio_buffer.clear", "event_id": 5}', "invalid_type", "event_id"),
]


@pytest.mark.parametrize(("frame", "code", "param"), BAD_FRAMES)
def test_bad_frames_get_an_error_and_the_session_keeps_working(
    session: Session, frame: str, code: str, param: str | None
) -> None:
    reply = only(send(session, frame))
    assert reply["type"] == "error"
    assert (reply["error"]["code"], reply["error"]["param"]) == (code, param)
    assert reply["error"]["message"]
    assert only(send(session, update()))["type"] == "session.updated"


def test_unknown_type_lists_the_supported_types(session: Session) -> None:
    reply = only(send(session, {"type": "bogus"}))
    assert reply["error"]["message"].startswith(
        "Invalid value: 'bogus'. Supported values are: 'session.update', "
        "'input_audio_buffer.append'"
    )
    assert reply["error"]["message"].endswith("and 'session.close'.")


def test_binary_frame_gets_an_error_and_the_session_keeps_working(session: Session) -> None:
    session.receive_bytes(b"\x00\x01")
    reply = only(session.events_to_send())
    assert reply["error"]["code"] == "invalid_json"
    assert "text frame" in reply["error"]["message"]
    assert only(send(session, update()))["type"] == "session.updated"


def test_journal_keeps_raw_text_of_non_json_frames(session: Session) -> None:
    send(session, "hello?")
    assert session.journal.client()[0].event == "hello?"


def test_receiving_after_close_raises_invalid_state(session: Session) -> None:
    session.close()
    with pytest.raises(InvalidState):
        session.receive_text("{}")


def test_session_expires_after_sixty_minutes_with_the_live_error(session: Session) -> None:
    session.advance(3600 * 1000)
    reply = only(session.events_to_send())
    assert reply["error"]["code"] == "session_expired"
    assert reply["error"]["message"] == "Your session hit the maximum duration of 60 minutes."
    assert session.close_request == (4000, "invalid_request_error.session_expired")


# --- realtime (conversation) sessions -------------------------------------------------------


def test_realtime_session_accepts_realtime_updates_and_rejects_transcription_ones() -> None:
    session = make_session(intent="realtime", model="gpt-realtime-2.1")
    created = only(session.events_to_send())
    assert created["session"]["type"] == "realtime"
    assert created["session"]["object"] == "realtime.session"
    assert created["session"]["model"] == "gpt-realtime-2.1"
    reply = only(
        send(
            session,
            {"type": "session.update", "session": {"type": "realtime", "instructions": "hi"}},
        )
    )
    assert reply["type"] == "session.updated"
    assert reply["session"]["instructions"] == "hi"
    reply = only(send(session, update()))
    assert reply["error"] == {
        "type": "invalid_request_error",
        "code": "invalid_parameter",
        "param": "",
        "event_id": None,
        "message": "Passing a transcription session update event to a realtime session is not "
        "allowed.",
    }


def test_minted_configuration_shapes_session_created_like_the_reported_case() -> None:
    request = evidence("agents-runner-on-transcription.json")["client_config"][
        "client_secret_request"
    ]["session"]
    session = make_session(initial=TranscriptionSessionRequest.model_validate(request))
    created = only(session.events_to_send())["session"]
    live = evidence("agents-runner-on-transcription.json")["server_sent"][0]["session"]
    for key in ("type", "object", "include"):
        assert created[key] == live[key]
    assert created["audio"]["input"]["noise_reduction"] == {"type": "far_field"}
    assert created["audio"]["input"]["turn_detection"] == live["audio"]["input"]["turn_detection"]
    assert created["audio"]["input"]["transcription"] == {
        "model": "gpt-4o-mini-transcribe",
        "language": "en",
        "prompt": "<prompt>",
    }


def test_violation_description_redacts_keys(session: Session) -> None:
    from mockrt.core.summary import describe

    send(
        session,
        {
            "type": "session.update",
            "event_id": "sk-live-abcdefghijklmnopqrstuvwxyz",
            "session": {"type": "realtime"},
        },
    )
    (violation,) = session.journal.violations()
    line = describe(session.journal, session.id, session.intent, violation)
    assert "abcdefghijklmnop" not in line
    assert line.endswith("on a transcription session -> rejected (invalid_parameter)")


SESSION_TYPE_CASES = [
    # (session object sent, sent to a transcription session?, rule broken?)
    ({"type": "realtime"}, True, True),
    ({"type": "transcription", "instructions": "hi"}, True, True),
    ({"type": "transcription", "audio": {"output": {}}}, True, True),
    ({"type": "transcription"}, True, False),
    ({"type": "transcription"}, False, True),
    ({"type": "realtime", "instructions": "hi"}, False, False),
]


@pytest.mark.parametrize(("shape", "transcription", "broken"), SESSION_TYPE_CASES)
def test_every_path_that_meets_the_session_type_rule_answers_with_the_one_rule_function(
    shape: dict[str, Any], transcription: bool, broken: bool
) -> None:
    from mockrt.core.errors import ErrorDetail, Rule
    from mockrt.core.sessionconf import validate_session_request
    from mockrt.core.validation import Rejected, parse_client_text, session_type_error

    options = Options()
    decided = session_type_error(shape, transcription=transcription, options=options)
    assert (decided is not None) == broken
    parsed = parse_client_text(
        json.dumps({"type": "session.update", "session": shape}),
        transcription=transcription,
        options=options,
    )
    minted = validate_session_request(shape, transcription, options)
    if broken:
        assert isinstance(parsed, Rejected) and parsed.error == decided
        assert minted == decided
    else:
        rules = {Rule.REALTIME_UPDATE_ON_TRANSCRIPTION, Rule.TRANSCRIPTION_UPDATE_ON_REALTIME}
        assert not (isinstance(parsed, Rejected) and parsed.error.rule in rules)
        assert not (isinstance(minted, ErrorDetail) and minted.rule in rules)

"""The session.update fast path: what it reuses (the session object an update leaves as it was,
its dump and its JSON text) and when it must not; the non-finite and null checks that no longer
dump the request. The whole-behaviour checks are elsewhere (test_session, test_reliability_update,
the conformance cases); these pin the new branches."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest

from mockrt.core import wire
from mockrt.core.beta import TranscriptionSessionUpdated, beta_session_from_ga
from mockrt.core.client_events import CLIENT_EVENTS
from mockrt.core.options import Options
from mockrt.core.persona import BETA
from mockrt.core.scrub import finite_copy, strict_json
from mockrt.core.server_events import SessionCreated, SessionUpdated
from mockrt.core.session import Session
from mockrt.core.sessionconf import apply_update, default_realtime_session, default_session

from .conftest import make_session, send

FULL = {
    "type": "transcription",
    "audio": {
        "input": {
            "format": {"type": "audio/pcm", "rate": 24000},
            "noise_reduction": {"type": "near_field"},
            "transcription": {"model": "gpt-4o-transcribe", "language": "en", "prompt": "é\u2028"},
            "turn_detection": {
                "type": "server_vad",
                "threshold": 0.5,
                "prefix_padding_ms": 300,
                "silence_duration_ms": 500,
            },
        }
    },
    "include": ["item.input_audio_transcription.logprobs"],
}


def _update(session: dict[str, Any]) -> str:
    return json.dumps({"type": "session.update", "session": session})


def _wire_text(event: dict[str, Any]) -> str:
    """What the server sent before the text was reused: one json.dumps of the whole event."""
    return json.dumps(event, separators=(",", ":"), allow_nan=False)


def test_an_update_that_changes_nothing_keeps_the_same_session_object(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    (first,) = send(session, _update(FULL))
    config = session.config
    dumps: list[object] = []
    model_dump = type(config).model_dump
    monkeypatch.setattr(
        type(config), "model_dump", lambda self, **kw: dumps.append(self) or model_dump(self, **kw)
    )
    (again,) = send(session, _update(FULL))
    monkeypatch.undo()
    assert session.config is config
    assert dumps == []  # the first reply's dump of the session served again
    assert again["session"] == first["session"] == config.model_dump(mode="json")
    assert strict_json(again) == _wire_text(again)
    assert "\\u00e9\\u2028" in strict_json(again)  # ASCII escapes, as json.dumps writes them


def test_an_update_that_changes_one_part_keeps_the_others_and_shows_the_change(
    session: Session,
) -> None:
    send(session, _update(FULL))
    before = session.config.audio.input
    changed = json.loads(json.dumps(FULL))
    changed["audio"]["input"]["turn_detection"]["silence_duration_ms"] = 700
    (reply,) = send(session, _update(changed))
    after = session.config.audio.input
    assert after is not before
    assert after.transcription is before.transcription
    assert after.noise_reduction is before.noise_reduction
    assert after.format is before.format
    assert reply["session"]["audio"]["input"]["turn_detection"]["silence_duration_ms"] == 700
    assert reply["session"] == session.config.model_dump(mode="json")
    assert strict_json(reply) == _wire_text(reply)
    assert session.audio.detector is not None
    assert session.audio.detector.config.silence_duration_ms == 700


@pytest.mark.parametrize(
    ("path", "written"),
    [
        (("noise_reduction", "strength"), "-0.0"),
        (("turn_detection", "threshold"), "-0.0"),
    ],
)
def test_negative_zero_after_zero_is_a_change_the_reply_shows(
    session: Session, path: tuple[str, str], written: str
) -> None:
    """0.0 == -0.0, but they are written differently: the echo is the value sent."""
    for value in ("0.0", written):
        session_obj = json.loads(json.dumps(FULL))
        session_obj["audio"]["input"][path[0]][path[1]] = "@"
        (reply,) = send(session, _update(session_obj).replace('"@"', value))
        assert f'"{path[1]}":{value}' in strict_json(reply)


def test_include_set_to_an_equal_list_keeps_the_session_and_a_new_one_replaces_it(
    session: Session,
) -> None:
    send(session, _update(FULL))
    config = session.config
    send(session, _update({"type": "transcription", "include": list(FULL["include"])}))
    assert session.config is config
    (reply,) = send(session, _update({"type": "transcription", "include": []}))
    assert reply["session"]["include"] == []
    assert session.config is not config


def test_a_changed_turn_detection_is_checked_even_when_an_equal_one_passed_before(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockrt.core import vad

    send(session, _update(FULL))
    kept = session.config

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a limit the range checks do not know")

    monkeypatch.setattr(vad.VadConfig, "from_turn_detection", refuse)
    (same,) = send(session, _update(FULL))  # the running turn detection: nothing to check
    assert same["type"] == "session.updated"
    changed = json.loads(json.dumps(FULL))
    changed["audio"]["input"]["turn_detection"]["threshold"] = 0.6
    (error,) = send(session, _update(changed))
    assert error["error"]["param"] == "session.audio.input.turn_detection"
    assert session.config is kept


def test_apply_update_checks_the_turn_detection_of_a_session_it_did_not_see_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client_secrets body merged into a fresh default session: nothing runs its turn
    detection yet, so keeping it is checked."""
    from mockrt.core import vad

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("refused")

    options = Options()
    request = CLIENT_EVENTS.validate_json(_update({"type": "transcription"})).session
    monkeypatch.setattr(vad.VadConfig, "from_turn_detection", refuse)
    result = apply_update(default_session("sess_1", 0, options, minted=True), request, options)
    assert getattr(result, "param", None) == "session.audio.input.turn_detection"


def _session_events() -> list[Any]:
    options = Options()
    config = default_session("sess_1", 1, options)
    realtime = default_realtime_session("sess_2", 1, "gpt-realtime")
    return [
        SessionCreated(event_id="event_1", session=config),
        SessionUpdated(event_id="event_2", session=config),
        SessionUpdated(event_id="event_3", session=realtime),
        TranscriptionSessionUpdated(event_id="event_4", session=beta_session_from_ga(config)),
    ]


@pytest.mark.parametrize("event", _session_events(), ids=lambda e: e.type)
def test_dump_with_the_session_dumped_once_is_the_whole_dump(event: Any) -> None:
    dumped = wire.dump(event)
    assert dumped == event.model_dump(mode="json")
    assert list(dumped) == list(event.model_dump(mode="json"))  # key order too
    assert wire.dump(event)["session"] is dumped["session"]
    assert strict_json(dumped) == _wire_text(dumped)


@pytest.mark.parametrize("event", _session_events()[:3], ids=lambda e: e.type)
def test_a_session_event_built_from_its_parts_is_the_models_whole_dump(event: Any) -> None:
    built = wire.session_event(event.type, event.event_id, event.session)
    assert built == event.model_dump(mode="json")
    assert list(built) == list(event.model_dump(mode="json"))  # key order too
    assert strict_json(built) == _wire_text(built)


def test_a_value_that_is_not_strict_json_beside_a_shared_session_is_written_as_before() -> None:
    config = default_session("sess_1", 1, Options())
    event = {"type": "x", "value": float("nan"), "session": wire.dumped_once(config)}
    assert strict_json(event) == json.dumps(finite_copy(event), separators=(",", ":"))
    assert '"value":"NaN"' in strict_json(event)


def test_dumps_made_once_go_when_their_sessions_go() -> None:
    """Nothing grows with sessions or updates: a dump lives as long as its session object."""
    gc.collect()
    baseline = len(wire._BY_MODEL), len(wire._BY_WIRE)
    sessions = [make_session() for _ in range(50)]
    for s in sessions:
        s.events_to_send()
        for threshold in (0.4, 0.5, 0.6):
            changed = json.loads(json.dumps(FULL))
            changed["audio"]["input"]["turn_detection"]["threshold"] = threshold
            send(s, _update(changed))
    assert len(wire._BY_MODEL) > baseline[0]
    del sessions, s
    gc.collect()
    assert (len(wire._BY_MODEL), len(wire._BY_WIRE)) == baseline


def test_beta_updates_reply_as_a_whole_dump_would() -> None:
    s = make_session(persona=BETA)
    (created,) = s.events_to_send()
    update = {"type": "transcription_session.update", "session": {"include": []}}
    (reply,) = send(s, update)
    assert reply["type"] == "transcription_session.updated"
    assert strict_json(reply) == _wire_text(reply)
    assert reply["session"] == created["session"] | {"include": []}


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ('{"type":"realtime","tools":[{"x":1e400}]}', "session.tools[0].x"),
        ('{"type":"realtime","temperature":-1e400}', "session.temperature"),
        (
            '{"type":"transcription","audio":{"input":{"noise_reduction":{"strength":1e999}}}}',
            "session.audio.input.noise_reduction.strength",
        ),
    ],
)
def test_a_non_finite_number_anywhere_in_a_session_is_refused_before_the_session_rule(
    session: Session, body: str, param: str
) -> None:
    (error,) = send(session, f'{{"type":"session.update","session":{body}}}')
    assert error["error"]["code"] == "invalid_type"
    assert error["error"]["param"] == param
    assert "a number too large to represent" in error["error"]["message"]


def test_a_model_that_can_change_is_dumped_afresh_every_time() -> None:
    from pydantic import BaseModel

    class Loose(BaseModel):
        value: int

    loose = Loose(value=1)
    first = wire.dumped_once(loose)
    loose.value = 2
    assert wire.dumped_once(loose) == {"value": 2}
    assert first == {"value": 1}
    assert wire.shared_text(first) is None


def test_a_session_text_is_kept_from_its_second_use_only() -> None:
    """A session that is never updated keeps no text; one sent again reuses its text."""
    config = default_session("sess_1", 1, Options())
    shared = wire.dumped_once(config)
    assert wire.shared_text(shared) is None  # first use: written the ordinary way
    text = wire.shared_text(shared)
    assert text == json.dumps(config.model_dump(mode="json"), separators=(",", ":"))
    assert wire.shared_text(shared) is text
    assert wire.shared_text(dict(shared)) is None  # an equal dict is not the shared one

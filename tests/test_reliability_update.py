"""Issue 14: every session.update is validated completely and applied atomically; nothing sent
or journaled is non-standard JSON; later audio still works."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from mockrt.core.session import Session

from .conftest import make_session, send

COMMON = Path(__file__).resolve().parents[1] / "schemas" / "common"
_BY_ID = {
    doc["$id"]: doc
    for doc in (json.loads(p.read_text()) for p in sorted(COMMON.glob("*.json")))
    if "$id" in doc
}


# Keys that do not constrain values; dropping them makes generation several times faster.
_NOT_GENERATIVE = ("$id", "$schema", "description", "title", "default", "examples")


def _inline(node: Any) -> Any:
    """The schema with every ``$ref`` to schemas/common replaced by its target."""
    if isinstance(node, dict):
        if "$ref" in node and node["$ref"] in _BY_ID:
            return _inline({k: v for k, v in _BY_ID[node["$ref"]].items() if k != "$id"})
        return {k: _inline(v) for k, v in node.items() if k not in _NOT_GENERATIVE}
    if isinstance(node, list):
        return [_inline(v) for v in node]
    return node


REQUEST = _inline(_BY_ID["https://mockrt.dev/schemas/common/TranscriptionSessionRequest.json"])


def _strategy(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """``from_schema`` per property: hypothesis-jsonschema re-canonicalises a nested object
    schema on every draw, which made one whole-request draw take a second."""
    options = schema.get("anyOf")
    if isinstance(options, list) and any(o.get("type") == "object" for o in options):
        return st.one_of([_strategy(o) for o in options])
    if schema.get("type") == "object" and "properties" in schema:
        required = set(schema.get("required", []))
        props = {k: _strategy(v) for k, v in schema["properties"].items()}
        return st.fixed_dictionaries(
            {k: v for k, v in props.items() if k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    return from_schema(schema)


sessions = _strategy(REQUEST)

# Literals put into the frame text as written: JSON numbers a double cannot hold, and the
# non-JSON constants some encoders write.
RAW_LITERALS = ["1e400", "-1e400", "1e999", "NaN", "Infinity", "-Infinity", "1" + "0" * 400]
EDGES: list[Any] = [
    None,
    0,
    -1,
    1,
    0.5,
    -0.0,
    1e-320,
    1.7976931348623157e308,
    2**31 - 1,
    2**31,
    2**63,
    10**30,
    "",
    "x" * 2000,
    True,
    [],
    {},
    "auto",
    "near_field",
    *(f"@raw:{i}" for i in range(len(RAW_LITERALS))),
]
KEYS = [
    "threshold",
    "prefix_padding_ms",
    "silence_duration_ms",
    "idle_timeout_ms",
    "eagerness",
    "create_response",
    "interrupt_response",
    "strength",
    "type",
    "model",
    "language",
    "rate",
]


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    return out


@st.composite
def mutated_requests(draw: st.DrawFn) -> str:
    """A schema-valid session, then one value somewhere set to an edge value, written as the
    frame text of a session.update."""
    session = copy.deepcopy(draw(sessions))
    for _ in range(draw(st.integers(0, 3))):
        parent_path = draw(st.sampled_from(_paths(session)))
        parent: Any = session
        for key in parent_path:
            parent = parent[key]
        if not isinstance(parent, dict):
            continue
        key = draw(st.sampled_from([*parent.keys(), *KEYS]))
        parent[key] = copy.deepcopy(draw(st.sampled_from(EDGES)))
    text = json.dumps({"type": "session.update", "session": session})
    for i, literal in enumerate(RAW_LITERALS):
        text = text.replace(f'"@raw:{i}"', literal)
    return text


def _config(session: Session) -> Any:
    return session.config.model_dump(mode="json")


def _strict(event: Any) -> None:
    json.dumps(event, allow_nan=False)  # raises on NaN/Infinity


def _update_is_atomic(session: Session, text: str) -> None:
    before = _config(session)
    detector = session.audio._detector_config
    replies = send(session, text)
    for event in replies:
        _strict(event)
    kinds = [e["type"] for e in replies]
    assert kinds in (["session.updated"], ["error"]), kinds
    if kinds == ["error"]:
        error = replies[0]["error"]
        assert error["type"] == "invalid_request_error", error
        assert _config(session) == before
        assert session.audio._detector_config == detector
    else:
        assert replies[0]["session"] == _config(session)
    for entry in session.journal.entries:
        json.loads(entry.to_line(), parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise AssertionError(f"{name} written to the journal")


def _audio_still_works(session: Session) -> None:
    """Half a second of silence, then a commit: committed, never a server_error."""
    audio = base64.b64encode(bytes(24_000)).decode()
    replies = send(session, {"type": "input_audio_buffer.append", "audio": audio})
    replies += send(session, {"type": "input_audio_buffer.commit"})
    session.advance(10_000)
    replies += session.events_to_send()
    for event in replies:
        _strict(event)
        assert event.get("error", {}).get("type") != "server_error", event
    assert "input_audio_buffer.committed" in [e["type"] for e in replies]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(sessions.map(json.dumps), mutated_requests()), max_size=4))
def test_any_session_update_is_applied_whole_or_refused_whole_and_audio_still_works(
    updates: list[str],
) -> None:
    session = make_session()
    session.events_to_send()
    for text in updates:
        if not text.startswith('{"type": "session.update"'):
            text = json.dumps({"type": "session.update", "session": json.loads(text)})
        _update_is_atomic(session, text)
    _audio_still_works(session)


TD = "session.audio.input.turn_detection"


def _update(turn_detection: Any) -> dict[str, Any]:
    return {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {"input": {"turn_detection": turn_detection}},
        },
    }


@pytest.mark.parametrize(
    ("turn_detection", "message"),
    [
        (
            {"type": "server_vad", "idle_timeout_ms": 0},
            f"Invalid '{TD}.idle_timeout_ms': integer below minimum value. "
            "Expected a value >= 1, but got 0 instead.",
        ),
        (
            {"type": "server_vad", "threshold": None},
            # the live form (livekit/agents PR 3444), mockrt.core.nullability
            f"Invalid type for '{TD}.threshold': expected number, got null.",
        ),
        (
            {"type": "semantic_vad", "eagerness": None},
            f"Invalid type for '{TD}.eagerness': expected string, got null.",
        ),
        (
            {"type": "server_vad", "prefix_padding_ms": 10**30},
            f"Invalid '{TD}.prefix_padding_ms': integer above maximum value. Expected a value "
            f"<= 2147483647, but got {10**30} instead.",
        ),
    ],
    ids=["idle_timeout_ms_0", "threshold_null", "eagerness_null", "huge_prefix_padding_ms"],
)
def test_issue_14_updates_are_refused_and_the_session_keeps_working(
    session: Session, turn_detection: dict[str, Any], message: str
) -> None:
    before = _config(session)
    (error,) = send(session, _update(turn_detection))
    assert error["error"]["message"] == message
    assert error["error"]["type"] == "invalid_request_error"
    assert _config(session) == before
    _audio_still_works(session)


@pytest.mark.parametrize("literal", ["1e400", "-1e400"])
def test_silence_duration_beyond_a_double_is_refused_and_vad_stays_on(
    session: Session, literal: str
) -> None:
    text = json.dumps(_update({"type": "server_vad", "silence_duration_ms": "@"})).replace(
        '"@"', literal
    )
    (error,) = send(session, text)
    assert error["error"]["code"] == "invalid_type"
    assert error["error"]["param"] == f"{TD}.silence_duration_ms"
    assert session.audio.detector is not None
    _audio_still_works(session)


def test_a_largest_allowed_prefix_padding_is_applied_and_appends_still_work(
    session: Session,
) -> None:
    (updated,) = send(session, _update({"type": "server_vad", "prefix_padding_ms": 2**31 - 1}))
    assert updated["session"]["audio"]["input"]["turn_detection"]["prefix_padding_ms"] == 2**31 - 1
    _audio_still_works(session)


def test_infinite_noise_reduction_strength_is_refused_and_never_echoed(session: Session) -> None:
    text = (
        '{"type":"session.update","session":{"type":"transcription","audio":{"input":'
        '{"noise_reduction":{"type":"near_field","strength":1e999}}}}}'
    )
    (error,) = send(session, text)
    assert error["error"]["param"] == "session.audio.input.noise_reduction.strength"
    json.loads(session.journal.entries[-2].to_line(), parse_constant=_no_constant)


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_tokens_are_not_json(session: Session, constant: str) -> None:
    text = (
        '{"type":"session.update","session":{"type":"transcription","audio":{"input":'
        f'{{"noise_reduction":{{"type":"near_field","strength":{constant}}}}}}}}}}}'
    )
    (error,) = send(session, text)
    assert error["error"]["code"] == "invalid_json"
    assert session.config.audio.input.noise_reduction is None


def test_a_config_the_turn_detector_refuses_is_refused_before_anything_is_applied(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mockrt.core import vad

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise ValueError("a limit the range checks do not know")

    before = _config(session)
    monkeypatch.setattr(vad.VadConfig, "from_turn_detection", refuse)
    (error,) = send(session, _update({"type": "server_vad", "threshold": 0.6}))
    assert error["error"]["type"] == "invalid_request_error"
    assert error["error"]["param"] == TD
    assert _config(session) == before

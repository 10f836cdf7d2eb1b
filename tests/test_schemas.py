"""schemas/: generated from the models, up to date, valid 2020-12, resolvable offline, and in
agreement with what the mock accepts and sends."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from pydantic import ValidationError
from referencing.exceptions import Unresolvable

from mockrt.contract import schema
from mockrt.contract.validator import registry, validate_event
from mockrt.core.beta import BETA_CLIENT_EVENTS
from mockrt.core.client_events import CLIENT_EVENTS
from mockrt.core.handshake import KeyStore, create_beta_transcription_session, create_client_secret
from mockrt.core.ids import CountingIds
from mockrt.core.options import Options

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
PERSONAS_AND_DIRECTIONS = list(schema.EVENT_UNIONS)


def files() -> dict[str, dict[str, Any]]:
    return schema.load(SCHEMAS)


def refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_schemas_directory_is_exactly_what_export_writes(tmp_path: Path) -> None:
    schema.export(tmp_path)
    generated = {p.relative_to(tmp_path) for p in tmp_path.rglob("*.json")}
    committed = {p.relative_to(SCHEMAS) for p in SCHEMAS.rglob("*.json")}
    assert generated == committed
    for path in sorted(generated):
        assert (tmp_path / path).read_text() == (SCHEMAS / path).read_text(), path
    assert schema.check(SCHEMAS) == [], "stale schemas/: run `mockrt schemas export schemas`"


def test_check_reports_a_changed_a_missing_and_a_stale_file(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    committed = copy / "ga" / "server" / "input_audio_buffer.committed.json"
    doc = json.loads(committed.read_text())
    doc["required"].remove("item_id")
    committed.write_text(schema.render(doc))
    (copy / "ga" / "client" / "input_audio_buffer.clear.json").unlink()
    (copy / "ga" / "client" / "response.create.json").write_text("{}\n")
    problems = schema.check(copy)
    assert [p.splitlines()[0] for p in problems] == [
        "missing: ga/client/input_audio_buffer.clear.json",
        "stale (not generated): ga/client/response.create.json",
        "differs: ga/server/input_audio_buffer.committed.json",
    ]
    assert '+    "item_id"' in problems[2]


def test_export_is_deterministic_and_removes_stale_documents(tmp_path: Path) -> None:
    schema.export(tmp_path)
    first = {p: p.read_bytes() for p in tmp_path.rglob("*.json")}
    (tmp_path / "ga" / "server" / "gone.json").write_text("{}\n")
    schema.export(tmp_path)
    assert {p: p.read_bytes() for p in tmp_path.rglob("*.json")} == first
    assert all(text.endswith(b"}\n") for text in first.values())


@pytest.mark.parametrize("path", sorted(files()))
def test_every_document_is_valid_draft_2020_12_with_a_stable_id(path: str) -> None:
    doc = files()[path]
    Draft202012Validator.check_schema(doc)
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == f"https://mockrt.dev/schemas/{path}"


def test_every_ref_resolves_offline_through_the_local_registry() -> None:
    resolver = registry(SCHEMAS).resolver()
    seen = 0
    for path, doc in files().items():
        for ref in refs(doc):
            assert ref.startswith(schema.BASE_URI), (path, ref)
            resolver.lookup(ref)
            seen += 1
    assert seen > 50
    with pytest.raises(Unresolvable):  # nothing is fetched: an unknown $id is an error
        resolver.lookup("https://mockrt.dev/schemas/ga/server/nope.json")


@pytest.mark.parametrize(("persona", "direction"), PERSONAS_AND_DIRECTIONS)
def test_every_event_type_has_its_document_and_a_place_in_the_union(
    persona: schema.Persona, direction: schema.Direction
) -> None:
    docs = files()
    types = list(schema.event_types(persona, direction))
    union = docs[f"{persona}/{direction}.json"]
    assert union["properties"]["type"]["enum"] == types
    for event_type in types:
        doc = docs[f"{persona}/{direction}/{event_type}.json"]
        target = docs[doc["$ref"][len(schema.BASE_URI) :]] if "$ref" in doc else doc
        assert target["properties"]["type"]["const"] == event_type


def test_the_union_document_selects_the_event_schema_by_type() -> None:
    validator = Draft202012Validator(files()["ga/client.json"], registry=registry(SCHEMAS))
    assert validator.is_valid({"type": "input_audio_buffer.commit", "event_id": "c1"})
    errors = list(validator.iter_errors({"type": "input_audio_buffer.commit", "bogus": 1}))
    assert [e.validator for e in errors] == ["additionalProperties"]
    assert not validator.is_valid({"type": "response.create"})
    assert not validator.is_valid({"event_id": "x"})


# Client frames: what the strict pydantic models accept, the schema accepts, and vice versa.
CLIENT_FRAMES: list[tuple[str, dict[str, Any], bool]] = [
    ("ga", {"type": "input_audio_buffer.append", "audio": "AAAA"}, True),
    ("ga", {"type": "input_audio_buffer.append", "audio": 5}, False),
    ("ga", {"type": "input_audio_buffer.commit", "event_id": "c1", "x": 1}, False),
    ("ga", {"type": "session.update", "session": {"type": "transcription"}}, True),
    ("ga", {"type": "session.update", "session": {"audio": {}}}, False),
    (
        "ga",
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "format": {"type": "audio/pcm", "rate": 24000},
                        "transcription": {"model": "gpt-live-transcribe", "languages": ["ja"]},
                        "turn_detection": None,
                        "noise_reduction": {"type": "far_field"},
                    }
                },
                "include": ["item.input_audio_transcription.logprobs"],
            },
        },
        True,
    ),
    (
        "ga",
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"turn_detection": {"type": "server_vad", "threshold": 2}}},
            },
        },
        False,
    ),
    (
        "ga",
        {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {"input": {"transcription": {"delay": "bogus"}}},
            },
        },
        False,
    ),
    ("ga", {"type": "session.update", "session": {"type": "realtime", "model": "x"}}, True),
    (
        "beta",
        {
            "type": "transcription_session.update",
            "session": {
                "input_audio_format": "g711_ulaw",
                "input_audio_transcription": {"model": "whisper-1", "language": "en"},
                "turn_detection": {"type": "semantic_vad", "eagerness": "low"},
                "input_audio_noise_reduction": {"type": "near_field"},
                "client_secret": {"expires_at": {"anchor": "created_at", "seconds": 60}},
                "modalities": ["text"],
            },
        },
        True,
    ),
    (
        "beta",
        {
            "type": "transcription_session.update",
            "session": {"input_audio_transcription": {"model": "gpt-live-transcribe"}},
        },
        False,
    ),
    ("beta", {"type": "transcription_session.update", "session": {"audio": {}}}, False),
]


@pytest.mark.parametrize(("persona", "frame", "valid"), CLIENT_FRAMES)
def test_client_schemas_accept_exactly_what_the_strict_models_accept(
    persona: schema.Persona, frame: dict[str, Any], valid: bool
) -> None:
    adapter: Any = CLIENT_EVENTS if persona == "ga" else BETA_CLIENT_EVENTS
    try:
        adapter.validate_json(json.dumps(frame))
        model_ok = True
    except ValidationError:
        model_ok = False
    violations = validate_event(frame, persona, "client", SCHEMAS)
    assert (model_ok, not violations) == (valid, valid), violations


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        ({"type": "nope"}, ("/type", "schema:enum")),
        ({"event_id": "x"}, ("/type", "schema:required")),
        ({"type": "input_audio_buffer.append"}, ("/audio", "schema:required")),
        (
            {"type": "input_audio_buffer.clear", "bogus": 1},
            ("/bogus", "schema:additionalProperties"),
        ),
        (
            {"type": "session.update", "session": {"audio": {}}},
            ("/session/type", "schema:required"),
        ),
        (
            {
                "type": "session.update",
                "session": {"type": "transcription", "audio": {"input": {"format": {"type": "x"}}}},
            },
            ("/session/audio/input/format/type", "schema:enum"),
        ),
        (
            {
                "type": "session.update",
                "session": {
                    "type": "transcription",
                    "audio": {"input": {"turn_detection": {"threshold": 0.5}}},
                },
            },
            ("/session/audio/input/turn_detection/type", "schema:required"),
        ),
    ],
)
def test_a_violation_names_the_json_pointer_and_the_rule(
    frame: dict[str, Any], expected: tuple[str, str]
) -> None:
    violations = validate_event(frame, "ga", "client", SCHEMAS)
    assert [(v.pointer, v.rule) for v in violations] == [expected]


def test_the_client_secrets_answers_follow_the_rest_schema() -> None:
    validator = Draft202012Validator(
        files()["ga/rest/client_secrets.response.json"], registry=registry(SCHEMAS)
    )
    request = Draft202012Validator(
        files()["ga/rest/client_secrets.request.json"], registry=registry(SCHEMAS)
    )
    bodies: list[dict[str, Any]] = [
        {"session": {"type": "transcription", "audio": {"input": {"turn_detection": None}}}},
        {"expires_after": {"anchor": "created_at", "seconds": 10}},
        {},
    ]
    for body in bodies:
        assert request.is_valid(body), body
        status, answer = create_client_secret(body, KeyStore(), Options(), CountingIds(), 1e9)
        assert status == 200
        assert list(validator.iter_errors(answer)) == [], answer
    assert not request.is_valid({"expires_after": {"seconds": 7201}})
    assert not request.is_valid({"session": {"type": "transcription"}, "bogus": 1})


def test_descriptions_quote_the_sdk_docstrings_with_their_source() -> None:
    committed = files()["ga/server/input_audio_buffer.committed.json"]
    assert committed["description"].startswith('"Returned when an input audio buffer is committed')
    assert "(openai.types.realtime." in committed["properties"]["previous_item_id"]["description"]


def test_the_contract_modules_load_neither_aiohttp_nor_websockets() -> None:
    code = (
        "import sys\n"
        "import mockrt.core.beta, mockrt.contract.schema, mockrt.contract.validator\n"
        "import mockrt.cli.schemas\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
        "('aiohttp', 'websockets', 'asyncio'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_the_beta_transcription_sessions_answer_follows_the_beta_rest_schema() -> None:
    reg = registry(SCHEMAS)
    request = Draft202012Validator(
        files()["beta/rest/transcription_sessions.request.json"], registry=reg
    )
    answer = Draft202012Validator(
        files()["beta/rest/transcription_sessions.response.json"], registry=reg
    )
    body = {
        "input_audio_format": "g711_alaw",
        "input_audio_transcription": {"model": "whisper-1"},
        "turn_detection": None,
    }
    assert request.is_valid(body)
    status, out = create_beta_transcription_session(
        body, KeyStore(), Options(), CountingIds(), 1e9, "beta"
    )
    assert status == 200
    assert list(answer.iter_errors(out)) == [], out
    assert out["client_secret"]["value"].startswith("ek_")

"""`mockrt validate FILE` and `mockrt schemas export/check` from the command line."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from mockrt.cli.main import main
from mockrt.cli.schemas import FrameViolation, validate_records
from mockrt.core.persona import BETA

from .conftest import make_session, send

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"
SILENCE_500_MS = base64.b64encode(bytes(24_000)).decode()


def recorded_turn(**kwargs: Any) -> str:
    """The journal of a session that configures, appends 500 ms, commits and gets a transcript."""
    session = make_session(**kwargs)
    session.events_to_send()
    if session.persona is BETA:
        configure: dict[str, Any] = {
            "type": "transcription_session.update",
            "session": {
                "input_audio_transcription": {"model": "gpt-4o-transcribe"},
                "turn_detection": None,
            },
        }
    else:
        configure = {
            "type": "session.update",
            "session": {
                "type": "transcription",
                "audio": {
                    "input": {
                        "transcription": {"model": "gpt-4o-transcribe"},
                        "turn_detection": None,
                    }
                },
            },
        }
    send(session, configure)
    send(session, {"type": "input_audio_buffer.append", "audio": SILENCE_500_MS})
    send(session, {"type": "input_audio_buffer.commit", "event_id": "commit_1"})
    session.advance(10_000)
    session.events_to_send()
    return session.journal.to_jsonl()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str]]:
    code = main(list(argv))
    return code, capsys.readouterr().out.splitlines()


def test_a_journal_of_the_mock_validates_with_exit_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "good.jsonl"
    journal.write_text(recorded_turn())
    types = [json.loads(line)["event"]["type"] for line in journal.read_text().splitlines()]
    assert "conversation.item.input_audio_transcription.completed" in types
    assert run(capsys, "validate", str(journal)) == (0, [])
    assert run(capsys, "validate", str(journal), "--schemas", str(SCHEMAS)) == (0, [])


def test_a_beta_journal_validates_against_the_beta_contract_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "beta.jsonl"
    journal.write_text(recorded_turn(persona=BETA))
    assert run(capsys, "validate", str(journal), "--persona", "beta") == (0, [])
    code, lines = run(capsys, "validate", str(journal))
    assert code == 1
    assert lines[:2] == [
        "frame 0 (server transcription_session.created) /type: 'transcription_session.created' "
        "is not one of ['session.created', 'session.updated', 'error', "
        "'input_audio_buffer.committed', 'input_audio_buffer.cleared', "
        "'input_audio_buffer.speech_started', 'input_audio_buffer.speech_stopped', "
        "'input_audio_buffer.timeout_triggered', 'conversation.item.added', "
        "'conversation.item.done', 'conversation.item.created', "
        "'conversation.item.input_audio_transcription.delta', "
        "'conversation.item.input_audio_transcription.completed', "
        "'conversation.item.input_audio_transcription.failed'] [schema:enum]",
        "frame 0 (server transcription_session.created) /type: the first server event must be "
        "session.created [lifecycle:first-event]",
    ]


BAD = [
    {"direction": "server", "session": "s1", "event": {"type": "input_audio_buffer.cleared"}},
    {
        "direction": "client",
        "session": "s1",
        "event": {"type": "input_audio_buffer.append", "audio": 5, "bogus": True},
    },
    {"direction": "client", "session": "s1", "event": '{"type": "input_audio_buffer.commit"'},
    {
        "direction": "server",
        "session": "s1",
        "event": {
            "type": "conversation.item.input_audio_transcription.delta",
            "event_id": "event_2",
            "item_id": "item_x",
            "content_index": 0,
            "delta": "Hel",
        },
    },
    {
        "direction": "server",
        "session": "s1",
        "event": {
            "type": "conversation.item.input_audio_transcription.completed",
            "event_id": "event_3",
            "item_id": "item_x",
            "content_index": 0,
            "transcript": "Hello",
            "usage": {"type": "duration", "seconds": 1},
        },
    },
    {
        "direction": "server",
        "session": "s1",
        "event": {
            "type": "input_audio_buffer.committed",
            "event_id": "event_4",
            "previous_item_id": None,
            "item_id": "item_y",
        },
    },
    {"direction": "client", "event": "<binary frame of 3 bytes>"},
]

EXPECTED = [
    "frame 0 (server input_audio_buffer.cleared) /event_id: 'event_id' is a required property "
    "[schema:required]",
    "frame 0 (server input_audio_buffer.cleared) /type: the first server event must be "
    "session.created [lifecycle:first-event]",
    "frame 1 (client input_audio_buffer.append) /audio: 5 is not of type 'string' [schema:type]",
    "frame 1 (client input_audio_buffer.append) /bogus: Additional properties are not allowed "
    "('bogus' was unexpected) [schema:additionalProperties]",
    'frame 2 (client ?) /: frame is not JSON: \'{"type": "input_audio_buffer.commit"\' '
    "[frame-not-json]",
    "frame 4 (server conversation.item.input_audio_transcription.completed) /item_id: item "
    "'item_x' was never committed [lifecycle:result-without-commit]",
    "frame 4 (server conversation.item.input_audio_transcription.completed) /transcript: the "
    "deltas concatenate to 'Hel', the transcript is 'Hello' [lifecycle:deltas-match-transcript]",
    "frame 5 (server input_audio_buffer.committed) /item_id: item 'item_y' never got a "
    "completed or failed event [lifecycle:committed-without-result]",
    "frame 6 (client ?) /: a binary frame; the API takes text frames [frame-binary]",
]


def test_a_broken_stream_prints_each_violation_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "bad.jsonl"
    journal.write_text("".join(json.dumps(record) + "\n" for record in BAD))
    code = main(["validate", str(journal)])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out.splitlines() == EXPECTED
    assert captured.err.strip() == "9 violation(s) in 7 frame(s)"


def test_lines_that_are_not_records_are_violations_too() -> None:
    found = validate_records([ValueError("Expecting value"), [1], {"direction": "client"}])
    assert found == [
        FrameViolation(0, "?", "?", "", "not JSON: Expecting value", "record-json"),
        FrameViolation(1, "?", "?", "", "not a journal record", "record-shape"),
        FrameViolation(2, "client", "?", "", "no event", "record-shape"),
    ]


def test_lifecycle_rules_apply_per_session() -> None:
    created = json.loads(recorded_turn().splitlines()[0])
    other = {**created, "session": "sess_other"}
    assert created["event"]["type"] == "session.created"
    assert validate_records([created, other]) == []


def test_schemas_export_then_check_round_trips_and_a_change_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "out"
    code, lines = run(capsys, "schemas", "export", str(target))
    assert code == 0 and lines[0].startswith("wrote ")
    code, lines = run(capsys, "schemas", "check", str(target))
    assert code == 0 and lines == [f"{target}: up to date (82 documents)"]
    (target / "ga" / "client" / "input_audio_buffer.clear.json").write_text("{}\n")
    code, lines = run(capsys, "schemas", "check", str(target))
    assert code == 1 and lines[0] == "differs: ga/client/input_audio_buffer.clear.json"


def test_schemas_check_against_the_sdk_prints_the_sdk_version(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, lines = run(
        capsys, "schemas", "check", str(SCHEMAS), "--against-sdk", "--max-examples", "0"
    )
    assert code == 0, lines
    assert lines[1].startswith("openai==")
    assert lines[-1].startswith("0 drift(s), 0 unused allow-list entr(ies), ")

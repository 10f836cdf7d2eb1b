"""The hypothesis state machine drives a real socket to the mock (served from a thread, the
machine being synchronous) and keeps the invariants; a violation becomes a case file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import yaml
from hypothesis.stateful import run_state_machine_as_test

from conformance.casefile import load_file
from conformance.machine import PROFILES, awaiting, case_file, machine_for
from conformance.targets import serve_in_thread


@pytest.fixture
def mock_url() -> Iterator[tuple[str, str]]:
    with serve_in_thread() as server:
        yield server.url, server.api_key


def test_the_mock_keeps_the_invariants_under_drawn_event_sequences(
    mock_url: tuple[str, str],
) -> None:
    url, key = mock_url
    machine = machine_for(url, key, "ci")
    run_state_machine_as_test(machine, settings=PROFILES["ci"])


def test_a_found_sequence_prints_as_a_valid_case_file(tmp_path: object) -> None:
    text = case_file(
        [{"send": {"type": "input_audio_buffer.commit", "event_id": "hyp_1"}}],
        "frame 3 (server error) /error/event_id: echoes 'x' [invariant:error-echo]",
    )
    assert text.startswith("# frame 3 (server error)")
    path = tmp_path / "99-found.yaml"  # type: ignore[operator]
    path.write_text(text)
    (case,) = load_file(path)
    assert case.id == "99.1" and case.steps[1]["send"]["event_id"] == "hyp_1"
    assert yaml.safe_load(text)["cases"][0]["steps"][-1] == {"quiet": 500}


def test_awaiting_counts_only_commits_made_while_transcription_is_on() -> None:
    def server(event: dict[str, object]) -> dict[str, object]:
        return {"direction": "server", "event": event}

    off = {"type": "session.created", "session": {"audio": {"input": {"transcription": None}}}}
    on = {"type": "session.updated", "session": {"audio": {"input": {"transcription": {}}}}}
    wire = [
        server(off),
        server({"type": "input_audio_buffer.committed", "item_id": "a"}),
        server(on),
        server({"type": "input_audio_buffer.committed", "item_id": "b"}),
        server({"type": "input_audio_buffer.committed", "item_id": "c"}),
        server({"type": "conversation.item.input_audio_transcription.failed", "item_id": "c"}),
    ]
    assert awaiting(wire) == {"b"}

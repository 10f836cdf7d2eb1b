"""The hypothesis state machine drives a real socket to the mock (served from a thread, the
machine being synchronous) and keeps the invariants; a violation becomes a case file."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import pytest
import yaml
from hypothesis.stateful import run_state_machine_as_test

from conformance.casefile import load_file
from conformance.machine import PROFILES, awaiting, case_file, machine_for
from mockrt.serve.testing import MockRealtimeServer


@pytest.fixture
def mock_url() -> Iterator[tuple[str, str]]:
    """A mock on its own event loop in a thread."""
    loop = asyncio.new_event_loop()
    server = MockRealtimeServer.from_options()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.stop())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(30)
    try:
        yield server.url, server.api_key
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(30)


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

"""Client libraries are recognised from traffic recorded from the real libraries
(tests/data/traffic/, made by tests/data/traffic/record.py; see tests/data/README.md)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mockrt.core.journal import Journal, read_jsonl
from mockrt.diagnosis.analysis import diagnose

TRAFFIC = Path(__file__).parent / "data" / "traffic"


@pytest.mark.parametrize(
    ("recording", "client", "name"),
    [
        ("openai-sdk.jsonl", "openai-sdk", "the openai SDK's realtime connection"),
        ("pipecat.jsonl", "pipecat", "Pipecat (OpenAIRealtimeSTTService)"),
    ],
)
def test_a_recorded_library_is_recognised_with_high_confidence(
    recording: str, client: str, name: str
) -> None:
    journal = read_jsonl((TRAFFIC / recording).read_text(encoding="utf-8").splitlines())
    report = diagnose(journal)
    (session,) = report.sessions
    assert session.client is not None
    assert (session.client.client, session.client.confidence) == (client, "high")
    assert name in report.to_text()
    # the recordings are conformant real-time streams at 24 kHz: nothing to report
    assert report.conformant and session.notes == ()


def test_a_recording_without_its_handshake_headers_is_not_taken_for_the_openai_sdk() -> None:
    lines = (TRAFFIC / "openai-sdk.jsonl").read_text(encoding="utf-8").splitlines()
    first, *rest = read_jsonl(lines)
    journal = Journal([dataclasses.replace(first, client_headers=None), *rest])
    (session,) = diagnose(journal).sessions
    assert session.client is not None and session.client.client == "raw"


def test_pipecat_streams_interim_text_before_its_commits_in_the_recording() -> None:
    journal = read_jsonl((TRAFFIC / "pipecat.jsonl").read_text(encoding="utf-8").splitlines())
    kinds = [e.type for e in journal.server()]
    first_commit = kinds.index("input_audio_buffer.committed")
    assert "conversation.item.input_audio_transcription.delta" in kinds[:first_commit]

"""``mockrt diagnose`` as a user runs it: a program against the mock, a journal, a timeout."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockrt.cli.main import main

from .test_diagnose import run_frames, runner_frames

ROOT = Path(__file__).resolve().parents[1]
RULE_TEXT = "Passing a realtime session update event to a transcription session is not allowed."


def diagnose_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockrt", "diagnose", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_reported_program_is_explained_with_both_fixes_and_exits_1() -> None:
    result = diagnose_cli("--", sys.executable, "examples/agents_realtime_runner_wrong.py")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    # The program's own output passes through, then the report.
    assert out.count("RealtimeError: RealtimeError(message='Passing a realtime") == 2
    report = out[out.index("mockrt diagnose: NOT CONFORMANT") :]
    assert "Client: OpenAI Agents SDK RealtimeRunner (agents.realtime) (confidence high)" in report
    assert "rule: realtime-update-on-transcription-session" in report
    assert RULE_TEXT in report.replace("\n    ", " ")
    assert "POST /v1/realtime/client_secrets -> 200" in report
    assert "GET /v1/realtime?intent=transcription -> 101 (WebSocket)" in report
    assert "from agents.voice import OpenAISTTModel" in report
    assert 'client.realtime.connect(extra_query={"intent": "transcription"})' in report
    assert "See: examples/agents_voice_stt.py, examples/openai_sdk_transcription.py" in report


def test_working_example_is_conformant_in_json_and_its_journal_can_be_replayed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "run.jsonl"
    result = diagnose_cli(
        "--json",
        "--script",
        "examples/scripts/hello.yaml",
        "--save-journal",
        str(saved),
        "--",
        sys.executable,
        "examples/raw_websockets.py",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # With --json the program's stdout goes to stderr: stdout is the report alone.
    assert "transcript: Hello there, how can I help?" in result.stderr
    report = json.loads(result.stdout)
    assert (report["conformant"], report["exit_code"], report["problems"]) == (True, 0, 0)
    assert report["run"]["returncode"] == 0 and not report["run"]["timed_out"]
    (session,) = report["sessions"]
    assert session["transcripts"] == ["Hello there, how can I help?"]
    assert session["client"]["client"] == "raw"
    assert main(["diagnose", "--journal", str(saved)]) == 0
    assert "mockrt diagnose: CONFORMANT - 1 session, no problems" in capsys.readouterr().out


def test_saved_journal_is_explained_without_running_anything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    journal = tmp_path / "runner.jsonl"
    journal.write_text(run_frames(runner_frames()).journal.to_jsonl())
    assert main(["diagnose", "--journal", str(journal)]) == 1
    text = capsys.readouterr().out
    assert "OpenAI Agents SDK RealtimeRunner" in text and "agents.voice" in text
    assert main(["diagnose", "--json", "--journal", str(journal)]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["sessions"][0]["problems"][0]["rule"] == "realtime-update-on-transcription-session"
    assert data["run"] is None


def test_program_still_running_at_the_timeout_is_stopped_and_reported(
    capsys: pytest.CaptureFixture[str],
) -> None:
    started = time.monotonic()
    code = main(
        ["diagnose", "--timeout", "0.5", "--", sys.executable, "-c", "import time; time.sleep(30)"]
    )
    assert time.monotonic() - started < 10
    assert code == 1
    text = " ".join(capsys.readouterr().out.split())
    assert "was still running after 0.5 s and was stopped (--timeout)" in text
    assert "never reached the mock" in text


@pytest.mark.parametrize(
    "args",
    [["diagnose"], ["diagnose", "--journal", "x.jsonl", "--", "python", "app.py"]],
    ids=["nothing-to-run", "journal-and-command"],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    assert capsys.readouterr().err.startswith("mockrt diagnose: ")

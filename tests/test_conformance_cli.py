"""`mockrt conformance` on the command line: summary, JUnit and JSON, the one-line rerun of a
failure with its wire log, a meaningless run, URL and live targets; `mockrt validate
--invariants` uses the same library."""

from __future__ import annotations

import asyncio
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mockrt.cli.main import main
from mockrt.serve.testing import MockRealtimeServer

from .test_validate_cli import recorded_turn

WRONG_CASE = """\
section: "1"
title: Handshake
cases:
  - id: "1.1"
    description: session.created names the wrong object
    sources: [{ref: "docs/protocol.md §5", seen: "2026-11"}]
    certainty: confirmed
    steps:
      - expect: [{type: session.created, session: {object: realtime.session}}]
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_a_run_against_the_mock_passes_and_writes_junit_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit, report = tmp_path / "c.xml", tmp_path / "c.json"
    code, out = run(
        capsys,
        "conformance",
        "--cases",
        "3.1",
        "--cases",
        "10",
        "--junit",
        str(junit),
        "--json",
        str(report),
    )
    assert code == 0, out
    assert "10 Ephemeral keys" in out and "8 case(s): 8 passed, 0 failed" in out
    suites = ET.parse(junit).getroot().findall("testsuite")
    assert [s.get("name") for s in suites] == ["3 Validation errors", "10 Ephemeral keys"]
    names = [c.get("name") for c in suites[0].findall("testcase")]
    assert names == ["3.1 realtime session.update on a transcription session is rejected"]
    data = json.loads(report.read_text())
    assert data["summary"] == {"OK": 8} and data["meaningless"] is None
    first = data["results"][0]
    assert (first["case"], first["verdict"], first["agreed"]) == ("3.1", "OK", "yes")
    assert first["rerun"] == "mockrt conformance --target mock --cases 3.1"
    assert any(r.get("direction") == "client" for r in first["wire"])


def test_a_failure_prints_the_rerun_command_the_first_mismatch_and_the_wire_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "01-wrong.yaml").write_text(WRONG_CASE)
    junit = tmp_path / "c.xml"
    code, out = run(capsys, "conformance", "--case-dir", str(tmp_path), "--junit", str(junit))
    assert code == 1
    assert "FAILED 1.1 session.created names the wrong object" in out
    assert "rerun: mockrt conformance --target mock --cases 1.1" in out
    assert (
        "first mismatch: step 1: frame session.created /session/object: expected "
        "'realtime.session', got 'realtime.transcription_session'"
    ) in out
    assert "<< HTTP 101" in out and '<< {"type": "session.created"' in out
    failure = ET.parse(junit).getroot().find("testsuite/testcase/failure")
    assert failure is not None and "/session/object" in (failure.get("message") or "")


async def test_a_run_refused_everywhere_says_it_is_meaningless_and_fails(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with MockRealtimeServer.from_options(api_keys=frozenset({"sk-only-this-one"})) as srv:
        code = await asyncio.to_thread(
            main, ["conformance", "--target", srv.url, "--cases", "2", "--api-key", "sk-other"]
        )
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("MEANINGLESS RUN: no connection was accepted (HTTP 401 x")


async def test_a_url_target_runs_against_another_server_and_reports_agreement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with MockRealtimeServer.from_options() as srv:
        code = await asyncio.to_thread(
            main, ["conformance", "--target", srv.url, "--cases", "3.1", "--cases", "11.5"]
        )
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3.1 agreed: yes" in out
    assert "passed   0  failed   0  skipped   1" in out  # 11.5 needs --persona beta


def test_live_never_runs_without_a_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    code, out = run(capsys, "conformance", "--target", "live")
    assert code == 0
    assert out.startswith("SKIPPED: the live target needs OPENAI_API_KEY; nothing was sent.")


@pytest.mark.live
def test_live_prints_its_budget_first_and_reports_agreement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    import os

    if not os.environ.get("OPENAI_API_KEY"):
        pytest.skip("live target needs OPENAI_API_KEY (costs a few cents: see README)")
    code, out = run(
        capsys,
        "conformance",
        "--target",
        "live",
        "--cases",
        "2",
        "--cases",
        "3.1",
        "--max-audio-seconds",
        "10",
    )
    assert out.startswith("live budget: ")
    assert "agreed:" in out
    assert code in (0, 1)


def journal(tmp_path: Path, previous: str | None) -> Path:
    """A journal of the mock (one manual turn) whose committed names ``previous``."""
    records = [json.loads(line) for line in recorded_turn().splitlines()]
    for record in records:
        if record["event"].get("type") == "input_audio_buffer.committed":
            record["event"]["previous_item_id"] = previous
    path = tmp_path / "j.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def test_validate_invariants_adds_the_ordering_checks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = journal(tmp_path, previous="item_0")
    assert run(capsys, "validate", str(wrong)) == (0, "")
    code, out = run(capsys, "validate", str(wrong), "--invariants")
    assert code == 1
    assert out.endswith(
        "(server input_audio_buffer.committed) /previous_item_id: is 'item_0'; the "
        "previous commit was None [invariant:previous-item]\n"
    )
    assert run(capsys, "validate", str(journal(tmp_path, None)), "--invariants") == (0, "")

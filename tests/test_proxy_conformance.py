"""``mockrt conformance --record DIR --compare-with mock``: the cases through the recording
proxy, captures per case, and the diff per case between two targets."""

from __future__ import annotations

from pathlib import Path

import pytest

from conformance.casefile import load_cases, select
from conformance.targets import parse_target, serve_in_thread
from mockrt.cli.main import main
from mockrt.core.options import Options
from mockrt.diagnosis.diff import Tolerance
from mockrt.serve.caserecord import compare, record_cases, target_dir
from mockrt.serve.testing import MockRealtimeServer


def test_recorded_cases_leave_captures_per_case_and_agree_with_the_mock(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with serve_in_thread() as server:
        url = f"ws://127.0.0.1:{server.port}/v1/realtime"
        args = ["conformance", "--target", url, "--cases", "3.1", "--record", str(tmp_path)]
        assert main([*args, "--compare-with", "mock"]) == 0
    out = capsys.readouterr().out
    assert "3.1 ws://127.0.0.1:" in out and "= mock" in out
    assert "0 of 1 recorded case(s) differ" in out
    assert len(list((tmp_path / "mock" / "3.1").glob("*.jsonl"))) == 1


async def test_a_target_that_words_an_error_otherwise_is_found_different(tmp_path: Path) -> None:
    (case,) = select(load_cases(None), ["3.1"])
    options = Options(rule_wording="later")
    async with MockRealtimeServer(options=options) as other:
        target = parse_target(f"ws://127.0.0.1:{other.port}/v1/realtime", other.api_key)
        await record_cases([case], target, tmp_path)
    mock = parse_target("mock")
    await record_cases([case], mock, tmp_path)
    (diff,) = compare(
        target_dir(tmp_path, target), target_dir(tmp_path, mock), ["3.1"], Tolerance(None)
    )
    assert [d.kind for d in diff.differences] == ["error text"]

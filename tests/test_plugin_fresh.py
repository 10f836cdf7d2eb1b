"""The plugin in a fresh project: pytest's and pytest-asyncio's default settings (no
asyncio_mode), without pytest-asyncio, the synchronous fixtures, and the journal and diagnosis
of a failing test. Each test runs pytest in a subprocess on a project made by ``pytester``."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mockrt.serve.pytest_fixtures import MISSING_PYTEST_ASYNCIO

pytest_plugins = ["pytester"]
README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
# Plugins of this venv a fresh project would not have; they only slow the subprocess down.
QUIET = ("-p", "no:cacheprovider", "-p", "no:schemathesis", "-p", "no:hypothesispytest")


def block(marker: str) -> str:
    match = re.search(rf"<!-- {re.escape(marker)} -->\n```python\n(.*?)```", README, re.S)
    assert match, f"README has no python block marked {marker!r}"
    return match.group(1)


def test_readme_pytest_example_passes_with_default_settings(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_readme=block("pytest-example"))
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1)


def test_without_pytest_asyncio_the_async_fixture_says_what_to_install(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_readme=block("pytest-example"))
    result = pytester.runpytest_subprocess(*QUIET, "-p", "no:asyncio")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*mockrt_server is an async fixture and needs pytest-asyncio*"])
    assert "pip install 'mockrt[pytest]'" in MISSING_PYTEST_ASYNCIO
    assert "fixture 'mockrt_server' not found" not in result.stdout.str()


SYNC_TESTS = """
import json
import pytest
from websockets.sync.client import connect

def test_second_sees_a_fresh_server(mockrt_server_sync):
    with connect(mockrt_server_sync.url, additional_headers=mockrt_server_sync.headers) as ws:
        assert json.loads(ws.recv())["event_id"] == "event_0001"
    assert [s.id for s in mockrt_server_sync.sessions] == ["sess_0001"]

@pytest.mark.mockrt(script=r"{script}")
def test_unused_scripted_turns_fail_a_sync_test(mockrt_server_sync):
    with connect(mockrt_server_sync.url, additional_headers=mockrt_server_sync.headers) as ws:
        ws.recv()

def test_failing_test_gets_journal_and_diagnosis(mockrt_server_session):
    with connect(mockrt_server_session.url, additional_headers=mockrt_server_session.headers) as ws:
        ws.recv()
        ws.send(json.dumps({{"type": "session.update", "session": {{"type": "realtime"}}}}))
        assert json.loads(ws.recv())["type"] == "session.updated"
"""


def test_sync_fixtures_work_without_pytest_asyncio_and_failures_carry_the_journal(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    script = tmp_path / "one.yaml"
    script.write_text('turns:\n  - transcript: "never used"\n')
    pytester.makepyfile(test_sync=SYNC_TESTS.format(script=script))
    pytester.makepyfile(test_readme_sync=block("pytest-sync-example"))
    journals = tmp_path / "journals"
    result = pytester.runpytest_subprocess(
        *QUIET, "-p", "no:asyncio", "--mockrt-journal-dir", str(journals)
    )
    result.assert_outcomes(passed=3, failed=1, errors=1)
    out = result.stdout.str()
    assert "scripted turns never consumed: [0]" in out
    result.stdout.fnmatch_lines(
        [
            "*- mockrt diagnosis (mockrt_server_sync) -*",
            "mockrt saw 1 session*",
            "*- mockrt diagnosis (mockrt_server_session) -*",
            "mockrt saw * 1 problem: (1) *session.update*Fix:*",
            "*- mockrt journal (mockrt_server_session) -*",
            '{"direction":"client"*"type":"session.update"*',
        ]
    )
    saved = sorted(p.name for p in journals.iterdir())
    assert saved == [
        "test_sync.py_test_failing_test_gets_journal_and_diagnosis.diagnosis.txt",
        "test_sync.py_test_failing_test_gets_journal_and_diagnosis.jsonl",
        "test_sync.py_test_unused_scripted_turns_fail_a_sync_test.diagnosis.txt",
        "test_sync.py_test_unused_scripted_turns_fail_a_sync_test.jsonl",
    ]
    lines = (journals / saved[1]).read_text().splitlines()
    assert '"violation"' in lines[-1]

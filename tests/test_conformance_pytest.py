"""`pytest --rt-target=mock -p mockrt` collects the cases as items with readable ids; a failure
shows the rerun command, the first mismatch and the wire log."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

WRONG_CASE = """\
section: "3"
title: Validation errors
cases:
  - id: "3.1"
    description: an unknown event type gets the wrong code
    sources: [{ref: "docs/protocol.md §6", seen: "2026-11"}]
    certainty: confirmed
    steps:
      - expect: [{type: session.created}]
      - send: {type: no.such.event}
      - expect: [{type: error, error: {code: unknown_parameter}}]
"""


def test_cases_are_collected_as_items_with_readable_ids(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--rt-target=mock",
        "--rt-cases=3.1",
        "--rt-cases=2.4",
        "-p",
        "mockrt",
        "-v",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "mockrt conformance target: mock",
            "*mockrt-conformance::2.4 session.updated keeps the session id of session.created "
            "PASSED*",
            "*mockrt-conformance::3.1 realtime session.update on a transcription session is "
            "rejected PASSED*",
        ]
    )


def test_a_failing_case_shows_its_wire_log_and_first_mismatch(pytester: pytest.Pytester) -> None:
    cases = pytester.mkdir("cases")
    (cases / "03-wrong.yaml").write_text(WRONG_CASE)
    result = pytester.runpytest_subprocess(
        "--rt-target=mock",
        f"--rt-case-dir={cases}",
        "-p",
        "mockrt",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "FAILED 3.1 an unknown event type gets the wrong code",
            "  rerun: mockrt conformance --target mock --cases 3.1",
            "  first mismatch: step 3: frame error /error/code: expected 'unknown_parameter', "
            "got 'invalid_value'*",
            "  wire log:",
            "    << HTTP 101",
            '    >> {"type": "no.such.event"}',
        ]
    )


def test_a_run_where_no_connection_opens_says_it_is_meaningless(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        "--rt-target=ws://127.0.0.1:9/v1/realtime",
        "--rt-cases=2.1",
        "-p",
        "mockrt",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["MEANINGLESS RUN: no connection was accepted (no connection x1)*"])

"""The whole conformance suite against the in-process mock, one test per case: the mock passes
every case (known failures listed in conformance/xfail.yaml must really fail)."""

from __future__ import annotations

import pytest

from conformance.casefile import Case, load_cases
from conformance.report import format_failure
from conformance.suite import run_case
from conformance.targets import Targets, parse_target

CASES = load_cases()
MOCK = parse_target("mock")


@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
async def test_the_mock_passes_the_case(case: Case) -> None:
    async with Targets(MOCK) as targets:
        result = await run_case(case, MOCK, targets)
    assert not result.failed, "\n".join(format_failure(result))
    assert result.verdict in ("OK", "FAILED"), result.reason
    assert result.verdict == "OK" or result.known


async def test_a_server_that_duplicates_completed_fails_the_case_on_an_invariant() -> None:
    (base,) = [c for c in CASES if c.id == "7.1"]
    faulty = Case(
        **{
            **base.__dict__,
            "mock": {
                "script": {
                    "faults": [
                        {
                            "duplicate": "conversation.item.input_audio_transcription.completed",
                            "turn": 1,
                        }
                    ]
                }
            },
            "steps": (
                *base.steps,
                {"quiet": 300, "ignore": ["conversation.item.input_audio_transcription.completed"]},
            ),
        }
    )
    async with Targets(MOCK) as targets:
        result = await run_case(faulty, MOCK, targets)
    assert result.verdict == "FAILED"
    assert result.mismatch.startswith("invariant: frame ")
    assert result.mismatch.endswith("[lifecycle:duplicate-result]")

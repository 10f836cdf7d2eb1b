"""Running cases against a target: one ``CaseResult`` per case (verdict, reason, rerun command,
wire log, first mismatch, which alternative matched, whether live agreed), with the live audio
budget enforced. Verdicts follow Autobahn|Testsuite: OK, NON-STRICT (works but deviates),
FAILED, UNIMPLEMENTED, plus SKIPPED (with the reason) for cases a target cannot run.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

import yaml

from conformance.actions import Outcome
from conformance.casefile import Case
from conformance.driver import execute
from conformance.invariants import default_schemas_dir, validate_records
from conformance.results import CaseResult
from conformance.runner import audio_seconds, case_steps, step_label
from conformance.targets import Target, Targets

__all__ = ["known_failures", "run_case", "run_cases"]


@cache
def known_failures() -> dict[str, dict[str, str]]:
    """``conformance/xfail.yaml``: target kind -> case id -> why it fails there."""
    text = resources.files("conformance").joinpath("xfail.yaml").read_text("utf-8")
    data = yaml.safe_load(text) or {}
    return {
        kind: {str(k): " ".join(str(v).split()) for k, v in cases.items()}
        for kind, cases in data.items()
    }


def _invariant_failure(outcome: Outcome, persona: str) -> str | None:
    frames = [r for r in outcome.wire if "event" in r]
    found = validate_records(
        frames,
        "beta" if persona == "beta" else "ga",
        default_schemas_dir(),
        invariants=True,
        directions=("server",),
        complete=False,
    )
    return None if not found else f"invariant: {found[0]}"


async def _attempt(
    case: Case,
    steps: tuple[dict[str, Any], ...] | None,
    connection: dict[str, Any],
    targets: Targets,
) -> tuple[Outcome, str | None]:
    endpoint = await targets.endpoint(case)
    planned = case_steps(case, steps)
    outcome = await execute(planned, connection, endpoint)
    if not outcome.passed:
        return outcome, f"{step_label(planned, outcome.step)}: {outcome.mismatch}"
    if case.invariants:
        failure = _invariant_failure(outcome, case.persona)
        if failure is not None:
            return outcome, failure
    return outcome, None


def _handshakes(outcome: Outcome) -> list[int]:
    return [int(r["handshake"]["status"]) for r in outcome.wire if "handshake" in r]


async def run_case(case: Case, target: Target, targets: Targets) -> CaseResult:
    """Run one case (and its alternatives while it fails) against ``target``."""
    result = CaseResult(case, target.name, "SKIPPED", rerun=target.rerun(case.id))
    skip = target.skip_reason(case)
    if skip is not None:
        result.reason = skip
        return result
    outcome, failure = await _attempt(case, None, case.connection, targets)
    first = (outcome, failure)
    attempts = [outcome]
    for alternative in case.alternatives if failure is not None else ():
        connection = {**case.connection, **alternative.get("connection", {})}
        alt_outcome, alt_failure = await _attempt(
            case, tuple(alternative["steps"]), connection, targets
        )
        attempts.append(alt_outcome)
        if alt_failure is None:
            outcome, failure = alt_outcome, None
            result.alternative = str(alternative["name"])
            break
    if failure is not None:
        outcome, failure = first
    result.wire = outcome.wire
    result.audio_seconds = sum(a.audio_seconds for a in attempts)
    result.connections = sum(len(_handshakes(a)) for a in attempts)
    result.upgraded = any(101 in _handshakes(a) for a in attempts)
    result.refused = outcome.refused
    if failure is None:
        result.verdict = "OK"
        result.reason = (
            "as expected"
            if result.alternative is None
            else f"matched the alternative {result.alternative!r}"
        )
    else:
        result.verdict = "FAILED"
        result.mismatch = result.reason = failure
    known = known_failures().get(target.kind, {}).get(case.id)
    if known is not None:
        if result.verdict == "FAILED":
            result.known = known
            result.reason = f"known failure: {known}"
        else:
            result.verdict = "FAILED"
            result.mismatch = result.reason = (
                f"passes, but conformance/xfail.yaml lists it as a known failure of "
                f"{target.kind} ({known}): remove the entry"
            )
    return result


async def run_cases(
    cases: list[Case],
    target: Target,
    *,
    max_audio_seconds: float | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """Run ``cases`` in order; once the next case would pass ``max_audio_seconds`` of audio
    (counted over the run, alternatives included) it and the rest that send audio are skipped."""
    results: list[CaseResult] = []
    spent = 0.0
    async with Targets(target) as targets:
        for case in cases:
            needed = audio_seconds(case)
            if max_audio_seconds is not None and needed and spent + needed > max_audio_seconds:
                result = CaseResult(
                    case,
                    target.name,
                    "SKIPPED",
                    reason=f"audio budget: {spent:.1f} s spent, this case needs {needed:.1f} s, "
                    f"--max-audio-seconds {max_audio_seconds:g}",
                    rerun=target.rerun(case.id),
                )
            else:
                result = await run_case(case, target, targets)
            spent += result.audio_seconds
            results.append(result)
            if progress is not None:
                progress(result)
    return results

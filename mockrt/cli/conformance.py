"""``mockrt conformance``: the protocol conformance suite (``conformance/``) against the mock,
the live API or any ws:// / wss:// URL. Progress on stderr, the summary per section and every
failure (rerun command, first mismatch, wire log) on stdout; exit 1 on any failure or when the
run is meaningless. The suite itself lives in the ``conformance`` package.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from conformance.budget import estimate
from conformance.casefile import CaseError, load_cases, select
from conformance.report import (
    format_failure,
    meaningless,
    summary_lines,
    write_json,
    write_junit,
)
from conformance.results import CaseResult
from conformance.suite import run_cases
from conformance.targets import parse_target
from mockrt.cli.clientmatrix import add_client_arguments, run_client_matrix

__all__ = ["register"]

_MARK = {"OK": ".", "NON-STRICT": "n", "FAILED": "F", "UNIMPLEMENTED": "U", "SKIPPED": "s"}


def _progress(result: CaseResult) -> None:
    mark = "x" if result.known else _MARK[result.verdict]
    print(mark, end="", file=sys.stderr, flush=True)


def _run(args: argparse.Namespace) -> int:
    try:
        target = parse_target(args.target, args.api_key, args.persona)
        cases = select(load_cases(args.case_dir), args.cases)
    except (ValueError, CaseError) as exc:
        print(f"mockrt conformance: {exc}", file=sys.stderr)
        return 2
    if not cases:
        print(f"mockrt conformance: no case matches {args.cases}", file=sys.stderr)
        return 2
    if target.kind == "live":
        if not target.key:
            print("SKIPPED: the live target needs OPENAI_API_KEY; nothing was sent.")
            return 0
        print(estimate(cases, args.max_audio_seconds))
    print(f"mockrt conformance: {len(cases)} case(s) against {target.name}", file=sys.stderr)
    if args.record is not None or args.compare_with is not None:
        return _recorded(args, cases, target)
    results = asyncio.run(
        run_cases(cases, target, max_audio_seconds=args.max_audio_seconds, progress=_progress)
    )
    return _report(args, results, target)


def _recorded(args: argparse.Namespace, cases: list[Any], target: Any) -> int:
    """``--record DIR`` (captures per case through the proxy) and ``--compare-with TARGET``
    (the same cases against a second target, then ``mockrt diff`` per case)."""
    from mockrt.diagnosis.diff import Tolerance
    from mockrt.serve.caserecord import compare, record_cases, target_dir

    if args.record is None:
        print("mockrt conformance: --compare-with needs --record DIR", file=sys.stderr)
        return 2
    budget = args.max_audio_seconds
    results = asyncio.run(
        record_cases(cases, target, args.record, max_audio_seconds=budget, progress=_progress)
    )
    status = _report(args, results, target)
    print(f"captures per case in {target_dir(args.record, target)}")
    if args.compare_with is None:
        return status
    other = parse_target(args.compare_with, None, args.persona)
    if target_dir(args.record, other) == target_dir(args.record, target):
        print("mockrt conformance: --compare-with names the target itself", file=sys.stderr)
        return 2
    print(f"mockrt conformance: the same cases against {other.name}", file=sys.stderr)
    asyncio.run(
        record_cases(cases, other, args.record, max_audio_seconds=budget, progress=_progress)
    )
    print(file=sys.stderr)
    diffs = compare(
        target_dir(args.record, target),
        target_dir(args.record, other),
        [case.id for case in cases],
        Tolerance(seconds=None),
    )
    for diff in diffs:
        if diff.equal:
            print(f"  {diff.case_id:>6} {target.name} = {other.name}")
        else:
            print(f"  {diff.case_id:>6} {target.name} != {other.name}: {diff.missing or ''}")
            for difference in diff.differences:
                print(f"         {difference}")
    differ = sum(not d.equal for d in diffs)
    print(f"{differ} of {len(diffs)} recorded case(s) differ: {target.name} vs {other.name}")
    return status


def _report(args: argparse.Namespace, results: list[CaseResult], target: Any) -> int:
    print(file=sys.stderr)
    warning = meaningless(results)
    if warning:
        print(warning)
    failures = [r for r in results if r.failed]
    for result in results:
        if result.verdict in ("FAILED", "UNIMPLEMENTED"):
            print(
                "\n".join(format_failure(result) if result.failed else format_failure(result)[:3])
            )
    if target.kind != "mock":
        for result in results:
            if result.verdict != "SKIPPED":
                print(f"  {result.case.id:>6} agreed: {result.agreed}")
    for result in results:
        if result.alternative is not None:
            print(f"  {result.case.id:>6} {result.reason}")
    print(f"conformance against {target.name}:")
    print("\n".join(summary_lines(results)))
    if args.junit:
        write_junit(args.junit, results, target.name)
    if args.json:
        write_json(args.json, results, target.name)
    return 1 if failures or warning else 0


def register(subparsers: Any) -> None:
    """Add ``conformance`` to the ``mockrt`` parser."""
    parser = subparsers.add_parser(
        "conformance",
        help="run the protocol conformance suite against the mock, the live API or a URL",
        description="Run the conformance cases (conformance/cases/) against a server and say, "
        "case by case, whether it speaks the transcription protocol as the live API does. "
        "Cases marked unconfirmed in their files follow the mock's most plausible reading.",
    )
    parser.add_argument(
        "--target",
        default="mock",
        help="mock (in-process mockrt, default), live (wss://api.openai.com; needs "
        "OPENAI_API_KEY and costs money: the budget is printed first), or a ws:// / wss:// URL",
    )
    parser.add_argument(
        "--cases",
        action="append",
        metavar="GLOB",
        help="case ids, sections or description globs (repeatable), e.g. 3.2, 3, '6.*'",
    )
    parser.add_argument("--junit", type=Path, metavar="FILE.xml", help="write JUnit XML")
    parser.add_argument("--json", type=Path, metavar="FILE", help="write the results as JSON")
    parser.add_argument(
        "--max-audio-seconds",
        type=float,
        default=None,
        metavar="N",
        help="stop sending audio after N seconds in total (cases beyond it are skipped); "
        "default: no limit for mock/URL, 120 for live",
    )
    parser.add_argument(
        "--persona",
        choices=["ga", "beta"],
        default="ga",
        help="the persona a URL target serves (cases for the other persona are skipped); "
        "with --client, the persona of the mock the clients meet",
    )
    parser.add_argument("--api-key", default=None, help="key for live/URL (default OPENAI_API_KEY)")
    parser.add_argument(
        "--record",
        type=Path,
        metavar="DIR",
        help="run every connection through the recording proxy: captures per case in "
        "DIR/<target>/<case id>/ (docs/captures.md)",
    )
    parser.add_argument(
        "--compare-with",
        metavar="TARGET",
        help="with --record: run the same cases against TARGET too (e.g. mock) and print "
        "mockrt diff per case",
    )
    parser.add_argument(
        "--explore",
        nargs="?",
        const="dev",
        choices=["dev", "ci"],
        default=None,
        metavar="PROFILE",
        help="instead of the cases, drive the target with hypothesis-drawn event sequences "
        "(dev: 50 examples, ci: 5) and check the invariants after every step; live always uses "
        "the small bounded live profile; a failure prints a case file",
    )
    parser.add_argument("--case-dir", type=Path, default=None, help=argparse.SUPPRESS)
    add_client_arguments(parser)
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.max_audio_seconds is None and args.target == "live":
        args.max_audio_seconds = 120.0
    if args.client:
        return run_client_matrix(args)
    if args.explore:
        return _explore(args)
    return _run(args)


def _explore(args: argparse.Namespace) -> int:
    """The hypothesis state machine against the target (needs the ``test`` extra)."""
    try:
        from hypothesis.stateful import run_state_machine_as_test

        from conformance.machine import PROFILES, machine_for
    except ImportError as exc:
        print(f"mockrt conformance --explore needs the test extra: {exc}", file=sys.stderr)
        return 2
    target = parse_target(args.target, args.api_key, args.persona)
    if target.kind == "live" and not target.key:
        print("SKIPPED: the live target needs OPENAI_API_KEY; nothing was sent.")
        return 0
    profile = "live" if target.kind == "live" else args.explore
    print(f"exploring {target.name} with the hypothesis profile {profile!r}", file=sys.stderr)

    def explore(url: str, key: str) -> int:
        try:
            run_state_machine_as_test(machine_for(url, key, profile), settings=PROFILES[profile])
        except AssertionError as exc:
            print(f"FAILED: {exc}")
            return 1
        print(f"OK: the invariants held ({profile} profile)")
        return 0

    if target.kind == "mock":
        from conformance.targets import serve_in_thread

        with serve_in_thread() as server:
            return explore(server.url, server.api_key)
    endpoint = target.endpoint()
    return explore(f"{endpoint.ws_base}/v1/realtime?intent=transcription", endpoint.key)

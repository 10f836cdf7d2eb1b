"""pytest collection of the conformance cases: ``pytest --rt-target=mock|live|URL -p mockrt``
adds one item per case (id ``3.2 realtime session.update is rejected``); a failure shows the
rerun command, the first mismatch and the wire log both ways. mockrt's pytest plugin imports
these hooks; nothing happens without ``--rt-target``. Heavy imports wait until a case runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conformance.casefile import Case
    from conformance.results import CaseResult
    from conformance.targets import Target

__all__ = [
    "CaseItem",
    "ConformanceFailure",
    "ConformanceSuite",
    "pytest_addoption",
    "pytest_collection_modifyitems",
    "pytest_report_header",
    "pytest_sessionfinish",
    "pytest_terminal_summary",
]

_SPENT = pytest.StashKey[list[float]]()
_RESULTS = pytest.StashKey[list["CaseResult"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockrt", "mockrt conformance suite")
    group.addoption(
        "--rt-target",
        default=None,
        metavar="TARGET",
        help="collect mockrt's conformance cases against mock, live (needs OPENAI_API_KEY) "
        "or a ws:// / wss:// URL",
    )
    group.addoption(
        "--rt-cases",
        action="append",
        default=None,
        metavar="GLOB",
        help="only these case ids, sections or description globs (repeatable)",
    )
    group.addoption(
        "--rt-max-audio-seconds",
        type=float,
        default=None,
        metavar="N",
        help="stop sending audio after N seconds in total (default 120 for live)",
    )
    group.addoption("--rt-case-dir", default=None, help="a folder of case files to use instead")


def _target(config: pytest.Config) -> Target:
    from conformance.targets import parse_target

    return parse_target(str(config.getoption("--rt-target")))


def _cases(config: pytest.Config) -> list[Case]:
    from conformance.casefile import load_cases, select

    return select(load_cases(config.getoption("--rt-case-dir")), config.getoption("--rt-cases"))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    if not config.getoption("--rt-target", None):
        return None
    target = _target(config)
    lines = [f"mockrt conformance target: {target.name}"]
    if target.kind == "live":
        if not target.key:
            lines.append("live cases skip: OPENAI_API_KEY is not set")
        else:
            from conformance.budget import estimate

            lines.append(str(estimate(_cases(config), _max_audio(config))))
    return lines


def _max_audio(config: pytest.Config) -> float | None:
    value = config.getoption("--rt-max-audio-seconds")
    if value is None and config.getoption("--rt-target") == "live":
        return 120.0
    return None if value is None else float(value)


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    if not config.getoption("--rt-target", None):
        return
    suite = ConformanceSuite.from_parent(session, name="mockrt-conformance")
    items.extend(suite.collect())


def _meaningless(config: pytest.Config) -> str | None:
    results = config.stash.get(_RESULTS, [])
    if not results:
        return None
    from conformance.report import meaningless

    return meaningless(results)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run whose passes say nothing (every connection refused) fails."""
    if _meaningless(session.config) and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    warning = _meaningless(config)
    if warning:
        terminalreporter.write_line(warning, red=True, bold=True)


class ConformanceFailure(Exception):
    """A case failed; carries its result for the report."""

    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.mismatch)
        self.result = result


class ConformanceSuite(pytest.Collector):
    def collect(self) -> Iterable[CaseItem]:
        return [
            CaseItem.from_parent(self, name=case.title, case=case) for case in _cases(self.config)
        ]


class CaseItem(pytest.Item):
    def __init__(self, *, case: Case, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        from conformance.runner import audio_seconds
        from conformance.suite import run_case
        from conformance.targets import Targets

        target = _target(self.config)
        spent = self.config.stash.setdefault(_SPENT, [0.0])
        limit = _max_audio(self.config)
        needed = audio_seconds(self.case)
        if limit is not None and needed and spent[0] + needed > limit:
            pytest.skip(f"audio budget: {spent[0]:.1f} s spent, --rt-max-audio-seconds {limit:g}")

        async def run() -> CaseResult:
            async with Targets(target) as targets:
                return await run_case(self.case, target, targets)

        result = asyncio.run(run())
        spent[0] += result.audio_seconds
        self.config.stash.setdefault(_RESULTS, []).append(result)
        if result.verdict == "SKIPPED":
            pytest.skip(result.reason)
        if result.known:
            pytest.xfail(result.known)
        if result.failed:
            raise ConformanceFailure(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailure):
            from conformance.report import format_failure

            return "\n".join(format_failure(excinfo.value.result))
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        # No domain: pytest would show the dots of "3.2" as "::" in verbose lines.
        return Path(self.case.file), self.case.line - 1, ""

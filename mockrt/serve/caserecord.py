"""Conformance cases through the recording proxy: ``mockrt conformance --record DIR`` and
``--compare-with mock``.

``record_cases`` runs the cases as ``conformance.suite.run_cases`` does (same verdicts, same audio
budget), but every connection goes through a ``ProxyServer`` in front of the target, so each
case leaves its captures in ``DIR/<target>/<case id>/`` (docs/captures.md). ``compare`` diffs
the captures of two targets case by case (``mockrt.diagnosis.diff``): where the mock answers
the same client events differently from live. Imports the conformance package; must never be
imported by the core.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from conformance.casefile import Case
from conformance.results import CaseResult
from conformance.runner import audio_seconds
from conformance.suite import run_case
from conformance.targets import Endpoint, Target, Targets
from mockrt.core.journal import Journal
from mockrt.diagnosis.diff import Difference, Tolerance, diff_journals
from mockrt.serve.capture import capture_files, read_capture
from mockrt.serve.cassette import ProxyServer
from mockrt.serve.proxy import ProxyConfig

__all__ = ["CaseDiff", "RecordingTargets", "compare", "record_cases", "target_dir"]


def target_dir(directory: Path, target: Target) -> Path:
    """``DIR/mock``, ``DIR/live``, or ``DIR/<the URL as a file name>``."""
    return directory / re.sub(r"[^A-Za-z0-9._-]+", "_", target.name).strip("_")


class RecordingTargets(Targets):
    """``Targets`` whose endpoints are recording proxies in front of the real ones; ``file``
    moves the captures made since the last call into the case's folder."""

    def __init__(self, target: Target, directory: Path) -> None:
        super().__init__(target)
        self.directory = directory
        self._proxies: dict[str, ProxyServer] = {}

    async def endpoint(self, case: Case) -> Endpoint:
        inner = await super().endpoint(case)
        proxy = self._proxies.get(inner.ws_base)
        if proxy is None:
            incoming = self.directory / ".incoming"
            # The cases judge the traffic themselves (and send bad frames on purpose).
            config = ProxyConfig(upstream=inner.ws_base, record_dir=incoming, check=False)
            proxy = await ProxyServer(config).start()
            self._proxies[inner.ws_base] = proxy
        return Endpoint(f"ws://127.0.0.1:{proxy.port}", f"http://127.0.0.1:{proxy.port}", inner.key)

    async def file(self, case_id: str) -> list[Path]:
        """Move every capture written since the last call to ``DIR/<case_id>/``."""
        moved: list[Path] = []
        folder = self.directory / case_id
        for proxy in self._proxies.values():
            await proxy.settle()
            for capture in proxy.state.captures:
                folder.mkdir(parents=True, exist_ok=True)
                for related in capture.parent.glob(f"{capture.stem}*"):
                    moved.append(Path(shutil.move(related, folder / related.name)))
            proxy.state.captures.clear()
        return moved

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for proxy in self._proxies.values():
            await proxy.stop()
        self._proxies.clear()
        shutil.rmtree(self.directory / ".incoming", ignore_errors=True)
        await super().__aexit__(exc_type, exc, tb)


async def record_cases(
    cases: list[Case],
    target: Target,
    directory: Path,
    *,
    max_audio_seconds: float | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> list[CaseResult]:
    """``run_cases`` through recording proxies: the captures of each case land in
    ``target_dir(directory, target) / <case id>``."""
    results: list[CaseResult] = []
    spent = 0.0
    folder = target_dir(directory, target)
    shutil.rmtree(folder, ignore_errors=True)  # a run re-records its target
    targets = RecordingTargets(target, folder)
    async with targets:
        for case in cases:
            needed = audio_seconds(case)
            if max_audio_seconds is not None and needed and spent + needed > max_audio_seconds:
                reason = (
                    f"audio budget: {spent:.1f} s spent, this case needs {needed:.1f} s, "
                    f"--max-audio-seconds {max_audio_seconds:g}"
                )
                result = CaseResult(
                    case, target.name, "SKIPPED", reason=reason, rerun=target.rerun(case.id)
                )
            else:
                result = await run_case(case, target, targets)
            await targets.file(case.id)
            spent += result.audio_seconds
            results.append(result)
            if progress is not None:
                progress(result)
    return results


@dataclass(frozen=True)
class CaseDiff:
    """How one case's captures differ between two targets (``missing``: one side has none)."""

    case_id: str
    differences: tuple[Difference, ...]
    missing: str | None = None

    @property
    def equal(self) -> bool:
        return not self.differences and self.missing is None


def _journal(folder: Path) -> Journal:
    combined = Journal()
    for capture in capture_files(folder):
        part = read_capture(capture)
        for entry in part:
            combined.add(entry)
        combined.closes += part.closes
    return combined


def compare(a: Path, b: Path, case_ids: list[str], tolerance: Tolerance) -> list[CaseDiff]:
    """Per case, the differences between the captures under ``a`` and under ``b``."""
    out: list[CaseDiff] = []
    for case_id in case_ids:
        fa, fb = a / case_id, b / case_id
        if not capture_files(fa) and not capture_files(fb):
            continue  # skipped on both sides, or no connection at all
        if not capture_files(fa) or not capture_files(fb):
            side = a.name if not capture_files(fa) else b.name
            out.append(CaseDiff(case_id, (), f"no capture from {side}"))
            continue
        found = diff_journals(_journal(fa), _journal(fb), tolerance)
        out.append(CaseDiff(case_id, tuple(found)))
    return out

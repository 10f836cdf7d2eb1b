"""The client matrix: every chosen client driver against every chosen client case, one ``Cell``
each (verdict, one-line reason, what the application saw, the wire log).

On the mock each cell gets its own in-process server playing the case's script at real speed
(speed 1, so the journal's times are arrival times for the pacing check), the persona asked for,
and api.openai.com redirected to it for drivers that keep the library's default host (LiveKit;
one redirect at a time, it patches the process). The client checks read the server's journal.
Against ``live`` or a URL the cases' scripts cannot play: the fault-free cases run, transcripts
compare loosely (case and punctuation), and only what the application saw is judged.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib.util
import re
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance import audio as suite_audio
from conformance.client_checks import check_client
from conformance.clientcases import ClientCase
from conformance.clients import Audio, ClientRun, Driver, Plan, drivers, run_client
from conformance.clients import Target as ClientTarget
from conformance.invariants import FrameViolation
from conformance.targets import Target
from conformance.verdicts import ClientVerdict, judge

__all__ = ["Cell", "load_driver", "run_cell", "run_matrix"]

_LOOSE = re.compile(r"[^a-z0-9 ]+")


@dataclass
class Cell:
    """One client on one case against one target."""

    client: str
    case: ClientCase
    target: str
    verdict: ClientVerdict
    run: ClientRun
    records: list[dict[str, Any]] | None  # the mock's journal of the run; None off the mock
    persona: str = "ga"

    @property
    def slug(self) -> str:
        """``raw-ga--C1``: the cell's file name in a report."""
        return f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', self.client)}--{self.case.id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "case": self.case.id,
            "description": self.case.description,
            "target": self.target,
            "persona": self.persona,
            "verdict": self.verdict.verdict,
            "reason": self.verdict.reason,
            "transcripts": self.run.transcripts,
            "errors": [f"{e.code}: {e.message}" for e in self.run.errors],
            "exceptions": [f"{e.code}: {e.message}" for e in self.run.exceptions],
            "closed": self.run.closed,
            "notes": self.run.notes,
            "violations": [str(v) for v in self.verdict.violations],
            "wire_log": f"wire/{self.slug}.html",
        }


def load_driver(spec: str) -> Driver:
    """A driver by name (``conformance/clients/``), or from a file ``path/to/driver.py`` that
    defines ``NAME``, ``LIBRARY``, ``SUMMARY`` and ``async def run(target, audio, plan)``."""
    known = drivers()
    if spec in known:
        return known[spec]
    path = Path(spec)
    if path.suffix != ".py" or not path.is_file():
        raise KeyError(f"unknown client {spec!r}; known: {', '.join(known)}, or a driver file")
    module_spec = importlib.util.spec_from_file_location(f"_mockrt_driver_{path.stem}", path)
    if module_spec is None or module_spec.loader is None:
        raise KeyError(f"cannot load the driver file {spec!r}")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_spec.name] = module
    module_spec.loader.exec_module(module)
    for name in ("NAME", "LIBRARY", "SUMMARY", "run"):
        if not hasattr(module, name):
            raise KeyError(f"the driver file {spec!r} defines no {name}")
    driver_module: Any = module
    return Driver(module.NAME, module.LIBRARY, module.SUMMARY, driver_module)


def _plan(case: ClientCase) -> Plan:
    fields = {k: v for k, v in case.plan.items() if k in ("turns", "model", "idle_s", "timeout_s")}
    fields.setdefault("turns", max(1, len(case.expect.transcripts)))
    return Plan(**fields)


def _loose(text: str) -> str:
    return " ".join(_LOOSE.sub(" ", text.lower()).split())


def _records(server: Any) -> list[dict[str, Any]]:
    return [entry.to_json() for session in server.sessions for entry in session.journal]


def _violations(records: list[dict[str, Any]], persona: str) -> list[FrameViolation]:
    """The client checks per session (each has its own configuration)."""
    by_session: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_session.setdefault(str(record.get("session", "")), []).append(record)
    found: list[FrameViolation] = []
    for frames in by_session.values():
        found += check_client(frames, "beta" if persona == "beta" else "ga")
    return found


async def _run_driver(driver: Driver, target: ClientTarget, audio: Audio, plan: Plan) -> ClientRun:
    known = drivers()
    if known.get(driver.name) is driver:
        return await run_client(driver.name, target, audio, plan)
    try:  # a driver from a file: the same guard as run_client
        return await asyncio.wait_for(driver.module.run(target, audio, plan), plan.timeout_s + 5)
    except ImportError as exc:
        return ClientRun(driver.name, target.name, unimplemented=f"{driver.library}: {exc}")
    except Exception as exc:  # noqa: BLE001 - one broken client must not stop a matrix
        run = ClientRun(driver.name, target.name)
        run.notes.append(f"the driver itself raised {type(exc).__name__}: {exc}")
        return run


async def run_cell(
    driver: Driver,
    case: ClientCase,
    target: Target,
    *,
    audio: Audio | None = None,
    redirect_lock: asyncio.Lock | None = None,
) -> Cell:
    """Run one driver on one case against ``target`` and judge it."""
    audio = audio or Audio(suite_audio.speech(), "speech.pcm")
    plan = _plan(case)
    if target.kind != "mock":
        client_target = ClientTarget.from_endpoint(target.name, target.endpoint())
        if target.kind == "live":
            client_target = ClientTarget.live(target.key or "")
        run = await _run_driver(driver, client_target, audio, plan)
        loose = dataclasses.replace(
            case,
            expect=dataclasses.replace(
                case.expect, transcripts=tuple(_loose(t) for t in case.expect.transcripts)
            ),
        )
        seen = dataclasses.replace(
            run, finals=[dataclasses.replace(t, text=_loose(t.text)) for t in run.finals]
        )
        verdict = judge(loose, seen, [], None)
        verdict = dataclasses.replace(
            verdict,
            reason=verdict.reason + " (no journal off the mock: the client checks did not run)",
        )
        return Cell(driver.name, case, target.name, verdict, run, None, target.persona)
    from conformance.inject import Relay
    from mockrt.serve.redirect import mockrt_redirect
    from mockrt.serve.testing import MockRealtimeServer

    lock = redirect_lock or asyncio.Lock()
    server = MockRealtimeServer.from_options(script=case.script, persona=target.persona, speed=1.0)
    async with server, contextlib.AsyncExitStack() as stack:
        port = server.port
        relay = None
        if case.inject:  # events the mock cannot make come from a relay in front of it
            relay = await stack.enter_async_context(Relay(server.port, list(case.inject)))
            port = relay.port
        origin = f"127.0.0.1:{port}"

        @contextlib.asynccontextmanager
        async def redirected() -> AsyncIterator[None]:
            async with lock:
                with mockrt_redirect(f"http://{origin}", block_network=True):
                    yield

        client_target = ClientTarget(
            "mock", f"http://{origin}/v1", f"ws://{origin}/v1", server.api_key, redirected
        )
        run = await _run_driver(driver, client_target, audio, plan)
        if relay is not None:
            kinds = ", ".join(str(e.get("type")) for e in relay.injected) or "nothing"
            run.notes.append(f"the relay in front of the mock injected: {kinds}")
    records = _records(server)
    violations = _violations(records, target.persona)
    verdict = judge(case, run, violations, records)
    return Cell(driver.name, case, target.name, verdict, run, records, target.persona)


def _skipped(driver: Driver, case: ClientCase, target: Target, reason: str) -> Cell:
    run = ClientRun(driver.name, target.name)
    return Cell(
        driver.name, case, target.name, ClientVerdict("SKIPPED", reason), run, None, target.persona
    )


async def run_matrix(
    clients: list[Driver],
    cases: list[ClientCase],
    target: Target,
    *,
    jobs: int = 3,
    progress: Callable[[Cell], None] | None = None,
) -> list[Cell]:
    """Every client on every case, at most ``jobs`` cells at a time, in client then case order."""
    gate = asyncio.Semaphore(max(1, jobs))
    lock = asyncio.Lock()

    async def one(driver: Driver, case: ClientCase) -> Cell:
        if target.kind == "live" and not target.key:
            cell = _skipped(driver, case, target, "live target needs OPENAI_API_KEY")
        elif target.kind != "mock" and case.script.faults + tuple(
            f for t in case.script.turns for f in t.faults
        ):
            cell = _skipped(driver, case, target, "the case's faults play only on the mock")
        elif target.kind != "mock" and any(t.failure for t in case.script.turns):
            cell = _skipped(driver, case, target, "the case's failing turn plays only on the mock")
        else:
            async with gate:
                cell = await run_cell(driver, case, target, redirect_lock=lock)
        if progress is not None:
            progress(cell)
        return cell

    return list(await asyncio.gather(*(one(d, c) for d in clients for c in cases)))

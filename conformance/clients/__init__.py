"""Client drivers: one small module per client library or configuration, found by name.

    from conformance.clients import Audio, Plan, Target, run_client
    run = await run_client("openai-sdk", Target.mock(server), Audio(pcm), Plan())
    run.transcripts, run.errors, run.exceptions, run.unimplemented

Every module in this package whose name does not start with ``_`` (other than ``base``) is a
driver: it defines ``NAME``, ``LIBRARY``, ``SUMMARY`` and ``async def run(target, audio, plan)``
and imports its client library inside ``run()``. Adding a driver is adding one such file.
Must never import a client library at import time, nor mockrt's server.
"""

from __future__ import annotations

import asyncio
import importlib
import pkgutil
from dataclasses import dataclass
from functools import cache

from conformance.clients.base import (
    Audio,
    ClientRun,
    DriverModule,
    Plan,
    Problem,
    Recorder,
    Target,
    Transcript,
)

__all__ = [
    "Audio",
    "ClientRun",
    "Driver",
    "Plan",
    "Problem",
    "Recorder",
    "Target",
    "Transcript",
    "drivers",
    "run_client",
]

_NOT_DRIVERS = frozenset({"base"})
# A driver gets this long past its plan's timeout to tear its library down.
_TEARDOWN_S = 5.0


@dataclass(frozen=True)
class Driver:
    name: str
    library: str  # the distributions it needs, as pip names them
    summary: str
    module: DriverModule


@cache
def drivers() -> dict[str, Driver]:
    """Every driver by name, in name order."""
    found: dict[str, Driver] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_") or info.name in _NOT_DRIVERS:
            continue
        module: DriverModule = importlib.import_module(f"{__name__}.{info.name}")
        if module.NAME in found:
            raise RuntimeError(f"two client drivers are named {module.NAME!r}")
        found[module.NAME] = Driver(module.NAME, module.LIBRARY, module.SUMMARY, module)
    return dict(sorted(found.items()))


async def run_client(
    name: str, target: Target, audio: Audio, plan: Plan | None = None
) -> ClientRun:
    """Run one driver. Its library failing to import gives a run with ``unimplemented`` set (the
    verdict UNIMPLEMENTED, with the reason); an exception that escapes the driver is recorded in
    ``exceptions`` with a note, so one broken client never stops a matrix."""
    known = drivers()
    if name not in known:
        raise KeyError(f"unknown client {name!r}; known: {', '.join(known)}")
    driver = known[name]
    plan = plan or Plan()
    try:
        return await asyncio.wait_for(
            driver.module.run(target, audio, plan), plan.timeout_s + _TEARDOWN_S
        )
    except ImportError as exc:
        missing = f" ({exc.name})" if exc.name else ""
        return ClientRun(
            name,
            target.name,
            unimplemented=f"{driver.library} does not import{missing}: {exc}",
        )
    except Exception as exc:  # noqa: BLE001 - one broken client must not stop a matrix
        run = ClientRun(name, target.name)
        run.exceptions.append(Problem(type(exc).__name__, str(exc), 0.0))
        run.notes.append(f"the driver itself raised {type(exc).__name__}; its run is incomplete")
        return run

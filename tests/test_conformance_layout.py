"""The conformance package: every module lists its public names in __all__; the sans-I/O
modules import no socket or event-loop library; importing the package costs nothing."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

import pytest

import conformance

MODULES = sorted(m.name for m in pkgutil.iter_modules(conformance.__path__, "conformance."))
PURE = [
    "conformance.actions",
    "conformance.audio",
    "conformance.budget",
    "conformance.casefile",
    "conformance.invariants",
    "conformance.matching",
    "conformance.report",
    "conformance.results",
    "conformance.runner",
]
BANNED = ("aiohttp", "websockets", "asyncio")


@pytest.mark.parametrize("name", MODULES)
def test_module_all_names_exist_and_cover_its_public_callables(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    for public in exported:
        assert hasattr(module, public), f"{name}.__all__ names missing {public}"
    defined = {
        n
        for n, v in vars(module).items()
        if not n.startswith("_") and getattr(v, "__module__", None) == name and callable(v)
    }
    assert defined <= set(exported), f"public but not in __all__: {defined - set(exported)}"


def loaded_after(imports: list[str]) -> list[str]:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in imports)
        + f"print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in {BANNED!r})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return [m for m in out.stdout.strip().split(",") if m]


def test_the_sans_io_modules_load_no_socket_or_event_loop_library() -> None:
    assert set(PURE) <= set(MODULES)
    assert loaded_after(PURE) == []


def test_importing_the_package_imports_nothing_else() -> None:
    code = (
        "import sys, conformance\n"
        "print(sorted(m for m in sys.modules if m.startswith(('conformance.', 'mockrt'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"

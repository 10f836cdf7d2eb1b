"""ruff and mypy --strict are part of the suite, so README's one test command checks them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_nothing() -> None:
    paths = [
        p for p in ("mockrt", "conformance", "tests", "bench", "examples") if (ROOT / p).exists()
    ]
    result = run("ruff", "check", *paths)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_the_package() -> None:
    result = run("mypy", "--strict", "mockrt", "conformance", "bench")
    assert result.returncode == 0, result.stdout + result.stderr

"""``mockrt serve`` processes for the worker tests: start one, read its ready line (bounded),
find its workers in /proc, stop it and check that no process of it is left."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench.procs import read_line

KEY = "sk-workers"
READY_S = 90.0  # three interpreters starting on a busy 2-core machine; bounded all the same


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    stderr: Path
    options: dict[str, str] = field(default_factory=dict)

    @property
    def port(self) -> int:
        return int(self.url.split(":")[2].split("/")[0])

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[int]:
        return children(self.proc.pid)

    def errors(self) -> str:
        return self.stderr.read_text(encoding="utf-8", errors="replace")


def children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (proc(5): field 4 of /proc/PID/stat)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == pid:
                    out.append(int(entry.name))
    return sorted(out)


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pids: list[int], seconds: float = 20.0) -> list[int]:
    """The pids still running after up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return [p for p in pids if alive(p)]


def start(*argv: str, stderr: Path) -> Served:
    """``mockrt serve --port 0 --api-key KEY *argv``, ready."""
    with stderr.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockrt", "serve", "--port", "0", "--api-key", KEY, *argv],
            stdout=subprocess.PIPE,
            stderr=err,
            stdin=subprocess.DEVNULL,
        )
    try:
        url = read_line(proc, READY_S).decode()
    except BaseException:
        stop(proc)
        raise
    options = dict(zip(argv[::2], argv[1::2], strict=False))
    return Served(proc, url, stderr, options)


def stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then SIGKILL after a bound; the exit code. Every worker is gone afterwards
    (checked)."""
    workers = children(proc.pid)
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        code = proc.wait(timeout=10)
    left = wait_gone(workers)
    for pid in left:  # never leave one behind, even when the check below fails
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    if proc.stdout is not None:
        proc.stdout.close()
    assert left == [], f"workers left running: {left}"
    return code


@contextlib.contextmanager
def serve(*argv: str, stderr: Path | None = None) -> Iterator[Served]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="mockrt-workers-") as tmp:
        served = start(*argv, stderr=stderr or Path(tmp) / "stderr.txt")
        try:
            yield served
        finally:
            stop(served.proc)

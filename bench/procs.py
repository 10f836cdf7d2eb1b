"""Server processes for the benchmark: start, pin to a core, read CPU time and RSS, stop.

Server kinds: ``a`` (bare aiohttp, receive only), ``b`` (bare aiohttp + JSON + base64 + RMS),
``mockrt`` (``python -m mockrt serve --port 0`` exactly as a user runs it: server VAD on, every
frame validated and journaled in memory), ``mockrt+journal`` (the same with ``--journal FILE``)
and ``mockrt-w1``/``mockrt-w2`` (``--workers 1``/``2``, for the scale-out scenario, never pinned).
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "KIND_LABELS",
    "ROOT",
    "Server",
    "children",
    "cpu_seconds",
    "cwd_for",
    "pin_self",
    "port_of",
    "read_line",
    "rss_bytes",
    "server",
    "server_command",
    "unpinned_self",
    "use_before",
]

ROOT = Path(__file__).resolve().parents[1]
# ``python -m bench --before DIR``: the kind "before" runs another checkout's mockrt (e.g. main
# before a change) in the same run. Set by ``use_before``: a directory holding ``mockrt`` from DIR
# and ``bench`` from here, used as the working directory of that kind's processes.
BEFORE: Path | None = None
KIND_LABELS = {
    "a": "(a) bare aiohttp, receive only",
    "b": "(b) bare aiohttp + JSON + base64 + RMS",
    "mockrt": "mockrt serve (VAD, validation, journal in memory)",
    "mockrt+journal": "mockrt serve --journal FILE",
    "mockrt-w1": "mockrt serve --workers 1 (unpinned)",
    "mockrt-w2": "mockrt serve --workers 2 (unpinned)",
    "before": "mockrt serve of the --before checkout",
}
_PORT = re.compile(rb":(\d+)/")
SERVER_CORE = 0
CLIENT_CORE = 1


def use_before(checkout: Path, workdir: Path) -> None:
    """Make the kind "before" run ``checkout``'s mockrt (symlinks in ``workdir`` to the
    checkout's top-level entries, and to this bench)."""
    global BEFORE
    if not (checkout / "mockrt" / "__init__.py").exists():
        raise SystemExit(f"--before {checkout}: no mockrt package there")
    for entry in checkout.iterdir():  # mockrt and any top-level package it imports
        if entry.name != "bench" and not entry.name.startswith("."):
            (workdir / entry.name).symlink_to(entry.resolve())
    (workdir / "bench").symlink_to(ROOT / "bench")
    BEFORE = workdir


def cwd_for(kind: str) -> Path:
    """The working directory of a process of ``kind`` (its ``mockrt`` is imported from there)."""
    if kind == "before":
        assert BEFORE is not None, "--before was not given"
        return BEFORE
    return ROOT


def server_command(kind: str, journal: Path | None = None) -> list[str]:
    if kind in ("a", "b"):
        return [sys.executable, "-m", "bench.servers", "bare" if kind == "a" else "ref"]
    command = [sys.executable, "-m", "mockrt", "serve", "--port", "0"]
    if kind == "mockrt+journal":
        assert journal is not None
        command += ["--journal", str(journal)]
    if kind.startswith("mockrt-w"):  # scale-out: mockrt-w2 is --workers 2
        command += ["--workers", kind.removeprefix("mockrt-w")]
    return command


# The cores this process may use, read before ``pin_self`` narrows them to the client core.
_CORES = frozenset(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else frozenset()


def pinning() -> bool:
    """Whether servers and client get a core each (two cores or more to choose from)."""
    return {SERVER_CORE, CLIENT_CORE} <= _CORES


def pin_self(enabled: bool) -> None:
    """The client side runs on the core the servers do not use."""
    if enabled and pinning():
        os.sched_setaffinity(0, {CLIENT_CORE})


@contextlib.contextmanager
def unpinned_self() -> Iterator[None]:
    """The load generator on every core it may use, for the block (scale-out: the servers are
    not pinned either)."""
    if not _CORES:
        yield
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, _CORES)
    try:
        yield
    finally:
        os.sched_setaffinity(0, before)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of ``pid`` (proc(5): fields 14 and 15, in clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (``--workers N``: the workers)."""
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                out.append(int(entry.name))
    return out


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def read_line(proc: subprocess.Popen[bytes], timeout: float) -> bytes:
    """The first stdout line of ``proc``, or raise after ``timeout`` seconds."""
    assert proc.stdout is not None
    deadline = time.monotonic() + timeout
    buf = b""
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        while b"\n" not in buf:
            left = deadline - time.monotonic()
            if left <= 0 or not sel.select(left):
                raise TimeoutError(f"no ready line from {proc.args!r} in {timeout} s")
            chunk = os.read(proc.stdout.fileno(), 4096)
            if not chunk:
                raise RuntimeError(f"{proc.args!r} exited with {proc.wait()} before ready")
            buf += chunk
    return buf.split(b"\n", 1)[0]


def port_of(line: bytes) -> int:
    """The port in a ready line (``ws://127.0.0.1:PORT/...``)."""
    match = _PORT.search(line)
    if match is None:
        raise RuntimeError(f"no port in ready line {line!r}")
    return int(match.group(1))


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()


@dataclass
class Server:
    kind: str
    pid: int
    port: int

    def cpu(self) -> float:
        """The server's CPU time, its workers' included (``--workers N``)."""
        total = cpu_seconds(self.pid)
        for child in children(self.pid):
            try:
                total += cpu_seconds(child)
            except OSError:  # pragma: no cover - a worker gone between the two reads
                pass
        return total

    def rss(self) -> int:
        return rss_bytes(self.pid)


@contextlib.contextmanager
def server(kind: str, pin: bool, timeout: float = 30.0) -> Iterator[Server]:
    """One server process of ``kind``, ready, pinned to the server core when ``pin``."""
    with tempfile.TemporaryDirectory(prefix="mockrt-bench-") as tmp:
        proc = subprocess.Popen(
            server_command(kind, Path(tmp) / "journal.jsonl"),
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            cwd=cwd_for(kind),
        )
        try:
            if pin and pinning():
                os.sched_setaffinity(proc.pid, {SERVER_CORE})
            yield Server(kind, proc.pid, port_of(read_line(proc, timeout)))
        finally:
            stop(proc)

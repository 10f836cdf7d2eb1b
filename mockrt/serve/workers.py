"""``mockrt serve --workers N``: N server processes on one port, for load bigger than one core.

The parent (``supervise``) reserves the port (a socket bound with SO_REUSEPORT, never listening,
so ``--port 0`` gives every worker the same number), starts N children ``python -m mockrt
serve`` with the same options (as ``MOCKRT_*`` variables) and ``MOCKRT_WORKER_OF=k/N``, and
talks to each over its stdin and stdout. A child (``serve_worker``) listens on the public port
with SO_REUSEPORT (Linux spreads connections over the workers' sockets) and on a private control
port on 127.0.0.1, and reports the latter; the parent then hands every worker its siblings'
control ports (``mockrt.serve.fanout`` answers admin and inspector requests for all of them) and
only then prints the ready line, once.

Lifecycle: SIGTERM or SIGINT to the parent stops every worker with SIGTERM (exit 0). A worker
that dies makes the parent name it and how it ended, stop the others and exit 1. A worker whose
stdin closes (the parent is gone, even by SIGKILL) stops too: no orphans. Workers ignore SIGINT
(a Ctrl-C reaches the whole process group; the parent stops them in order).

``--journal FILE``: every worker appends to the same file, each flush one ``write`` of whole
lines on an ``O_APPEND`` descriptor, so lines of different workers never mix within a line; a
session's lines stay in order. Linux only (SO_REUSEPORT load balancing). Must never be imported
by ``mockrt.core``; ``mockrt serve`` imports it only when N > 1 or in a worker.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import secrets
import signal
import socket
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, cast

from aiohttp import web

from mockrt.serve.fanout import Worker, install_worker
from mockrt.serve.state import STATE

__all__ = ["WORKER_ENV", "LineAppender", "serve_worker", "supervise", "supported"]

WORKER_ENV = "MOCKRT_WORKER_OF"  # "k/N" in a worker's environment; absent in the parent
_READY_TIMEOUT_S = 60.0  # a worker starts in about a second; bounded all the same
_STOP_TIMEOUT_S = 10.0


def supported() -> str | None:
    """None when this platform spreads connections over SO_REUSEPORT sockets, else why not."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "SO_REUSEPORT"):
        return (
            f"--workers needs Linux's SO_REUSEPORT load balancing; not available on {sys.platform}"
        )
    return None


# --- the parent ---------------------------------------------------------------------------------


def supervise(
    count: int,
    host: str,
    port: int,
    options: Mapping[str, str | None],
    announce: Callable[[str, int], None],
) -> int:
    """Run ``count`` workers serving ``options`` (``MOCKRT_*`` values; None: unset) on
    ``host:port`` until SIGTERM/SIGINT (0) or until a worker dies (1). ``announce(host, port)``
    prints the ready line."""
    why_not = supported()
    if why_not is not None:
        print(f"mockrt serve: {why_not}", file=sys.stderr)
        return 2
    try:
        reserved = _reserve(host, port)
    except OSError as exc:
        print(f"mockrt serve: cannot bind {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    with reserved:
        env = {k: v for k, v in os.environ.items() if k not in options}
        env.update({k: v for k, v in options.items() if v is not None})
        env.update(MOCKRT_PORT=str(reserved.getsockname()[1]), MOCKRT_WORKERS="1")
        return asyncio.run(_supervise(count, env, reserved, announce))


def _reserve(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` with SO_REUSEPORT, not listening: the port number every
    worker binds (the kernel gives connections only to listening sockets)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


class _Child:
    def __init__(self, index: int, proc: asyncio.subprocess.Process) -> None:
        self.index, self.proc = index, proc

    async def line(self) -> dict[str, object]:
        assert self.proc.stdout is not None
        raw = await self.proc.stdout.readline()
        if not raw:
            raise _Died(self, await self.proc.wait(), "before it was ready")
        message: dict[str, object] = json.loads(raw)
        return message


class _Died(Exception):
    def __init__(self, child: _Child, code: int, when: str) -> None:
        self.child, self.code = child, code
        super().__init__(
            f"worker {child.index} (pid {child.proc.pid}) {_ended(code)} {when}".rstrip()
        )


def _ended(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


async def _supervise(
    count: int, env: dict[str, str], reserved: socket.socket, announce: Callable[[str, int], None]
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    children: list[_Child] = []
    try:
        for index in range(1, count + 1):
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "mockrt",
                "serve",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                env={**env, WORKER_ENV: f"{index}/{count}"},
            )
            children.append(_Child(index, proc))
        return await _run(children, reserved, stop, announce)
    except (_Died, TimeoutError) as exc:
        print(f"mockrt serve: {exc}; stopping the other workers", file=sys.stderr)
        return exc.code if isinstance(exc, _Died) and exc.code > 0 else 1
    finally:
        await _stop_all(children)


async def _run(
    children: list[_Child],
    reserved: socket.socket,
    stop: asyncio.Event,
    announce: Callable[[str, int], None],
) -> int:
    hellos = await _bounded(stop, children)
    if hellos is None:
        return 0  # stopped while starting
    reserved.close()  # every worker listens now
    token = secrets.token_hex(16)
    control = {c.index: int(cast(int, h["control"])) for c, h in zip(children, hellos, strict=True)}
    for child in children:
        siblings = {i: p for i, p in control.items() if i != child.index}
        assert child.proc.stdin is not None
        child.proc.stdin.write(json.dumps({"token": token, "siblings": siblings}).encode() + b"\n")
    if await _bounded(stop, children) is None:
        return 0
    first = hellos[0]
    announce(str(first["host"]), int(cast(int, first["port"])))
    waits = {asyncio.create_task(c.proc.wait()): c for c in children}
    stopping = asyncio.create_task(stop.wait())
    try:
        done, _ = await asyncio.wait([*waits, stopping], return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
    dead = [waits[t] for t in waits if t in done]
    if dead and not stop.is_set():
        child = min(dead, key=lambda c: c.index)
        assert child.proc.returncode is not None
        raise _Died(child, child.proc.returncode, "unexpectedly")
    codes = await _stop_all(children)
    failed = [f"worker {i} {_ended(code)}" for i, code in codes.items() if code != 0]
    if failed:
        print(f"mockrt serve: while stopping, {'; '.join(failed)}", file=sys.stderr)
        return 1
    return 0


async def _bounded(stop: asyncio.Event, children: list[_Child]) -> list[dict[str, object]] | None:
    """Every worker's next line, within the start-up bound; None if stopped meanwhile. Raises
    ``_Died`` for the first worker that ended instead."""
    lines = [asyncio.create_task(c.line()) for c in children]
    stopping = asyncio.create_task(stop.wait())
    pending: set[asyncio.Task[object]] = {*lines, stopping}
    loop = asyncio.get_running_loop()
    deadline = loop.time() + _READY_TIMEOUT_S
    try:
        while not stop.is_set() and not all(t.done() for t in lines):
            done, pending = await asyncio.wait(
                pending, timeout=deadline - loop.time(), return_when=asyncio.FIRST_COMPLETED
            )
            if not done:
                raise TimeoutError(f"the workers were not ready within {_READY_TIMEOUT_S:.0f} s")
            for task in done:
                if task is not stopping and task.exception() is not None:
                    raise cast(BaseException, task.exception())
        return None if stop.is_set() else [t.result() for t in lines]
    finally:
        for task in (*lines, stopping):
            task.cancel()


async def _stop_all(children: list[_Child]) -> dict[int, int]:
    """SIGTERM to every worker still running, SIGKILL after the bound; their exit codes."""
    for child in children:
        if child.proc.returncode is None:
            child.proc.terminate()
        if child.proc.stdin is not None:
            child.proc.stdin.close()  # a worker still starting reads EOF and stops too
    codes: dict[int, int] = {}
    for child in children:
        try:
            code = await asyncio.wait_for(child.proc.wait(), _STOP_TIMEOUT_S)
        except TimeoutError:
            child.proc.kill()
            code = await child.proc.wait()
        codes[child.index] = 0 if code == -signal.SIGTERM else code
    return codes


# --- a worker -----------------------------------------------------------------------------------


async def serve_worker(app: web.Application, host: str, port: int, spec: str) -> None:
    """Serve ``app`` as worker ``spec`` ("k/N") until SIGTERM or until stdin closes."""
    index, count = (int(part) for part in spec.split("/"))
    worker = Worker(index, count, token="")
    install_worker(app, worker)
    app.on_startup.append(_line_journal)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, lambda: None)  # the parent stops us
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port, reuse_port=True).start()
        public = len(runner.addresses)
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        bound_host, bound_port = runner.addresses[0][:2]
        control = runner.addresses[public][1]
        reader = await _stdin_reader()
        _tell({"host": bound_host, "port": bound_port, "control": control})
        told = json.loads(await reader.readline() or b"{}")
        worker.token = str(told.get("token", ""))
        worker.siblings = {int(i): int(p) for i, p in told.get("siblings", {}).items()}
        _tell({"ready": index})
        eof = asyncio.create_task(reader.read())  # returns when the parent's end closes
        waiting = asyncio.create_task(stop.wait())
        await asyncio.wait([eof, waiting], return_when=asyncio.FIRST_COMPLETED)
        eof.cancel()
        waiting.cancel()
    finally:
        await runner.cleanup()  # on_shutdown closes every session with 1001


def _tell(message: dict[str, object]) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


async def _stdin_reader() -> asyncio.StreamReader:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    return reader


class LineAppender(io.TextIOBase):
    """A journal file for many writers: lines are kept until ``flush``, which appends them in
    one ``write`` on an ``O_APPEND`` descriptor (appends to a local file are not interleaved)."""

    def __init__(self, path: Path) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        if self._parts:
            data = "".join(self._parts).encode("utf-8")
            self._parts = []
            while data:
                data = data[os.write(self._fd, data) :]

    def close(self) -> None:
        if not self.closed:
            self.flush()
            os.close(self._fd)
        super().close()


async def _line_journal(app: web.Application) -> None:
    """After the server opened ``--journal FILE``: the same file, whole lines per write."""
    state = app[STATE]
    if state.journal_file is not None and state.config.journal_path is not None:
        state.journal_file.close()
        state.journal_file = cast(IO[str], LineAppender(state.config.journal_path))

"""``mockrt serve --workers N``: N server processes on one port, for load bigger than one core.

The parent (``supervise``) gets the application ``mockrt serve`` built (its script checked once),
binds and listens on the public port, and forks N workers: everything is imported already, so a
worker is serving in milliseconds. The parent accepts every connection and hands it to the next
worker in turn (round robin), passing the descriptor over a ``SOCK_SEQPACKET`` socket pair
(``_Dispatcher``); from then on the worker alone serves it, the parent never sees its bytes. This
is the default of Node.js's cluster module, adopted there because letting the operating system pick
the process skewed the load (nodejs.org/api/cluster.html, "How it works"). Here the operating
system's pick was SO_REUSEPORT's hash of the addresses, and the busier of 2 workers got 56-69% of
16 connections (docs/perf-notes.md). Each worker (``serve_worker``) also listens on a private
control port on 127.0.0.1 and reports it over a pipe; the parent then hands every worker its
siblings' control ports (``mockrt.serve.fanout`` answers admin and inspector requests for all of
them; a worker is ``mockrt.serve.worker``) and only then prints the ready line, once. Connections
that arrive before it wait in the listen backlog.

Lifecycle: SIGTERM or SIGINT to the parent stops every worker with SIGTERM (exit 0). A worker
that dies makes the parent name it and how it ended, stop the others and exit 1. A worker whose
pipe from the parent closes (the parent is gone, even by SIGKILL) stops too: no orphans. Workers
ignore SIGINT (a Ctrl-C reaches the whole process group; the parent stops them in order).

``--journal FILE``: every worker appends to the same file, each flush one ``write`` of whole
lines on an ``O_APPEND`` descriptor, so lines of different workers never mix within a line; a
session's lines stay in order. Per worker: ``--max-sessions`` and ``--max-journal-bytes`` (what
each keeps in memory) and ``--replay`` (each worker replays the captures from the first, for
the sessions it gets). ``/healthz`` counts the answering worker's open sessions.

Linux only (``os.fork``, ``os.pidfd_open``, descriptor passing over AF_UNIX). Must never be
imported by ``mockrt.core``; ``mockrt serve`` imports it only when N > 1.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import socket
import sys
import traceback
from collections.abc import Callable
from typing import Any, cast

from aiohttp import web

from mockrt.serve.state import serving_gc
from mockrt.serve.worker import HANDED_MAX, read_pipe, serve_worker

__all__ = ["supervise", "supported"]

_READY_TIMEOUT_S = 60.0  # a worker is ready in well under a second; bounded all the same
_STOP_TIMEOUT_S = 10.0


def supported() -> str | None:
    """None when this platform can fork workers and hand them connections, else why not."""
    if not sys.platform.startswith("linux") or not hasattr(socket, "send_fds"):
        return (
            "--workers needs Linux (fork, pidfd, connections handed to the workers over "
            f"AF_UNIX); not available on {sys.platform}"
        )
    return None


# --- the parent ---------------------------------------------------------------------------------


def supervise(
    app: web.Application,
    count: int,
    host: str,
    port: int,
    announce: Callable[[str, int], None],
) -> int:
    """Serve ``app`` from ``count`` workers on ``host:port`` until SIGTERM/SIGINT (0) or until a
    worker dies (1). ``announce(host, port)`` prints the ready line. ``app`` is never started
    here: each worker starts its own copy."""
    why_not = supported()
    if why_not is not None:
        print(f"mockrt serve: {why_not}", file=sys.stderr)
        return 2
    try:
        listener = _listen(host, port)
    except OSError as exc:
        print(f"mockrt serve: cannot bind {host}:{port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    children: list[_Child] = []
    try:
        with listener:
            for index in range(1, count + 1):
                children.append(_fork(app, index, count, listener, children))
            return asyncio.run(_supervise(children, listener, announce))
    finally:
        for child in children:  # only after an error of ours: none is left running
            if child.code is None:
                os.kill(child.pid, signal.SIGKILL)
                os.waitpid(child.pid, 0)


def _listen(host: str, port: int) -> socket.socket:
    """The public port, listening: connections wait in its backlog until the parent hands them
    over. No SO_REUSEPORT: another server on the port is an error, never a sharer."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp's sites do
        sock.bind(address)
        sock.listen(_BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


_BACKLOG = 128  # aiohttp's TCPSite default
_ACCEPT_RETRY_S = 1.0  # asyncio.constants.ACCEPT_RETRY_DELAY


class _Dispatcher:
    """Accepts on the public port and hands each connection to the next worker in turn; a
    worker whose hand-off socket is full (it stopped reading) is skipped, and a connection no
    worker can take is closed, as a full backlog would refuse it."""

    def __init__(self, listener: socket.socket, children: list[_Child]) -> None:
        self.listener, self.children = listener, children
        self.next = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self.retry: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.retry = loop, None
        self.listener.setblocking(False)
        loop.add_reader(self.listener.fileno(), self.accept)

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.remove_reader(self.listener.fileno())
        if self.retry is not None:
            self.retry.cancel()

    def accept(self) -> None:
        for _ in range(HANDED_MAX):
            try:
                conn, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # Out of descriptors or memory: not accepting for a while, as asyncio's own
                # servers do, instead of spinning on a listener that stays readable; the
                # connections wait in the backlog meanwhile.
                if self.loop is not None:
                    self.stop()
                    self.retry = self.loop.call_later(_ACCEPT_RETRY_S, self.start, self.loop)
                return
            with conn:  # the worker holds its own copy once sent
                self.give(conn)

    def give(self, conn: socket.socket) -> None:
        for _ in self.children:
            child = self.children[self.next]
            self.next = (self.next + 1) % len(self.children)
            try:
                socket.send_fds(child.hand, [b"c"], [conn.fileno()])
                return
            except OSError:  # full (BlockingIOError) or the worker is gone: the next one
                continue


class _Child:
    """A worker as the parent sees it: its pid, the pipe to it, the pipe from it and the socket
    its connections are handed over on."""

    def __init__(self, index: int, pid: int, down: int, up: int, hand: socket.socket) -> None:
        self.index, self.pid, self.down, self.up, self.hand = index, pid, down, up, hand
        self.code: int | None = None  # exit code; -N: killed by signal N
        self.lines: asyncio.StreamReader | None = None
        self.exited: asyncio.Future[int] | None = None

    async def line(self) -> dict[str, object]:
        """The worker's next message (one JSON object per line)."""
        assert self.lines is not None and self.exited is not None
        raw = await self.lines.readline()
        if not raw:
            raise _Died(self, await self.exited, "before it was ready")
        message: dict[str, object] = json.loads(raw)
        return message


class _Died(Exception):
    def __init__(self, child: _Child, code: int, when: str) -> None:
        self.child, self.code = child, code
        super().__init__(f"worker {child.index} (pid {child.pid}) {_ended(code)} {when}")


def _ended(code: int) -> str:
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"was killed by {name}"
    return f"exited with code {code}"


def _fork(
    app: web.Application,
    index: int,
    count: int,
    listener: socket.socket,
    earlier: list[_Child],
) -> _Child:
    down_r, down_w = os.pipe()  # parent -> worker
    up_r, up_w = os.pipe()  # worker -> parent
    hand, handed = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    sys.stdout.flush()
    sys.stderr.flush()
    # What the workers inherit lives as long as they do: out of the GC's full passes (which
    # would also copy every page they touch), as in a single process.
    serving_gc()
    pid = os.fork()
    if pid == 0:  # the worker: never returns into the parent's code
        code = 1
        try:
            os.close(down_w)
            os.close(up_r)
            hand.close()
            for sibling in earlier:  # their pipes' parent ends: EOF must mean the parent died
                os.close(sibling.down)
                os.close(sibling.up)
                sibling.hand.close()
            listener.close()
            asyncio.run(serve_worker(app, f"{index}/{count}", down_r, up_w, handed))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
            if isinstance(exc.code, str):
                print(exc.code, file=sys.stderr)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    os.close(down_r)
    os.close(up_w)
    handed.close()
    hand.setblocking(False)
    return _Child(index, pid, down_w, up_r, hand)


async def _supervise(
    children: list[_Child], listener: socket.socket, announce: Callable[[str, int], None]
) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    for child in children:
        _watch(loop, child)
        child.lines = await read_pipe(child.up)
    try:
        return await _run(children, listener, stop, announce)
    except (_Died, TimeoutError) as exc:
        print(f"mockrt serve: {exc}; stopping the other workers", file=sys.stderr)
        return exc.code if isinstance(exc, _Died) and exc.code > 0 else 1
    finally:
        await _stop_all(children)


def _watch(loop: asyncio.AbstractEventLoop, child: _Child) -> None:
    """``child.exited`` resolves with its exit code when it ends (a pidfd is readable then)."""
    exited: asyncio.Future[int] = loop.create_future()
    child.exited = exited
    pidfd = os.pidfd_open(child.pid)

    def reap() -> None:
        loop.remove_reader(pidfd)
        os.close(pidfd)
        _, status = os.waitpid(child.pid, 0)
        child.code = os.waitstatus_to_exitcode(status)
        exited.set_result(child.code)

    loop.add_reader(pidfd, reap)


async def _run(
    children: list[_Child],
    listener: socket.socket,
    stop: asyncio.Event,
    announce: Callable[[str, int], None],
) -> int:
    hellos = await _bounded(stop, children)
    if hellos is None:
        return 0  # stopped while starting
    token = secrets.token_hex(16)
    control = {c.index: int(cast(int, h["control"])) for c, h in zip(children, hellos, strict=True)}
    for child in children:
        siblings = {i: p for i, p in control.items() if i != child.index}
        os.write(child.down, json.dumps({"token": token, "siblings": siblings}).encode() + b"\n")
    if await _bounded(stop, children) is None:
        return 0
    loop = asyncio.get_running_loop()
    dispatcher = _Dispatcher(listener, children)
    dispatcher.start(loop)
    host, port = listener.getsockname()[:2]
    announce(str(host), int(port))
    exits = {cast("asyncio.Future[int]", c.exited): c for c in children}
    stopping = asyncio.ensure_future(stop.wait())
    waits: list[asyncio.Future[Any]] = [*exits, stopping]
    try:
        done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        dispatcher.stop()
    dead = [exits[f] for f in exits if f in done]
    if dead and not stop.is_set():
        child = min(dead, key=lambda c: c.index)
        raise _Died(child, cast(int, child.code), "unexpectedly")
    codes = await _stop_all(children)
    failed = [f"worker {i} {_ended(code)}" for i, code in codes.items() if code != 0]
    if failed:
        print(f"mockrt serve: while stopping, {'; '.join(failed)}", file=sys.stderr)
        return 1
    return 0


async def _bounded(stop: asyncio.Event, children: list[_Child]) -> list[dict[str, object]] | None:
    """Every worker's next line, within the start-up bound; None if stopped meanwhile. Raises
    ``_Died`` for the first worker that ended instead."""
    lines = [asyncio.ensure_future(c.line()) for c in children]
    stopping = asyncio.ensure_future(stop.wait())
    pending: set[asyncio.Future[Any]] = {*lines, stopping}
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
        if child.code is None:
            os.kill(child.pid, signal.SIGTERM)
        if child.down >= 0:
            os.close(child.down)  # a worker still starting reads EOF and stops too
            child.down = -1
        child.hand.close()
    codes: dict[int, int] = {}
    for child in children:
        assert child.exited is not None
        try:
            code = await asyncio.wait_for(asyncio.shield(child.exited), _STOP_TIMEOUT_S)
        except TimeoutError:
            os.kill(child.pid, signal.SIGKILL)
            code = await child.exited
        codes[child.index] = 0 if code == -signal.SIGTERM else code
    return codes

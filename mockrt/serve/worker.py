"""One worker of ``mockrt serve --workers N`` (``mockrt.serve.workers`` forks it): the
application on the connections of the public port that the parent hands it (``receive_handed``)
and on a private control port on 127.0.0.1, the pipes to and from the parent, and
``--journal FILE`` shared by all workers.

The parent's pipe carries one JSON object per line: the worker says where it listens, the parent
answers with the siblings' control ports and the run's token, the worker says it is ready. The
worker then serves until SIGTERM or until that pipe closes (the parent is gone). Must never be
imported by ``mockrt.core``.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import socket
from pathlib import Path
from typing import IO, cast

from aiohttp import web

from mockrt.serve.fanout import Worker, install_worker
from mockrt.serve.state import STATE

__all__ = ["HANDED_MAX", "LineAppender", "read_pipe", "receive_handed", "serve_worker"]

HANDED_MAX = 64  # connections taken from the hand-off socket per wake-up: others wait a turn


async def serve_worker(
    app: web.Application, spec: str, down: int, up: int, handed: socket.socket
) -> None:
    """Serve ``app`` as worker ``spec`` ("k/N") until SIGTERM or until the pipe ``down`` from
    the parent closes; messages to the parent go to the pipe ``up``, the public port's
    connections come on ``handed`` (``receive_handed``)."""
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
    server = runner.server
    assert server is not None  # set up
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        control = runner.addresses[0][1]
        receive_handed(loop, handed, server)
        reader = await read_pipe(down)
        _tell(up, {"control": control})
        line = await reader.readline()
        if not line:
            return  # the parent is gone (or stopping) before we were ready
        told = json.loads(line)
        worker.token = str(told.get("token", ""))
        worker.siblings = {int(i): int(p) for i, p in told.get("siblings", {}).items()}
        _tell(up, {"ready": index})
        eof = asyncio.ensure_future(reader.read())  # returns when the parent's end closes
        waiting = asyncio.ensure_future(stop.wait())
        await asyncio.wait([eof, waiting], return_when=asyncio.FIRST_COMPLETED)
        eof.cancel()
        waiting.cancel()
    finally:
        loop.remove_reader(handed.fileno())
        handed.close()
        await runner.cleanup()  # on_shutdown closes every session with 1001


def receive_handed(
    loop: asyncio.AbstractEventLoop, handed: socket.socket, server: web.Server
) -> None:
    """Serve every connection the parent hands over on ``handed`` (a non-blocking
    ``SOCK_SEQPACKET`` socket, one descriptor per message: ``socket.send_fds``), as a listening
    socket's would be served: ``loop.connect_accepted_socket`` with the runner's protocol
    factory, so the runner's shutdown closes them too."""
    handed.setblocking(False)
    serving: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    def take() -> None:
        for _ in range(HANDED_MAX):
            try:
                data, fds, _, _ = socket.recv_fds(handed, 1, 1)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # the parent is gone: the pipe from it says so and stops us
                loop.remove_reader(handed.fileno())
                return
            if not data and not fds:
                loop.remove_reader(handed.fileno())  # EOF, as above
                return
            for fd in fds:
                task = loop.create_task(_serve_handed(loop, socket.socket(fileno=fd), server))
                serving.add(task)
                task.add_done_callback(serving.discard)

    loop.add_reader(handed.fileno(), take)


async def _serve_handed(
    loop: asyncio.AbstractEventLoop, conn: socket.socket, server: web.Server
) -> None:
    try:
        conn.setblocking(False)
        await loop.connect_accepted_socket(server, conn)
    except OSError:  # the client left before it was served
        conn.close()


def _tell(up: int, message: dict[str, object]) -> None:
    os.write(up, json.dumps(message).encode() + b"\n")


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


async def read_pipe(fd: int) -> asyncio.StreamReader:
    """Lines from the pipe ``fd`` on the running loop (the parent reads its workers so too)."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    pipe = os.fdopen(fd, "rb", buffering=0)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), pipe)
    return reader

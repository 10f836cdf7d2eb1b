"""The parent of ``mockrt serve --workers N`` hands each accepted connection to the next worker
in turn (``mockrt.serve.workers._Dispatcher``): real sockets on 127.0.0.1 and real descriptor
passing, in this process; the workers are the receiving ends of their hand-off sockets."""

from __future__ import annotations

import asyncio
import errno
import os
import socket
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from mockrt.serve.workers import _Dispatcher

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as sock:
        sock.setblocking(False)
        yield sock


@pytest.fixture
def workers() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    """Two hand-off socket pairs: (the parent's end, the worker's end)."""
    pairs = [socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET) for _ in range(2)]
    for hand, _ in pairs:
        hand.setblocking(False)
    yield pairs
    for hand, handed in pairs:
        hand.close()
        handed.close()


def dispatcher(
    listener: socket.socket, pairs: list[tuple[socket.socket, socket.socket]]
) -> _Dispatcher:
    """The parent's dispatcher; a worker is, to it, only its hand-off socket's parent end."""
    children: Any = [SimpleNamespace(hand=hand) for hand, _ in pairs]
    return _Dispatcher(listener, children)


def received(handed: socket.socket) -> list[int]:
    """The local ports of the connections handed over so far (each received descriptor is the
    server side of one accepted connection: its peer is the client's port)."""
    handed.setblocking(False)
    ports: list[int] = []
    while True:
        try:
            _, fds, _, _ = socket.recv_fds(handed, 1, 1)
        except BlockingIOError:
            return ports
        for fd in fds:
            with socket.socket(fileno=fd) as conn:
                ports.append(conn.getpeername()[1])


def connect(listener: socket.socket, count: int) -> list[socket.socket]:
    return [socket.create_connection(listener.getsockname()[:2], timeout=10) for _ in range(count)]


def test_connections_go_to_the_workers_in_turn(listener: socket.socket, workers: Any) -> None:
    clients = connect(listener, 6)
    try:
        dispatcher(listener, workers).accept()
        ports = [c.getsockname()[1] for c in clients]
        assert received(workers[0][1]) == ports[0::2]
        assert received(workers[1][1]) == ports[1::2]
    finally:
        for client in clients:
            client.close()


def fill(hand: socket.socket) -> int:
    """Send descriptors until the hand-off socket is full (its worker stopped reading)."""
    r, w = os.pipe()
    sent = 0
    try:
        while sent < 100_000:
            socket.send_fds(hand, [b"c"], [r])
            sent += 1
    except BlockingIOError:
        return sent
    finally:
        os.close(r)
        os.close(w)
    raise AssertionError("never full")


def test_a_worker_that_stopped_reading_is_skipped(listener: socket.socket, workers: Any) -> None:
    fill(workers[0][0])
    clients = connect(listener, 3)
    try:
        dispatcher(listener, workers).accept()
        assert received(workers[1][1]) == [c.getsockname()[1] for c in clients]
    finally:
        for client in clients:
            client.close()


def test_a_connection_no_worker_can_take_is_closed(listener: socket.socket, workers: Any) -> None:
    for hand, _ in workers:
        fill(hand)
    (client,) = connect(listener, 1)
    with client:
        dispatcher(listener, workers).accept()
        assert client.recv(1) == b""  # closed by the server, not left hanging


class OutOfDescriptors:
    """A listener whose ``accept`` fails as when the process has no descriptor left."""

    def __init__(self, real: socket.socket) -> None:
        self.real = real

    def fileno(self) -> int:
        return self.real.fileno()

    def setblocking(self, flag: bool) -> None:
        self.real.setblocking(flag)

    def accept(self) -> tuple[socket.socket, Any]:
        raise OSError(errno.EMFILE, "Too many open files")


def test_out_of_descriptors_it_stops_accepting_for_a_second_instead_of_spinning(
    listener: socket.socket, workers: Any
) -> None:
    loop = asyncio.new_event_loop()
    try:
        fake: Any = OutOfDescriptors(listener)
        children: Any = [SimpleNamespace(hand=hand) for hand, _ in workers]
        dispatching = _Dispatcher(fake, children)
        dispatching.start(loop)
        (client,) = connect(listener, 1)  # the listener is readable now
        with client:
            dispatching.accept()
            assert not loop.remove_reader(listener.fileno())  # no longer watched
            assert dispatching.retry is not None
            assert 0.5 < dispatching.retry.when() - loop.time() <= 1.0
            dispatching.stop()
            assert dispatching.retry.cancelled()
    finally:
        loop.close()

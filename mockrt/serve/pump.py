"""One connection's pump: client frames into its ``Session``, due events out to the socket.

docs/perf-notes.md, "no await and no outgoing event per frame": a frame that makes nothing due
costs no wake-up, task or timer. The sender task wakes only when the receive loop queued an event
due sooner than its one timer (or a close), and re-arms that single timer for the next due event
(or the expiry) when it goes back to sleep. Events due at once (a session.update's reply, an
error) leave from the receive loop itself, one loop turn sooner, unless the sender is sending:
every send holds one lock, so events leave in the session's order.

Bursts (issue 15). A client ahead of real time (a test streaming a file as fast as it can, or any
client once the server falls behind) has many frames buffered per read of the socket. An append
that comes within ``BURST_S`` of the frame before is held, and the held frames go to the session
together (``Session.receive_texts``: their audio is heard in one vectorised pass) once the reader
has taken all that was buffered (a ``call_soon`` callback runs before the reader resumes), or at
``BATCH_MAX`` frames. A held frame is stamped with the time its batch is handed over, at most a
few milliseconds after it came. Any other frame goes through at once, after the frames held
before it, and so does every frame of a client that sends in real time (20 ms apart). The reader
still yields to other connections every ``YIELD_EVERY`` frames (issue 14).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable

from aiohttp import WSMsgType

from mockrt.serve.state import Live

__all__ = ["APPEND", "BATCH_MAX", "BURST_S", "serve_connection", "YIELD_EVERY"]

log = logging.getLogger("mockrt")

# frames read in a row before the loop goes to other connections: a flood starves none (issue 14)
YIELD_EVERY = 32
BURST_S = 0.001  # a frame this soon after the one before was buffered with it: held
BATCH_MAX = 32  # held frames handed over together at most
# Only appends are held (a frame that merely mentions the name is held too, harmlessly): any
# other event goes through at once, so its reply leaves from the receive loop (session.updated).
APPEND = '"input_audio_buffer.append"'


async def serve_connection(live: Live, speed: float, flush_journal: Callable[[], None]) -> None:
    """Serve ``live`` until its socket closes; ``speed`` 0 runs as fast as possible.
    ``flush_journal`` runs after every send (the journal file and the violation log)."""
    session, ws = live.session, live.ws
    scale = speed or 1.0
    loop = asyncio.get_running_loop()
    monotonic = time.monotonic
    t0 = monotonic()

    def clock() -> float:
        return (monotonic() - t0) * scale

    wake = asyncio.Event()
    sending = asyncio.Lock()  # held by every send: events leave in the session's order
    timer: asyncio.TimerHandle | None = None
    timer_due: float | None = None  # session time the timer rings at
    # When the sender wakes next (session time); -inf while it is awake or already woken.
    armed = -math.inf

    def ring() -> None:
        nonlocal timer
        timer = None
        wake.set()

    async def send_due() -> None:
        async with sending:
            for text in session.texts_to_send():
                await ws.send_str(text)

    async def sender() -> None:
        nonlocal timer, timer_due, armed
        while not ws.closed:
            armed = -math.inf
            session.advance_to(clock())
            while True:
                await send_due()
                pending = session.next_event_due()
                if speed != 0 or pending is None:
                    break
                session.advance_to(pending)  # as fast as possible: jump to the next event
            flush_journal()
            if session.close_request is not None:
                code, reason = session.close_request
                await ws.close(code=code, message=reason.encode())
                return
            wake.clear()
            due = session.next_due()
            if timer is None or due != timer_due:  # the one timer, re-armed only on change
                if timer is not None:
                    timer.cancel()
                timer, timer_due = None, due
                if due is not None:
                    timer = loop.call_later(max(0.0, (due - clock()) / scale), ring)
            armed = math.inf if due is None else due
            await wake.wait()

    def wake_if_sooner(due: float | None) -> None:
        """Wake the sender when ``due`` (the next event's) comes before it would wake, or a
        close is asked."""
        nonlocal armed
        if (due is not None and due < armed) or session.close_request is not None:
            armed = -math.inf  # one wake-up for everything this batch queues
            wake.set()

    def failed() -> None:
        """A bug of ours on a client frame: the client gets server_error, never a traceback."""
        log.exception("session %s: internal error on a client frame", session.id)
        session.internal_error()

    held: list[str] = []
    handover: asyncio.Handle | None = None

    def hand_over() -> None:
        """The held frames to the session, in one batch; a frame our code fails on gets the
        client a ``server_error`` and the frames after it are still handed over."""
        nonlocal handover
        if handover is not None:
            handover.cancel()
            handover = None
        if not held:
            return
        texts = held.copy()
        held.clear()
        session.advance_to(clock())
        done = 0
        while done < len(texts):
            before = session.frames_received
            try:
                session.receive_texts(texts[done:])
                break
            except Exception:
                failed()
                done += max(1, session.frames_received - before)
        wake_if_sooner(session.next_event_due())

    task = asyncio.create_task(sender())
    frames = 0
    last = -math.inf  # when the last text frame came (monotonic)
    try:
        async for msg in ws:
            frames += 1
            if frames % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # buffered frames are read without a suspension
            if msg.type == WSMsgType.TEXT:
                came, last = last, monotonic()
                if last - came < BURST_S and APPEND in msg.data:
                    held.append(msg.data)
                    if len(held) >= BATCH_MAX:
                        hand_over()
                    elif handover is None:
                        handover = loop.call_soon(hand_over)
                    if task.done():
                        break
                    continue
            if held:
                hand_over()  # frames held before this one go first
            session.advance_to(clock())
            try:
                if msg.type == WSMsgType.TEXT:
                    session.receive_text(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    session.receive_bytes(msg.data)
                else:
                    continue
            except Exception:
                failed()
            due = session.next_event_due()
            if due is not None and due <= session.now and not sending.locked():
                with contextlib.suppress(ConnectionError):  # due at once: sent from here, one
                    await send_due()  # loop turn sooner than by waking the sender
                flush_journal()
                due = session.next_event_due()
            wake_if_sooner(due)
            if task.done():
                break
    finally:
        hand_over()  # nothing received is lost: frames held when the socket closed
        if timer is not None:
            timer.cancel()
        if not task.done():
            wake.set()
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, ConnectionError):
            await task

"""What one ``session.update`` costs mockrt's core, part by part: ``python -m bench.update_cost``.

Scenario 3 (round trip) times the whole path through a server; this takes the core's share of it
apart. Each part runs the benchmark's probe update (``bench.signals.SESSION_UPDATE``, 476 bytes,
the defaults again, so the session does not change) on a warmed session:

- ``frame``: ``Session.receive_text`` and ``texts_to_send``, all the core does for the frame;
- ``parse``: ``parse_client_text``, of which ``validate`` (pydantic's ``validate_json`` of the
  client event union) and ``strict`` (the strict-JSON check that lets the journal keep the text);
- ``merge``: ``apply_update``, the request merged into the current session;
- ``reply``: the ``session.updated`` event built and written as text;
- ``journal``: the client frame journaled.

Times are medians of tight loops, so they are lower than in a live server, where the caches are
cold. ``--instructions`` counts machine instructions per call instead, with valgrind's callgrind
(Debian's ``valgrind``), counting only inside the loop: the same count on every run with the same
``--calls``, which a shared, noisy machine does not move, to judge a change to the path by
(docs/perf-notes.md). Untimed in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import timeit
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from bench.signals import SESSION_UPDATE

__all__ = ["PARTS", "instructions", "parts", "timings"]

PARTS = ("frame", "parse", "validate", "strict", "merge", "reply", "journal")


def parts() -> dict[str, Callable[[], object]]:
    """Each part as a call on a session that has taken the probe update before."""
    from mockrt.core.client_events import CLIENT_EVENTS, SessionUpdate
    from mockrt.core.fastpath import strict_object
    from mockrt.core.options import Options
    from mockrt.core.scrub import strict_json
    from mockrt.core.session import Session
    from mockrt.core.session_objects import TranscriptionSession, TranscriptionSessionRequest
    from mockrt.core.sessionconf import apply_update
    from mockrt.core.validation import parse_client_text
    from mockrt.core.wire import session_event

    options = Options()
    session = Session(intent="transcription", options=options)
    for _ in range(50):  # validators built, the session's dump made and its text kept
        session.receive_text(SESSION_UPDATE)
        session.texts_to_send()
    request = SessionUpdate.model_validate_json(SESSION_UPDATE).session
    config = session.config
    assert isinstance(request, TranscriptionSessionRequest)
    assert isinstance(config, TranscriptionSession)  # the update changed nothing: it stays
    validate = CLIENT_EVENTS.validator.validate_json

    def frame() -> object:
        session.receive_text(SESSION_UPDATE)
        return session.texts_to_send()

    return {
        "frame": frame,
        "parse": lambda: parse_client_text(SESSION_UPDATE, transcription=True, options=options),
        "validate": lambda: validate(SESSION_UPDATE),
        "strict": lambda: strict_object(SESSION_UPDATE),
        "merge": lambda: apply_update(config, request, options, null_rule=False, current_runs=True),
        "reply": lambda: strict_json(session_event("session.updated", "event_1", session.config)),
        "journal": lambda: session.journal.add_text(session.now, session.id, 1, SESSION_UPDATE),
    }


def timings(calls: int, repeats: int = 5) -> dict[str, float]:
    """µs per call of each part: the median of ``repeats`` loops of ``calls`` calls (``timeit``,
    the garbage collector off while it times, as ``timeit`` does)."""
    return {
        name: statistics.median(timeit.repeat(call, number=calls, repeat=repeats)) / calls * 1e6
        for name, call in parts().items()
    }


def _loop(name: str, calls: int) -> int:
    """Run a part ``calls`` times inside one call of the C function ``sum``: callgrind counts
    only what runs within it (``--toggle-collect=builtin_sum``), not start-up or warm-up."""
    call = parts()[name]
    return sum(map(lambda _: call() is None, range(calls)))


_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _count(name: str, calls: int) -> int:
    command = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        "--collect-atstart=no", "--toggle-collect=builtin_sum",
        sys.executable, "-m", "bench.update_cost", "--loop", name, "--calls", str(calls),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONHASHSEED": "0"}  # the same dict layouts in every run
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, env=env)
    match = _COLLECTED.search(result.stderr)
    if result.returncode != 0 or match is None or int(match.group(1)) == 0:
        raise RuntimeError(
            f"callgrind counted nothing for {name} (an interpreter without symbols?): "
            f"{result.stderr[-500:]}"
        )
    return int(match.group(1))


def instructions(calls: int, names: tuple[str, ...] = PARTS) -> dict[str, int]:
    """Instructions per call of each part (the loop's own few hundred included), one callgrind
    run each, as many at a time as there are cores."""
    if shutil.which("valgrind") is None:
        raise RuntimeError("valgrind is not installed (Debian: apt install valgrind)")
    with ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        counts = pool.map(lambda name: _count(name, calls), names)
        return {name: round(count / calls) for name, count in zip(names, counts, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.update_cost",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--calls", type=int, help="calls per loop (20,000 timed, 1,000 counted)")
    parser.add_argument("--instructions", action="store_true", help="count under valgrind")
    parser.add_argument("--json", action="store_true", help="print JSON")
    parser.add_argument("--loop", choices=PARTS, help=argparse.SUPPRESS)  # one callgrind run
    args = parser.parse_args()
    if args.loop:
        _loop(args.loop, args.calls or 1_000)
        return
    if args.instructions:
        try:
            counts = instructions(args.calls or 1_000)
        except RuntimeError as exc:
            sys.exit(f"python -m bench.update_cost: {exc}")
        figures, unit = {k: float(v) for k, v in counts.items()}, "instructions"
    else:
        figures, unit = timings(args.calls or 20_000), "µs"
    if args.json:
        print(json.dumps({"unit": unit, "parts": figures}))
        return
    whole = figures["frame"]
    for name in PARTS:
        value = figures[name]
        text = f"{value:,.0f}" if unit == "instructions" else f"{value:.1f}"
        print(f"{name:8} {text:>10} {unit}  {value / whole:6.0%} of frame")


if __name__ == "__main__":
    main()

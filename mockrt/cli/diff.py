"""``mockrt diff A B``: two captures (or journals, or directories of captures) compared event by
event, modulo ids and timings within a tolerance; exit 1 on any difference."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from mockrt.core.journal import Journal
from mockrt.diagnosis.diff import Tolerance, diff_journals
from mockrt.serve.capture import capture_files, read_capture

__all__ = ["register"]


def register(subparsers: Any) -> None:
    """Add ``mockrt diff``."""
    diff = subparsers.add_parser(
        "diff",
        help="compare two captures event by event (exit 1 on differences)",
        description="Sessions pair up in order; events are compared by type, order and field, "
        "ids bound like placeholders, wall-clock fields skipped, times and *_ms fields within "
        "tolerances; close codes when both sides recorded them.",
    )
    diff.add_argument("a", type=Path, metavar="A", help="capture, journal or directory")
    diff.add_argument("b", type=Path, metavar="B", help="capture, journal or directory")
    diff.add_argument(
        "--time-tolerance",
        type=float,
        default=1.0,
        metavar="S",
        help="seconds a frame's time (since its session's first frame) may differ; "
        "'inf' ignores times (default 1.0)",
    )
    diff.add_argument(
        "--ms-tolerance",
        type=float,
        default=100.0,
        metavar="MS",
        help="milliseconds *_ms fields (audio_start_ms, ...) may differ (default 100)",
    )
    diff.set_defaults(func=_diff)


def _read(path: Path) -> Journal:
    if not path.is_dir():
        return read_capture(path)
    combined = Journal()
    for capture in capture_files(path):
        part = read_capture(capture)
        for entry in part:
            combined.add(entry)
        combined.closes += part.closes
    return combined


def _diff(args: argparse.Namespace) -> int:
    try:
        a, b = _read(args.a), _read(args.b)
    except (OSError, ValueError, KeyError) as exc:
        print(f"mockrt diff: {exc}", file=sys.stderr)
        return 2
    seconds = None if math.isinf(args.time_tolerance) else args.time_tolerance
    found = diff_journals(a, b, Tolerance(seconds=seconds, ms=args.ms_tolerance))
    for difference in found:
        print(difference)
    if not (a.closes and b.closes):
        print("mockrt diff: close codes not compared (not recorded on both sides)", file=sys.stderr)
    print(f"{len(found)} difference(s)", file=sys.stderr)
    return 1 if found else 0

"""On a failing test, the mock's journal and a one-paragraph diagnosis go into the test report
(``report.sections``, shown by pytest under the failure), and into files under
``--mockrt-journal-dir DIR`` when given: ``DIR/<test id>.jsonl`` (``mockrt diagnose --journal``
reads it) and ``DIR/<test id>.diagnosis.txt``.

The fixtures register each server they hand out with ``watch(item, name, journal)``; a fixture
that resets or stops its server replaces the callable with a snapshot first. A test that takes
``mockrt_server_session`` directly is watched through its arguments (the whole session's journal,
as nothing resets it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from mockrt.core.journal import Journal
from mockrt.diagnosis.analysis import diagnose

if TYPE_CHECKING:
    from mockrt.serve.background import BackgroundMockServer

__all__ = ["JOURNAL_DIR_OPTION", "attach", "summary", "watch"]

JOURNAL_DIR_OPTION = "--mockrt-journal-dir"
_SHOWN_LINES = 40  # the last frames in the report; the file has all of them
_SHOWN_CHARS = 240  # per frame (audio appends are long)
_WATCHED = pytest.StashKey[dict[str, Callable[[], Journal]]]()
_ATTACHED = pytest.StashKey[bool]()


def watch(item: pytest.Item, name: str, journal: Callable[[], Journal]) -> None:
    item.stash.setdefault(_WATCHED, {})[name] = journal


def summary(journal: Journal) -> str:
    """One paragraph: the sessions, the client, each problem with its fix, or why nothing came."""
    report = diagnose(journal)
    if not report.sessions:
        note = report.notes[0] if report.notes else None
        detail = f" {note.title}: {note.detail}" if note else ""
        return _flat("mockrt saw no session: the client never opened one." + detail)
    clients = sorted({s.client.name for s in report.sessions if s.client is not None})
    events = sum(len(s.client_types) for s in report.sessions)
    n = len(report.sessions)
    text = (
        f"mockrt saw {n} session{'s' if n != 1 else ''} "
        f"({', '.join(clients) or 'client not recognised'}), {events} client events; "
    )
    problems = [p for s in report.sessions for p in s.problems if not p.tolerated]
    if not problems:
        transcripts = [t for s in report.sessions for t in s.transcripts]
        return _flat(text + f"no rule broken; transcripts sent: {transcripts!r}.")
    text += f"{len(problems)} problem{'s' if len(problems) != 1 else ''}: "
    text += " ".join(
        f"({i}) {p.explanation.title}: {p.what} Fix: {_first_paragraph(p.explanation.fix)}"
        for i, p in enumerate(problems, 1)
    )
    return _flat(text)


def _first_paragraph(text: str) -> str:
    first = text.split("\n\n")[0].strip()
    if first.endswith(":"):  # an example follows; the full diagnosis shows it
        first = first[:-1] + " (example: mockrt diagnose --journal FILE)."
    return first


def _journal_of(server: BackgroundMockServer) -> Journal:
    return server.journal


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def attach(item: pytest.Item, report: pytest.TestReport) -> None:
    """Add the sections to ``report`` (the first failing phase only) and write the files."""
    from mockrt.serve.background import BackgroundMockServer

    registered = item.stash.get(_WATCHED, None)
    watched = dict(registered or {})
    funcargs: dict[str, object] = getattr(item, "funcargs", {})
    seen = {id(funcargs[name]) for name in watched if name in funcargs}
    for name, value in funcargs.items():
        if isinstance(value, BackgroundMockServer) and id(value) not in seen:
            watched[name] = partial(_journal_of, value)
    if not report.failed or not watched or item.stash.get(_ATTACHED, False):
        return
    item.stash[_ATTACHED] = True
    directory = item.config.getoption(JOURNAL_DIR_OPTION)
    for name, source in watched.items():
        journal = source()
        lines = [entry.to_line() for entry in journal]
        shown = [ln if len(ln) <= _SHOWN_CHARS else ln[:_SHOWN_CHARS] + "…" for ln in lines]
        skipped = len(shown) - _SHOWN_LINES
        head = [f"({skipped} earlier frames not shown)"] if skipped > 0 else []
        paragraph = summary(journal)
        report.sections.append((f"mockrt diagnosis ({name})", paragraph))
        report.sections.append(
            (f"mockrt journal ({name})", "\n".join(head + shown[-_SHOWN_LINES:]) or "(empty)")
        )
        if directory:
            stem = re.sub(r"[^\w.-]+", "_", item.nodeid).strip("_")
            stem += "" if len(watched) == 1 else f"-{name}"
            out = Path(directory)
            out.mkdir(parents=True, exist_ok=True)
            (out / f"{stem}.jsonl").write_text("".join(ln + "\n" for ln in lines), "utf-8")
            (out / f"{stem}.diagnosis.txt").write_text(paragraph + "\n", "utf-8")

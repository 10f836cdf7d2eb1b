"""The parent's side of the redirect in child processes (``mockrt run``, ``mockrt diagnose``):
the environment that makes a child Python install ``mockrt.serve.redirect`` at start-up, and
the records it leaves, read back as journal entries and lines for people.
Must never import aiohttp or websockets.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

from mockrt.core.journal import Entry, Journal
from mockrt.serve.redirect import ENV_BLOCK, ENV_LOG, ENV_URL, HOOK_DIR, Record

__all__ = ["hook_env", "read_log", "summary_lines", "to_journal"]


def hook_env(
    environ: dict[str, str], origin: str, *, block_network: bool, log_path: str | Path
) -> dict[str, str]:
    """``environ`` plus what makes a child Python install the redirect at start-up."""
    env = dict(environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(HOOK_DIR), path) if p)
    env[ENV_URL] = origin
    env[ENV_LOG] = str(log_path)
    if block_network:
        env[ENV_BLOCK] = "1"
    else:
        env.pop(ENV_BLOCK, None)
    for name in ("NO_PROXY", "no_proxy"):  # the mock is never reached through a proxy
        env[name] = ",".join(p for p in (env.get(name, ""), "127.0.0.1,localhost") if p)
    return env


def read_log(path: str | Path) -> list[Record]:
    """The records children appended to ``path`` (none when it does not exist)."""
    records: list[Record] = []
    with contextlib.suppress(FileNotFoundError), Path(path).open(encoding="utf-8") as lines:
        for line in lines:
            with contextlib.suppress(ValueError, TypeError, KeyError):
                records.append(Record(**json.loads(line)))
    return records


def summary_lines(records: Sequence[Record]) -> list[str]:
    """One line per record, for people: ``websockets: wss://api.openai.com/… -> ws://…``."""
    out = []
    for r in records:
        to = f" -> {r.to}" if r.to else f" ({'refused' if r.action == 'blocked' else 'left alone'})"
        out.append(f"{r.library}: {r.url}{to}")
    return out


def to_journal(records: Sequence[Record], started: float) -> Journal:
    """``records`` as a ``Journal`` of ``"connection"`` entries (times relative to ``started``,
    a ``time.time()``), for the journal file and reports."""
    journal = Journal()
    for index, record in enumerate(records):
        event = {"type": "mockrt.redirect", **record.to_json()}
        journal.add(Entry("connection", max(0.0, record.time - started), "", event, index))
    return journal

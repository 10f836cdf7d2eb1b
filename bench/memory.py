"""Scenario 5, memory: RSS per idle session over many sessions, and what stays once they close.

A few sessions are opened and closed first (first-use costs are not per-session costs); then
``count`` sessions are opened (each waits for ``session.created``) and held idle; RSS is read
from /proc before, with all open, and after all closed (clean close handshakes, then a short
settle).
"""

from __future__ import annotations

import asyncio
from typing import Any

from bench import wsload
from bench.procs import Server

__all__ = ["idle_sessions"]


async def _idle(server: Server, count: int, settle: float) -> dict[str, Any]:
    await wsload.close_all(await wsload.connect_many(server.port, 5))
    await asyncio.sleep(settle)
    before = server.rss()
    clients = await wsload.connect_many(server.port, count, timeout=30 + count / 20)
    try:
        await asyncio.sleep(settle)
        held = server.rss()
    finally:
        await wsload.close_all(clients, timeout=10)
    await asyncio.sleep(settle)
    after = server.rss()
    return {
        "sessions": count,
        "rss_before_mb": before / 2**20,
        "rss_open_mb": held / 2**20,
        "rss_closed_mb": after / 2**20,
        "per_session_kb": (held - before) / count / 1024,
        "retained_per_session_kb": (after - before) / count / 1024,
    }


def idle_sessions(server: Server, count: int, settle: float = 0.5) -> dict[str, Any]:
    return asyncio.run(_idle(server, count, settle))

"""Shared fixtures: a fresh pure Session and a running mock server on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mockrt.ids import CountingIds
from mockrt.options import Options
from mockrt.session import Session
from mockrt.testing import MockRealtimeServer


def make_session(**kwargs: Any) -> Session:
    kwargs.setdefault("ids", CountingIds())
    kwargs.setdefault("started_at", 1_700_000_000.0)
    kwargs.setdefault("options", Options())
    return Session(**kwargs)


def send(session: Session, event: Any) -> list[dict[str, Any]]:
    """Feed one client frame (an object is JSON-encoded) and return what is due now."""
    session.receive_text(event if isinstance(event, str) else json.dumps(event))
    return session.events_to_send()


@pytest.fixture
def session() -> Session:
    s = make_session()
    s.events_to_send()  # drop session.created
    return s


@pytest.fixture
async def server() -> AsyncIterator[MockRealtimeServer]:
    async with MockRealtimeServer() as srv:
        yield srv

"""Shared fixtures: a fresh pure Session and a running mock server on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import settings

from mockrt.contract import schema
from mockrt.contract.schema import Persona
from mockrt.contract.validator import validate_event
from mockrt.core.ids import CountingIds
from mockrt.core.options import Options
from mockrt.core.outbox import Outbox
from mockrt.core.session import Session
from mockrt.serve.testing import MockRealtimeServer

# Hypothesis profiles: "ci" (set by CI=true) is derandomized so a red run can be replayed;
# "dev" explores with fresh seeds. Tests that need a budget set max_examples themselves.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev")
)

# Loopback only: the Agents SDK would otherwise export its traces to the live API (when a key
# is set). Subprocesses started by the tests inherit this.
os.environ.setdefault("OPENAI_AGENTS_DISABLE_TRACING", "1")


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


# --- every server event the mock emits, in any test, follows schemas/ (issue 5, item 4) ---------

_SCHEMAS_DIR = Path(__file__).resolve().parents[1] / "schemas"
_BETA_ONLY_TYPES = frozenset(schema.event_types("beta", "server")) - frozenset(
    schema.event_types("ga", "server")
)


def contract_violations(event: Any) -> list[str]:
    """How a server event breaks schemas/: the beta union for beta-only types, else GA."""
    kind = event.get("type") if isinstance(event, dict) else None
    persona: Persona = "beta" if kind in _BETA_ONLY_TYPES else "ga"
    return [
        f"{kind} {v.pointer or '/'}: {v.message} [{v.rule}]"
        for v in validate_event(event, persona, "server", _SCHEMAS_DIR)
    ]


@pytest.fixture(autouse=True)
def _server_events_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Wraps ``Outbox.drain``: whatever a test makes the mock send is checked against schemas/,
    and the test fails at teardown when an event breaks it."""
    broken: list[str] = []
    drain = Outbox.drain

    def checked_drain(self: Outbox, *args: Any, **kwargs: Any) -> list[str]:
        texts = drain(self, *args, **kwargs)
        for text in texts:
            broken.extend(contract_violations(json.loads(text)))
        return texts

    monkeypatch.setattr(Outbox, "drain", checked_drain)
    yield
    if broken:
        shown = "\n".join(broken[:20])
        pytest.fail(f"server events that break schemas/ ({len(broken)}):\n{shown}", pytrace=False)


# The client-secret request of the reported case
# (tests/data/evidence/agents-runner-on-transcription.json), with its elided prompt filled in.
REPORTED_SECRET_REQUEST: dict[str, Any] = {
    "session": {
        "type": "transcription",
        "audio": {
            "input": {
                "noise_reduction": {"type": "far_field"},
                "transcription": {
                    "language": "en",
                    "model": "gpt-4o-mini-transcribe",
                    "prompt": "Expect technology terms.",
                },
            }
        },
        "include": ["item.input_audio_transcription.logprobs"],
    }
}


async def mint(server: MockRealtimeServer, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """POST /v1/realtime/client_secrets to the mock: (status, JSON body)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.http_url}/realtime/client_secrets", json=body, headers=server.headers
        ) as response,
    ):
        return response.status, dict(await response.json())

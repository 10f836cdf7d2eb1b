"""Schemathesis fuzzes the mock's HTTP side from docs/openapi.json against a running mock on
127.0.0.1: no 5xx, every status and body as documented. Bounded: a dozen examples per route.

Excluded: ``positive_data_acceptance``, as the documented request schemas cannot say everything
the server checks (a script's min_speech_ms <= max_speech_ms, the live API's session rules); such
bodies get the documented 400 with the reason. On /v1/ paths also ``unsupported_method``: an
undeclared method gets the live API's 404 "Invalid URL (METHOD /v1/...)", not a 405."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from mockrt.serve.background import BackgroundMockServer

DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[1] / "docs" / "openapi.json").read_text(encoding="utf-8")
)
KEY = "sk-admin-fuzz"
schema = schemathesis.openapi.from_dict(DOCUMENT)


@pytest.fixture(scope="module")
def running() -> Iterator[BackgroundMockServer]:
    with BackgroundMockServer.from_options(api_keys=frozenset({KEY})) as server:
        yield server


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_every_documented_route_answers_as_documented(
    case: schemathesis.Case, running: BackgroundMockServer
) -> None:
    case.call_and_validate(
        base_url=running.base_url,
        headers={"Authorization": f"Bearer {KEY}"},
        excluded_checks=[
            schemathesis.checks.positive_data_acceptance,
            *([schemathesis.checks.unsupported_method] if case.path.startswith("/v1/") else []),
        ],
        timeout=10,
    )

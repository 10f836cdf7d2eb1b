"""``mockrt serve`` imports only what serving needs and builds nothing it can build later
(issue 15): no schema tooling, SDK check, diagnosis or package metadata at start-up, and no wire
model's validator before the ready line (the warm-up after it builds them). Checked in a fresh
interpreter, by module and model names, never by time."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]

# What `mockrt serve` does up to its ready line: parse `serve` arguments, build the app, start it;
# then what it does after: the warm-up, with one client connecting while it runs and one after.
PROBE = """
import asyncio, json, sys, threading
from aiohttp import ClientSession, web
from mockrt.cli.main import build_parser
from pydantic import BaseModel, TypeAdapter

def built():
    out = []
    for name, module in list(sys.modules.items()):
        if name.startswith("mockrt."):
            for attr, value in list(vars(module).items()):
                if isinstance(value, TypeAdapter) and value.pydantic_complete:
                    out.append(f"{name}.{attr}")
                elif (isinstance(value, type) and issubclass(value, BaseModel)
                        and value.__module__ == name and value.__pydantic_complete__):
                    out.append(f"{name}.{attr}")
    return sorted(set(out))

class WhoImports:  # a finder that finds nothing: it notes which thread imports numpy first
    numpy = None

    def find_spec(self, name, path=None, target=None):
        if name == "numpy" and WhoImports.numpy is None:
            WhoImports.numpy = threading.current_thread().name
        return None

args = build_parser("serve").parse_args(["serve", "--port", "0"])
from mockrt.serve.server import create_app

async def first_event(port):
    async with ClientSession() as http:
        url = f"http://127.0.0.1:{port}/v1/realtime?intent=transcription"
        async with http.ws_connect(url, headers={"Authorization": "Bearer sk-probe"}) as ws:
            return await ws.receive_json(timeout=30)

async def start():
    app = create_app()
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    report = {"modules": sorted(sys.modules), "built_at_ready": built()}
    from mockrt.cli.serve import _warm_up

    sys.meta_path.insert(0, WhoImports())
    done = _warm_up(asyncio.get_running_loop(), app)
    port = runner.addresses[0][1]
    report["during_warm_up"] = await first_event(port)
    await asyncio.wait_for(done, 60)
    report["numpy_imported_by"] = WhoImports.numpy
    report["built_after_warm_up"] = built()
    report["modules_after_warm_up"] = sorted(sys.modules)
    report["after_warm_up"] = await first_event(port)
    await runner.cleanup()
    return report

print(json.dumps(asyncio.run(start())))
"""

NOT_AT_START_UP = (
    "jsonschema",
    "yaml.",
    "referencing",
    "mockrt.diagnosis",
    "mockrt.contract",
    "importlib.metadata",  # the version is read on --version or /mockrt/config only
    "mockrt.core.warmup",  # imported after the ready line
    "numpy",  # with the first audio a turn detector measures (mockrt.core.energy), or the warm-up
    "mockrt.core.energy",
    "mockrt.core.beta",  # a ga server loads no beta model: with the first beta session only
    "msgspec",  # with the first append (mockrt.core.fastpath), or the warm-up
)
GA_MODEL_MODULES = ("mockrt.core.session_objects", "mockrt.core.client_events")


@pytest.fixture(scope="module")
def probe() -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def test_serve_start_up_imports_no_schema_tooling_sdk_check_diagnosis_or_metadata(
    probe: dict[str, Any],
) -> None:
    modules = probe["modules"]
    assert "mockrt.serve.server" in modules  # the probe did start a server
    assert [m for m in modules if m == "yaml" or m.startswith(NOT_AT_START_UP)] == []


def test_no_wire_model_or_union_adapter_is_built_before_the_ready_line(
    probe: dict[str, Any],
) -> None:
    assert "mockrt.core.server_events" in probe["modules"]  # the models were imported
    assert probe["built_at_ready"] == []


def test_the_warm_up_builds_every_ga_model_and_no_beta_one(probe: dict[str, Any]) -> None:
    from mockrt.core import client_events, server_events, session_objects
    from mockrt.core.warmup import _models

    expected = {
        f"{module.__name__}.{model.__name__}"
        for module in (session_objects, client_events, server_events)
        for model in _models(module)
    } | {"mockrt.core.client_events.CLIENT_EVENTS"}
    built = set(probe["built_after_warm_up"])
    assert expected - built == set()
    assert [name for name in built if name.startswith("mockrt.core.beta.")] == []
    assert "mockrt.core.beta" not in probe["modules_after_warm_up"]
    assert "mockrt.core.server_events.SERVER_EVENTS" not in built  # no session uses it


def test_the_warm_up_imports_numpy_in_a_thread_not_on_the_event_loop(
    probe: dict[str, Any],
) -> None:
    """As one step, numpy's import held the loop for ~100 ms in a client's first second."""
    assert probe["numpy_imported_by"] == "mockrt-warm-up-import"
    assert "numpy" in probe["modules_after_warm_up"]  # and the last step ran after it


def test_a_client_connecting_during_the_warm_up_gets_the_same_session_created(
    probe: dict[str, Any],
) -> None:
    def volatile_removed(event: dict[str, Any]) -> dict[str, Any]:
        session = {k: v for k, v in event["session"].items() if k not in ("id", "expires_at")}
        return {**{k: v for k, v in event.items() if k != "event_id"}, "session": session}

    during, after = probe["during_warm_up"], probe["after_warm_up"]
    assert during["type"] == "session.created"
    assert volatile_removed(during) == volatile_removed(after)


def test_the_full_parser_still_lists_every_command() -> None:
    from mockrt.cli.main import SUBCOMMANDS, build_parser

    help_text = build_parser().format_help()
    assert "serve" in help_text
    assert len(SUBCOMMANDS) >= 2
    for command in ("diagnose", "schemas"):
        assert command in help_text


def test_the_beta_warm_up_runs_and_leaves_every_beta_model_built() -> None:
    from mockrt.core import beta
    from mockrt.core.warmup import _models, warm_up_steps

    for step in warm_up_steps("beta"):
        step()
    assert [m.__name__ for m in _models(beta) if not m.__pydantic_complete__] == []
    assert beta.BETA_CLIENT_EVENTS.pydantic_complete

"""Record through the proxy, turn the capture into a script, replay it to the same client, and
find the second capture equal to the first (``mockrt diff``); the CLI around it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockrt.cli.main import main
from mockrt.contract.fromcapture import script_data
from mockrt.contract.scriptfile import load_script, parse_script
from mockrt.core.ids import RandomIds
from mockrt.diagnosis.diff import diff_journals
from mockrt.serve.capture import read_capture
from mockrt.serve.cassette import ProxyServer, replay_factory
from mockrt.serve.proxy import ProxyConfig
from mockrt.serve.testing import MockRealtimeServer

from .test_proxy_helpers import run_client

UPSTREAM_SCRIPT: dict[str, Any] = {
    "turns": [
        {
            "transcript": "Hello there, world.",
            "deltas": ["Hel", "lo there", ", world."],
            "latency_ms": {"first_delta": 40, "between_deltas": 10, "completed": 5},
            "usage": {"type": "tokens", "input_tokens": 6, "output_tokens": 4},
        },
        {"fail": {"type": "server_error", "code": "audio_unintelligible", "message": "No."}},
    ],
    "faults": [
        {"close": {"code": 1011, "reason": "upstream failure"}, "at_turn": 2, "after": "completed"}
    ],
}


async def record(upstream: MockRealtimeServer, directory: Path) -> Path:
    """One session of the test client through a recording proxy; the capture's path."""
    base = f"ws://127.0.0.1:{upstream.port}"
    async with ProxyServer(ProxyConfig(upstream=base, record_dir=directory)) as px:
        await run_client(px.url, upstream.headers)
        await px.settle()
    (capture,) = px.state.captures
    return capture


@pytest.fixture
async def recorded(tmp_path: Path) -> Path:
    script = parse_script(UPSTREAM_SCRIPT)
    async with MockRealtimeServer.from_options(script=script, speed=1) as upstream:
        return await record(upstream, tmp_path / "a")


def test_a_capture_becomes_a_script_with_its_deltas_failure_pacing_and_close(
    recorded: Path,
) -> None:
    data = script_data(read_capture(recorded))
    first, second = data["turns"]
    assert first["transcript"] == "Hello there, world."
    assert first["deltas"] == ["Hel", "lo there", ", world."]
    assert first["usage"] == {
        "type": "tokens",
        "input_tokens": 6,
        "output_tokens": 4,
        "total_tokens": 10,
    }
    assert set(first["latency_ms"]) == {"first_delta", "between_deltas", "completed"}
    assert second["fail"] == {
        "type": "server_error",
        "code": "audio_unintelligible",
        "message": "No.",
    }
    (close,) = data["faults"]
    assert close["close"] == {"code": 1011, "reason": "upstream failure"}
    parse_script(data)  # the loader accepts it


async def test_a_replayed_capture_answers_the_same_client_as_the_upstream_did(
    recorded: Path, tmp_path: Path
) -> None:
    async with MockRealtimeServer.from_options(
        transcriber=replay_factory([recorded]), speed=1, ids=RandomIds
    ) as replay:
        again = await record(replay, tmp_path / "b")
    a, b = read_capture(recorded), read_capture(again)
    assert diff_journals(a, b) == []
    assert a.server()[0].event["event_id"] != b.server()[0].event["event_id"]  # ids differ, bound
    assert [c.code for c in b.closes] == [1011]


async def test_a_replay_to_a_client_that_sends_other_audio_is_found_different(
    recorded: Path, tmp_path: Path
) -> None:
    from tests import audio_gen

    async with MockRealtimeServer.from_options(
        transcriber=replay_factory([recorded]), speed=1
    ) as replay:
        base = f"ws://127.0.0.1:{replay.port}"
        async with ProxyServer(ProxyConfig(upstream=base, record_dir=tmp_path / "c")) as px:
            await run_client(px.url, replay.headers, (audio_gen.tone(300),))
            await px.settle()
    found = diff_journals(read_capture(recorded), read_capture(px.state.captures[0]))
    assert any(d.kind in ("missing", "field") and d.direction == "client" for d in found)


def test_the_command_line_round_trip(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["script", "from-capture", str(recorded)]) == 0
    out = capsys.readouterr().out
    script_file = tmp_path / "turns.yaml"
    script_file.write_text(out)
    assert len(load_script(script_file).turns) == 2
    assert yaml.safe_load(out)["turns"][0]["transcript"] == "Hello there, world."

    assert main(["validate", str(recorded)]) == 0
    capsys.readouterr()
    assert main(["diff", str(recorded), str(recorded)]) == 0
    changed = tmp_path / "changed" / recorded.name
    changed.parent.mkdir()
    shutil.copy(recorded.with_suffix(".wav"), changed.with_suffix(".wav"))
    lines = (
        recorded.read_text().replace("lo there", "lo their").replace('"code":1011', '"code":4000')
    )
    changed.write_text(lines)
    assert main(["diff", str(recorded), str(changed)]) == 1
    out = capsys.readouterr().out
    assert '/delta: "lo there" vs "lo their"' in out
    assert "/transcript:" in out
    assert "server closed 1011 'upstream failure' vs server closed 4000" in out


def test_serve_refuses_replay_and_script_together(recorded: Path) -> None:
    with pytest.raises(SystemExit, match="not both"):
        main(["serve", "--replay", str(recorded), "--script", str(recorded)])


def test_a_capture_of_a_refused_connection_replays_nothing(tmp_path: Path) -> None:
    capture = tmp_path / "x.jsonl"
    error = {"type": "error", "event_id": "event_1", "error": {"type": "invalid_request_error"}}
    capture.write_text(
        json.dumps({"direction": "server", "time": 0, "session": "", "event": error})
        + "\n"
        + json.dumps(
            {
                "direction": "server",
                "time": 0,
                "session": "",
                "close": {"code": 4000, "reason": "r"},
            }
        )
        + "\n"
    )
    data = script_data(read_capture(capture))
    assert data["turns"] == []
    assert data["faults"] == [{"close": {"code": 4000, "reason": "r"}, "after_event": 1}]

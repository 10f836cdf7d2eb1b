"""action.yml's shell steps, run as CI runs them: start `mockrt serve` from MOCKRT_* variables,
wait for /healthz, export the URLs (to stdout and $GITHUB_ENV), serve a client, stop, and leave
the journal behind."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import urllib.request
from pathlib import Path

import yaml
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / ".github" / "mockrt-action.sh"
KEY = "sk-ci-key"


def run_step(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), command], env=env, capture_output=True, text=True, timeout=90
    )


def test_action_yml_runs_the_tested_script_in_a_composite_action() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    runs = " ".join(step.get("run", "") for step in action["runs"]["steps"])
    assert 'mockrt-action.sh" start' in runs and 'mockrt-action.sh" stop' in runs
    assert any(
        step.get("uses", "").startswith("actions/upload-artifact")
        for step in action["runs"]["steps"]
    )


def test_ci_script_starts_the_mock_from_the_environment_and_exports_its_urls(
    tmp_path: Path,
) -> None:
    github_env = tmp_path / "github_env"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MOCKRT_DIR": str(tmp_path),
        "MOCKRT_PORT": "0",
        "MOCKRT_API_KEY": KEY,
        "MOCKRT_SCRIPT": str(ROOT / "examples" / "scripts" / "hello.yaml"),
        "MOCKRT_ARGS": "--speed 0",
        "GITHUB_ENV": str(github_env),
    }
    started = run_step("start", env)
    try:
        assert started.returncode == 0, started.stderr
        exported = dict(
            shlex.split(line.removeprefix("export "))[0].split("=", 1)
            for line in started.stdout.splitlines()
        )
        assert github_env.read_text().splitlines() == [
            f"{name}={value}" for name, value in exported.items()
        ]
        base = exported["OPENAI_WEBSOCKET_BASE_URL"]
        assert exported["MOCKRT_URL"] == f"{base}/realtime"
        assert base.startswith("ws://127.0.0.1:") and base.endswith("/v1")
        auth = {"Authorization": f"Bearer {KEY}"}
        with connect(exported["MOCKRT_TRANSCRIPTION_URL"], additional_headers=auth) as ws:
            assert json.loads(ws.recv())["type"] == "session.created"
        http = exported["OPENAI_BASE_URL"].removesuffix("/v1")
        request = urllib.request.Request(f"{http}/mockrt/config", headers=auth)
        with urllib.request.urlopen(request, timeout=10) as response:
            config = json.load(response)
        assert config["script"]["turns"] == 2 and config["speed"] == 0 and config["api_keys"] == 1
    finally:
        stopped = run_step("stop", env)
    assert stopped.returncode == 0, stopped.stderr
    journal = Path(exported["MOCKRT_JOURNAL"]).read_text().splitlines()
    assert json.loads(journal[0])["event"]["type"] == "session.created"
    assert not (tmp_path / "mockrt.pid").exists()


def test_ci_script_fails_with_the_log_when_the_mock_cannot_start(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "MOCKRT_DIR": str(tmp_path),
        "MOCKRT_PORT": "0",
        "MOCKRT_SCRIPT": str(tmp_path / "missing.yaml"),
    }
    started = run_step("start", env)
    assert started.returncode == 1
    assert "exited before it was ready" in started.stderr and "missing.yaml" in started.stderr
    assert started.stdout == ""

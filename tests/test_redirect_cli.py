"""The redirect in child processes: the sitecustomize hook, ``mockrt run`` and ``mockrt diagnose``
on unchanged programs with the live URLs hard-coded, the network blocked."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from asyncio.subprocess import PIPE
from pathlib import Path

import pytest

from mockrt.core.journal import read_jsonl
from mockrt.serve.redirect_hook import hook_env, read_log
from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

ROOT = Path(__file__).resolve().parents[1]
RULE_TEXT = "Passing a realtime session update event to a transcription session is not allowed."
LIVE_SECRETS = "https://api.openai.com/v1/realtime/client_secrets"
LIVE_WS = "wss://api.openai.com/v1/realtime?intent=transcription"

# Imports httpx only after start-up: the hook patches libraries when they are imported.
MINT = textwrap.dedent(f"""
    import sys
    assert "httpx" not in sys.modules
    import httpx
    r = httpx.post({LIVE_SECRETS!r}, json={{"session": {{"type": "transcription"}}}},
                   headers={{"Authorization": "Bearer {TEST_API_KEY}"}})
    print(r.status_code, r.json()["value"][:3])
""")


def mockrt_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mockrt", *args],
        cwd=cwd,
        env={k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")},
        capture_output=True,
        text=True,
        timeout=90,
    )


async def test_hook_redirects_a_child_and_chains_to_the_users_sitecustomize(
    tmp_path: Path,
) -> None:
    user_site = tmp_path / "user"
    user_site.mkdir()
    (user_site / "sitecustomize.py").write_text("import os\nos.environ['USER_HOOK'] = 'ran'\n")
    log = tmp_path / "redirect.jsonl"
    async with MockRealtimeServer() as server:
        env = hook_env(
            {**os.environ, "PYTHONPATH": str(user_site)},
            f"http://127.0.0.1:{server.port}",
            block_network=True,
            log_path=log,
        )
        code = MINT + "import os; print(os.environ.get('USER_HOOK'))\n"
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-c", code, env=env, stdout=PIPE, stderr=PIPE
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 0, err.decode()
    assert out.decode().split() == ["200", "ek_", "ran"]
    (record,) = read_log(log)
    assert (record.action, record.library, record.url) == ("redirected", "httpx", LIVE_SECRETS)


def test_without_the_variable_the_hook_does_nothing(tmp_path: Path) -> None:
    env = hook_env(dict(os.environ), "http://127.0.0.1:9", block_network=True, log_path="x")
    del env["MOCKRT_REDIRECT_URL"]
    code = "import sys, httpx; print(httpx.HTTPTransport.handle_request.__module__)"
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "httpx._transports.default", result.stderr


@pytest.mark.parametrize(
    ("example", "mint_library"),
    [
        ("agents_realtime_runner_wrong.py", "httpx2"),  # the openai SDK's HTTP client
        ("agents_realtime_runner_wrong_httpx.py", "httpx"),
    ],
)
def test_reported_program_unchanged_gets_the_reported_error_and_the_explanation(
    example: str, mint_library: str
) -> None:
    source = (ROOT / "examples" / example).read_text()
    assert f'URL = "{LIVE_WS}"' in source and "MOCKRT" not in source  # the live URLs, verbatim
    result = mockrt_cli("diagnose", "--block-network", "--", sys.executable, f"examples/{example}")
    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert out.count(f"RealtimeError: RealtimeError(message='{RULE_TEXT}'") == 2
    report = " ".join(out[out.index("mockrt diagnose: NOT CONFORMANT") :].split())
    assert "Client: OpenAI Agents SDK RealtimeRunner (agents.realtime)" in report
    assert RULE_TEXT in report
    assert "RealtimeRunner cannot be pointed at ?intent=transcription" in report
    assert "POST /v1/realtime/client_secrets -> 200" in report
    assert (
        "2 connection(s) to api.openai.com were redirected to the mock The program is unchanged; "
        f"mockrt's hook sent these here: {LIVE_SECRETS} ({mint_library}); {LIVE_WS} (websockets)."
    ) in report
    assert "Other hosts" not in report


def test_mockrt_run_exits_with_the_programs_code_and_journals_every_connection(
    tmp_path: Path,
) -> None:
    program = tmp_path / "app.py"
    program.write_text(
        textwrap.dedent(f"""
        import asyncio, json, sys, httpx, websockets

        async def main():
            headers = {{"Authorization": "Bearer sk-mine"}}
            async with websockets.connect({LIVE_WS!r}, additional_headers=headers) as ws:
                print(json.loads(await ws.recv())["type"])
            try:
                httpx.get("https://example.com/telemetry")
            except httpx.ConnectError as exc:
                print("refused:", exc)
            sys.exit(7)

        asyncio.run(main())
        """)
    )
    journal = tmp_path / "journal.jsonl"
    result = mockrt_cli(
        "run", "--block-network", "--journal", str(journal), "--", sys.executable, str(program)
    )
    assert result.returncode == 7, result.stderr
    assert result.stdout.splitlines()[0] == "session.created"
    assert "refused: mockrt: network blocked: httpx tried to reach https://example.com" in (
        result.stdout
    )
    assert f"mockrt run: websockets: {LIVE_WS} -> ws://127.0.0.1:" in result.stderr
    assert "mockrt run: httpx: https://example.com/telemetry (refused)" in result.stderr
    entries = read_jsonl(journal.read_text().splitlines())
    assert [e.type for e in entries.server()][:1] == ["session.created"]
    assert [(e.event["action"], e.event["url"]) for e in entries.connections()] == [
        ("redirected", LIVE_WS),
        ("blocked", "https://example.com/telemetry"),
    ]


def test_diagnose_json_lists_other_hosts_left_alone(tmp_path: Path) -> None:
    program = tmp_path / "app.py"
    # A second service on another host: left alone (then refused by the socket guard of an
    # outer redirect, so nothing leaves the machine) and listed in the report.
    program.write_text(
        textwrap.dedent(f"""
        import asyncio, socket, websockets
        def refuse(*a, **k):
            raise OSError("no network in tests")
        socket.getaddrinfo = refuse

        async def main():
            try:
                await websockets.connect("wss://second-service.example/ws")
            except OSError as exc:
                print("second service:", exc)
            async with websockets.connect({LIVE_WS!r}) as ws:
                await ws.recv()

        asyncio.run(main())
        """)
    )
    result = mockrt_cli("diagnose", "--json", "--timeout", "30", "--", sys.executable, str(program))
    report = json.loads(result.stdout)
    notes = {n["title"]: n["detail"] for n in report["notes"]}
    assert notes["Other hosts contacted (left alone)"] == (
        "second-service.example (not the mock: --block-network)."
    )
    assert "second service: no network in tests" in result.stderr


def test_hook_works_in_a_python_without_mockrt_and_hides_mockrt_again(tmp_path: Path) -> None:
    base = getattr(sys, "_base_executable", "")
    probe = subprocess.run(
        [base, "-c", "import mockrt"], cwd=tmp_path, capture_output=True, timeout=60
    )
    if not base or probe.returncode == 0:
        pytest.skip("no Python without mockrt here (the venv's base interpreter has it)")
    env = hook_env(dict(os.environ), "http://127.0.0.1:9", block_network=True, log_path="x")
    code = (
        "import sys, socket\n"
        "print('mockrt.serve.redirect' in sys.modules)\n"
        f"print(any(p.rstrip('/') == {str(ROOT)!r} for p in sys.path))\n"
        "try:\n    socket.getaddrinfo('example.com', 443)\n"
        "except OSError as exc:\n    print(exc)\n"
    )
    result = subprocess.run(
        [base, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.splitlines() == [
        "True",
        "False",
        "mockrt: network blocked: a name lookup of example.com",
    ], result.stderr


def test_a_program_that_is_not_redirected_is_told_about_no_redirect() -> None:
    result = mockrt_cli("diagnose", "--json", "--", "sh", "-c", 'test -z "$OPENAI_BASE_URL"')
    assert result.returncode == 1  # no traffic is never conformant; the program itself exited 0
    assert json.loads(result.stdout)["run"]["returncode"] == 0  # OPENAI_BASE_URL was not set
    notes = {n["title"]: n["detail"] for n in json.loads(result.stdout)["notes"]}
    assert "rerun with --no-redirect, which sets OPENAI_BASE_URL" in notes["Nothing was redirected"]

"""The client matrix end to end: ``mockrt conformance --client all`` against the in-process mock
(one shared run of every driver on three client cases, through the CLI), the verdicts issue 11
asks for, a client case with faults, the pacing check on a real socket, and the report."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from conformance.clientcases import load_client_cases, select_client_cases
from conformance.clients import drivers
from conformance.matrix import load_driver, run_cell, run_matrix
from conformance.targets import parse_target
from mockrt.cli.main import main

SHARED_CASES = ["C1", "C5", "C9"]
RULE = "sent session.update with session.type 'realtime' on a transcription session"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of every driver on the shared cases through the CLI, with its report folder."""
    folder = tmp_path_factory.mktemp("matrix")
    argv = ["conformance", "--client", "all", "--report", str(folder), "--jobs", "3"]
    for case in SHARED_CASES:
        argv += ["--client-cases", case]
    code = main(argv)
    data: dict[str, Any] = json.loads((folder / "report.json").read_text())
    data["exit_code"] = code
    data["folder"] = folder
    return data


def verdicts(report: dict[str, Any], case: str) -> dict[str, tuple[str, str]]:
    return {
        r["client"]: (r["verdict"], r["reason"]) for r in report["results"] if r["case"] == case
    }


def test_the_cli_runs_every_driver_on_every_chosen_case_and_exits_1_on_a_failure(
    report: dict[str, Any],
) -> None:
    cells = {(r["client"], r["case"]) for r in report["results"]}
    assert cells == {(name, case) for name in drivers() for case in SHARED_CASES}
    assert report["exit_code"] == 1
    for result in report["results"]:
        assert {"client", "case", "target", "verdict", "reason"} <= set(result)
        assert result["target"] == "mock" and result["reason"]
        assert (report["folder"] / result["wire_log"]).is_file()


def test_the_agents_runner_on_the_transcription_intent_fails_for_its_realtime_update(
    report: dict[str, Any],
) -> None:
    for case in SHARED_CASES:
        assert verdicts(report, case)["agents-runner-intent"] == ("FAILED", RULE)


def test_the_clients_that_speak_transcription_right_are_ok_on_the_plain_case(
    report: dict[str, Any],
) -> None:
    seen = verdicts(report, "C1")
    for name in ("agents-voice-stt", "openai-sdk", "raw-ga", "pipecat", "livekit"):
        assert seen[name] == ("OK", "as expected"), name


def test_raw_beta_fails_on_the_default_persona_for_the_beta_shutdown(
    report: dict[str, Any],
) -> None:
    verdict, reason = verdicts(report, "C1")["raw-beta"]
    assert verdict == "FAILED"
    assert "beta_api_shape_disabled" in reason


def test_the_agents_runner_with_its_defaults_fails_for_opening_a_conversation_session(
    report: dict[str, Any],
) -> None:
    verdict, reason = verdicts(report, "C1")["agents-runner-default"]
    assert verdict == "FAILED"
    assert reason.startswith("opened a realtime session, not a transcription session")


def test_a_server_error_event_sorts_the_clients_that_survive_it_from_those_that_stop(
    report: dict[str, Any],
) -> None:
    seen = verdicts(report, "C5")
    assert seen["raw-ga"][0] == "OK" and seen["openai-sdk"][0] == "OK"
    assert seen["agents-voice-stt"][0] == "FAILED"
    assert "raised STTWebsocketConnectionError" in seen["agents-voice-stt"][1]
    for name in ("livekit", "pipecat"):
        verdict, reason = seen[name]
        assert verdict == "FAILED" and "server_error" in reason, (name, reason)


async def test_raw_beta_is_ok_on_the_beta_persona() -> None:
    (cell,) = await run_matrix(
        [drivers()["raw-beta"]],
        select_client_cases(load_client_cases(), ["C1"]),
        parse_target("mock", persona="beta"),
    )
    assert (cell.verdict.verdict, cell.verdict.reason) == ("OK", "as expected")
    assert cell.records and cell.records[1]["event"]["type"] == "transcription_session.update"


async def test_duplicated_and_reordered_completions_make_a_raw_client_non_strict() -> None:
    cells = await run_matrix(
        [drivers()["raw-ga"]],
        select_client_cases(load_client_cases(), ["C3", "C7"]),
        parse_target("mock"),
    )
    got = {c.case.id: (c.verdict.verdict, c.verdict.reason) for c in cells}
    assert got["C3"] == (
        "NON-STRICT",
        "showed the transcripts in completion order, not speech order",
    )
    assert got["C7"] == ("NON-STRICT", "showed 'Hello from the mock server.' more than once")


MISLABELLED = '''
"""A driver in one file: raw websockets streaming 16 kHz audio in real time, declared 24 kHz."""
import asyncio, base64, json

from conformance.clients.base import Recorder

NAME = "sixteen-as-24"
LIBRARY = "websockets"
SUMMARY = "16 kHz audio declared as audio/pcm 24 kHz, paced in real time"


async def run(target, audio, plan):
    from websockets.asyncio.client import connect

    rec = Recorder(NAME, target)
    async with connect(target.transcription_url, additional_headers=target.headers) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "session.update", "session": {
            "type": "transcription", "audio": {"input": {
                "format": {"type": "audio/pcm", "rate": 24000},
                "transcription": {"model": plan.model}}}}}))
        chunk = bytes(16_000 * 2 // 10)  # 100 ms at 16 kHz
        for _ in range(14):
            await ws.send(json.dumps({"type": "input_audio_buffer.append",
                                      "audio": base64.b64encode(chunk).decode()}))
            await asyncio.sleep(0.1)
    return rec.finish()
'''


async def test_16_khz_audio_declared_as_24_khz_fails_from_the_arrival_times(
    tmp_path: Path,
) -> None:
    path = tmp_path / "sixteen.py"
    path.write_text(textwrap.dedent(MISLABELLED))
    driver = load_driver(str(path))
    (case,) = select_client_cases(load_client_cases(), ["C1"])
    cell = await run_cell(driver, case, parse_target("mock"))
    assert cell.verdict.verdict == "FAILED"
    assert "16 kHz audio declared as 24 kHz" in cell.verdict.reason
    assert [v.rule for v in cell.verdict.violations] == ["client:audio-pacing"]


def test_an_unknown_client_is_refused_with_the_known_names(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["conformance", "--client", "nope"]) == 2
    assert "unknown client 'nope'; known: agents-runner-default" in capsys.readouterr().err


def a_browser() -> str:
    """Debian's chromium: installed here when missing and running as root; else a skip that
    says why."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None and hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "chromium"]
        if subprocess.run(install, env=env, capture_output=True, timeout=900).returncode != 0:
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, timeout=600)
            subprocess.run(install, env=env, capture_output=True, timeout=900)
        found = shutil.which("chromium")
    if found is None:
        pytest.skip("no chromium, and it cannot be installed here (apt-get as root is needed)")
    return found


def render(browser: str, url: str, profile: Path, *extra: str) -> str:
    """The DOM of ``url`` after Chromium loaded it headless (a fresh profile, no network)."""
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
    ]
    done = subprocess.run(
        [browser, *flags, *extra, "--dump-dom", url], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class Page(HTMLParser):
    """The matrix table's rows (cell texts) and links, and the text of ``<pre id="wire">``."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.links: list[str] = []
        self.wire = ""
        self._where: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table":
            self._where.append(found.get("id") or "")
        elif tag == "tr" and self._where[-1:] == ["matrix"]:
            self.rows.append([])
        elif tag == "a" and self._where[-1:] == ["matrix"] and found.get("href"):
            self.links.append(str(found["href"]))
        elif tag == "pre" and found.get("id") == "wire":
            self._where.append("wire")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("table", "pre") and self._where:
            self._where.pop()

    def handle_data(self, data: str) -> None:
        if self._where[-1:] == ["wire"]:
            self.wire += data
        elif self._where[-1:] == ["matrix"] and self.rows and data.strip():
            self.rows[-1].append(data.strip())


def test_the_html_report_opens_in_chromium_with_the_table_the_legend_and_linked_wire_logs(
    report: dict[str, Any], tmp_path: Path
) -> None:
    browser = a_browser()
    folder: Path = report["folder"]
    dom = render(browser, (folder / "index.html").as_uri(), tmp_path / "profile")
    page = Page()
    page.feed(dom)
    assert page.rows[0] == ["client \\ case", *SHARED_CASES]
    table = {row[0]: row[1:] for row in page.rows[1:]}
    assert set(table) == set(drivers())
    assert table["agents-runner-intent"] == ["FAILED"] * 3
    assert table["raw-ga"][0] == "OK"
    assert 'id="legend"' in dom and "NON-STRICT" in dom and "UNIMPLEMENTED" in dom
    assert len(page.links) == len(drivers()) * len(SHARED_CASES)
    assert all((folder / link).is_file() for link in page.links)
    link = next(x for x in page.links if "agents-runner-intent--C1" in x)
    wire = Page()
    wire.feed(render(browser, (folder / link).as_uri(), tmp_path / "profile2"))
    assert f"verdict: FAILED: {RULE}" in wire.wire
    sent = [line for line in wire.wire.splitlines() if line.lstrip().startswith(">>")]
    assert any('"session": {"type": "realtime"' in line for line in sent), sent
    assert "Passing a realtime session update event to a transcription session" in wire.wire


STRICT = '''
"""A driver in one file whose application refuses any event type it does not know."""
import base64, json

from conformance.clients.base import Recorder

NAME = "strict-raw"
LIBRARY = "websockets"
SUMMARY = "raw websockets that raise on an unknown server event type"
KNOWN = {"session.created", "session.updated", "error"}


async def run(target, audio, plan):
    from websockets.asyncio.client import connect

    rec = Recorder(NAME, target)
    try:
        async with connect(target.transcription_url, additional_headers=target.headers) as ws:
            for _ in range(2):  # session.created, then whatever comes next
                event = json.loads(await ws.recv())
                if event["type"] not in KNOWN:
                    raise ValueError(f"unknown event type {event['type']}")
    except ValueError as exc:
        rec.exception(exc)
    return rec.finish()
'''


async def test_events_of_unknown_types_leave_a_raw_client_ok_and_fail_a_strict_one(
    tmp_path: Path,
) -> None:
    (case,) = select_client_cases(load_client_cases(), ["C11"])
    tolerant = await run_cell(drivers()["raw-ga"], case, parse_target("mock"))
    assert (tolerant.verdict.verdict, tolerant.verdict.reason) == ("OK", "as expected")
    assert tolerant.run.notes[-1] == (
        "the relay in front of the mock injected: session.future_capability, "
        "input_audio_buffer.future_signal"
    )
    path = tmp_path / "strict.py"
    path.write_text(textwrap.dedent(STRICT))
    strict = await run_cell(load_driver(str(path)), case, parse_target("mock"))
    assert strict.verdict.verdict == "FAILED"
    assert "raised ValueError: unknown event type session.future_capability" in (
        strict.verdict.reason
    )


def test_the_junit_xml_has_one_suite_per_client_and_a_failure_per_failed_cell(
    report: dict[str, Any],
) -> None:
    root = ET.parse(report["folder"] / "junit.xml").getroot()
    suites = {s.get("name", "").split(" ", 1)[1]: s for s in root.iter("testsuite")}
    assert set(suites) == {f"client {name}" for name in drivers()}
    intent = suites["client agents-runner-intent"]
    assert intent.get("failures") == str(len(SHARED_CASES))
    failure = intent.find("testcase/failure")
    assert failure is not None and failure.get("message") == RULE
    assert suites["client raw-ga"].get("failures") == "0"


async def test_a_url_target_runs_the_fault_free_cases_and_skips_the_rest() -> None:
    from mockrt.serve.testing import MockRealtimeServer

    first, fault = select_client_cases(load_client_cases(), ["C1", "C5"])
    async with MockRealtimeServer.from_options(script=first.script, speed=1.0) as server:
        cells = await run_matrix([drivers()["raw-ga"]], [first, fault], parse_target(server.url))
    got = {c.case.id: (c.verdict.verdict, c.verdict.reason) for c in cells}
    assert got["C1"] == (
        "OK",
        "as expected (no journal off the mock: the client checks did not run)",
    )
    assert got["C5"] == ("SKIPPED", "the case's faults play only on the mock")


def test_the_live_target_without_a_key_sends_nothing_and_says_so(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["conformance", "--client", "raw-ga", "--target", "live"]) == 0
    assert capsys.readouterr().out.startswith("SKIPPED: the live target needs OPENAI_API_KEY")

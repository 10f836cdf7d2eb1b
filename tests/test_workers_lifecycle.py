"""``mockrt serve --workers N`` starting and stopping: one ready line, SIGTERM stops every
worker, a dead worker stops the server with its name, a dead parent leaves no worker behind,
``--workers 1`` is one process. Real processes; every wait bounded; nothing timed."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mockrt.cli.main import build_parser, main
from tests.workers_procs import alive, children, serve, start, stop, wait_gone

linux_only = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="--workers needs Linux"
)


@linux_only
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_to_the_parent_stops_every_worker_and_exits_0(
    tmp_path: Path, sig: signal.Signals
) -> None:
    served = start("--workers", "2", stderr=tmp_path / "err.txt")
    workers = served.workers()
    try:
        assert len(workers) == 2
        assert served.proc.stdout is not None
        served.proc.send_signal(sig)
        assert served.proc.wait(timeout=30) == 0, served.errors()
        assert served.proc.stdout.read() == b""  # the ready line was the only line
        assert wait_gone(workers) == []
    finally:
        stop(served.proc)


@linux_only
def test_a_killed_worker_makes_the_parent_name_it_stop_the_other_and_exit_1(
    tmp_path: Path,
) -> None:
    served = start("--workers", "2", stderr=tmp_path / "err.txt")
    try:
        victim, other = served.workers()
        os.kill(victim, signal.SIGKILL)
        assert served.proc.wait(timeout=30) == 1
        assert wait_gone([other]) == []
        assert f"(pid {victim}) was killed by SIGKILL unexpectedly" in served.errors()
        assert "stopping the other workers" in served.errors()
    finally:
        stop(served.proc)


@linux_only
def test_workers_stop_when_their_parent_dies_without_a_word(tmp_path: Path) -> None:
    served = start("--workers", "2", stderr=tmp_path / "err.txt")
    workers = served.workers()
    try:
        served.proc.kill()  # SIGKILL: the parent cannot stop them; their stdin closes
        served.proc.wait(timeout=10)
        assert wait_gone(workers) == []
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        stop(served.proc)


@linux_only
def test_a_bad_script_is_refused_once_by_the_parent_before_any_worker_starts(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "no-such-script.yaml"
    result = subprocess.run(
        [sys.executable, "-m", "mockrt", "serve", "--port", "0", "--workers", "2", "--script",
         str(missing)],
        capture_output=True,
        text=True,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout == ""  # never ready
    assert result.stderr.count("mockrt serve:") == 1 and str(missing) in result.stderr
    assert "worker" not in result.stderr


@linux_only
def test_a_taken_port_is_refused_by_the_parent_before_any_worker_starts() -> None:
    with socket.socket() as taken:  # another program's listener holds the port
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "mockrt", "serve", "--port", str(port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot bind 127.0.0.1:{port}" in result.stderr
    assert "worker" not in result.stderr  # none was started


@linux_only
def test_a_port_served_by_other_workers_is_not_shared(tmp_path: Path) -> None:
    with serve("--workers", "2", stderr=tmp_path / "first.txt") as first:
        result = subprocess.run(
            [sys.executable, "-m", "mockrt", "serve", "--port", str(first.port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1
        assert f"cannot bind 127.0.0.1:{first.port}" in result.stderr
        assert "worker" not in result.stderr  # none was started
        assert len(first.workers()) == 2


def test_workers_1_is_one_process_that_never_loads_the_workers_machinery(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPROFILEIMPORTTIME": "1"}  # every import, on stderr
    err = tmp_path / "err.txt"
    with err.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mockrt", "serve", "--port", "0", "--workers", "1"],
            stdout=subprocess.PIPE,
            stderr=sink,
            stdin=subprocess.DEVNULL,
            env=env,
        )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(b"ws://127.0.0.1:")
        assert children(proc.pid) == []
    finally:
        assert stop(proc) == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in err.read_text().splitlines()}
    assert "mockrt.serve.server" in imported  # the probe sees the server's imports
    loaded = imported & {"mockrt.serve.workers", "mockrt.serve.fanout", "multiprocessing"}
    assert loaded == set()


def test_help_documents_workers_and_that_it_is_linux_only() -> None:
    serve = build_parser("serve")._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    text = " ".join(serve.format_help().split())
    assert "--workers N" in text and "Linux only" in text and "MOCKRT_WORKERS" in text


def test_workers_elsewhere_than_linux_say_so_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert main(["serve", "--port", "0", "--workers", "2"]) == 2
    assert "--workers needs Linux" in capsys.readouterr().err


def test_workers_below_1_are_refused() -> None:
    with pytest.raises(SystemExit, match="--workers must be >= 1"):
        main(["serve", "--workers", "0"])

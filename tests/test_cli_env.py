"""`mockrt serve` options from MOCKRT_* variables (flags win), `mockrt --version` from the
package metadata, lazy subcommand imports, and the warning for a non-loopback address."""

from __future__ import annotations

import logging
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest

import mockrt
from mockrt.cli.main import build_parser
from mockrt.cli.serve import _from_environment, env_name, warn_if_exposed

ROOT = Path(__file__).resolve().parents[1]

# (option, environment value, parsed value, flag value, parsed flag value)
OPTIONS: list[tuple[str, str, Any, str, Any]] = [
    ("--host", "0.0.0.0", "0.0.0.0", "127.0.0.2", "127.0.0.2"),
    ("--port", "9123", 9123, "0", 0),
    ("--journal", "j.jsonl", Path("j.jsonl"), "k.jsonl", Path("k.jsonl")),
    ("--log-level", "debug", "debug", "error", "error"),
    ("--script", "a.yaml", Path("a.yaml"), "b.yaml", Path("b.yaml")),
    ("--replay", "a.jsonl", Path("a.jsonl"), "b", Path("b")),
    ("--speed", "0", 0.0, "2.5", 2.5),
    ("--persona", "beta", "beta", "ga", "ga"),
    ("--rule-wording", "later", "later", "event", "event"),
    ("--model-with-intent", "at-handshake", "at-handshake", "after-update", "after-update"),
    ("--max-sessions", "7", 7, "3", 3),
    ("--max-journal-bytes", "1024", 1024, "2048", 2048),
    ("--workers", "2", 2, "1", 1),
]


def parse(*argv: str) -> Any:
    args = build_parser("serve").parse_args(["serve", *argv])
    _from_environment(args)
    return args


@pytest.mark.parametrize(("option", "env", "parsed", "flag", "flag_parsed"), OPTIONS)
def test_every_serve_option_comes_from_its_variable_and_the_flag_wins(
    monkeypatch: pytest.MonkeyPatch, option: str, env: str, parsed: Any, flag: str, flag_parsed: Any
) -> None:
    dest = option.lstrip("-").replace("-", "_")
    monkeypatch.setenv(env_name(option), env)
    assert getattr(parse(), dest) == parsed
    assert getattr(parse(option, flag), dest) == flag_parsed


def test_serve_has_no_option_without_a_variable() -> None:
    serve = build_parser("serve")._subparsers._group_actions[0].choices["serve"]  # type: ignore[union-attr]
    options = {a.option_strings[0] for a in serve._actions if a.option_strings} - {"-h"}
    assert options == {option for option, *_ in OPTIONS} | {"--api-key"}
    assert all(env_name(option) in serve.format_help() for option in options)


def test_api_keys_come_comma_separated_from_the_variable_and_flags_win(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MOCKRT_API_KEY", "sk-one, sk-two")
    assert parse().api_keys == ["sk-one", "sk-two"]
    assert parse("--api-key", "sk-flag").api_keys == ["sk-flag"]


def test_a_bad_choice_in_a_variable_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKRT_PERSONA", "gamma")
    with pytest.raises(SystemExit, match="MOCKRT_PERSONA='gamma' is not one of ga, beta"):
        parse()


def test_version_comes_from_the_package_metadata() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mockrt", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"mockrt {version('mockrt')}"
    assert mockrt.__version__ == version("mockrt")


LOADED = "import sys; print(sorted(m for m in sys.modules if m in {}))".format(
    {"aiohttp", "mockrt.cli.serve", "mockrt.cli.diagnose", "mockrt.cli.schemas", "pydantic"}
)


def test_version_and_help_import_no_command_and_no_aiohttp() -> None:
    code = (
        "from mockrt.cli.main import main\n"
        f"try: main(['--version'])\nexcept SystemExit: pass\n{LOADED}"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_a_command_imports_only_its_module(tmp_path: Path) -> None:
    journal = tmp_path / "empty.jsonl"
    journal.write_text("")
    code = (
        "from mockrt.cli.main import main\n"
        f"try: main(['validate', {str(journal)!r}])\nexcept SystemExit: pass\n{LOADED}"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "'mockrt.cli.schemas'" in out.stdout
    assert "aiohttp" not in out.stdout and "mockrt.cli.serve" not in out.stdout


def test_help_lists_every_command() -> None:
    text = build_parser("").format_help()
    assert all(name in text for name in ("serve", "diagnose", "validate", "schemas"))


@pytest.mark.parametrize(
    ("host", "warned"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True), ("::", True)],
)
def test_binding_beyond_loopback_is_allowed_with_a_warning(
    caplog: pytest.LogCaptureFixture, host: str, warned: bool
) -> None:
    with caplog.at_level(logging.WARNING, logger="mockrt"):
        assert warn_if_exposed(host, 8000, any_key=True) is warned
    assert ("other machines can reach the mock" in caplog.text) is warned
    assert ("set --api-key" in caplog.text) is warned


def test_against_sdk_without_openai_says_what_to_install() -> None:
    code = (
        "import sys; sys.modules['openai'] = None\n"
        "from mockrt.cli.main import main\n"
        "raise SystemExit(main(['schemas', 'check', '--against-sdk']))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    pyproject = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    (pin,) = [
        r for r in pyproject["project"]["optional-dependencies"]["test"] if r.startswith("openai==")
    ]
    assert "openai is not installed" in out.stderr and f"'{pin}'" in out.stderr
    assert "Traceback" not in out.stderr


def test_script_check_validates_files_without_a_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockrt.cli.main import main

    good = ROOT / "examples" / "scripts" / "hello.yaml"
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns:\n  - transcript: hi\n    deltas: 3\n")
    assert main(["script", "check", str(good)]) == 0
    assert capsys.readouterr().out == f"{good}: ok (2 turns)\n"
    assert main(["script", "check", str(good), str(bad)]) == 1
    assert capsys.readouterr().out.splitlines()[1].startswith(f"{bad}:3: turns[0].deltas: ")


def test_example_scripts_name_the_script_schema_for_editors() -> None:
    for path in (ROOT / "examples" / "scripts").glob("*.yaml"):
        first = path.read_text().splitlines()[0]
        assert first == "# yaml-language-server: $schema=../../mockrt/data/script.schema.json"
        assert (path.parent / first.split("=", 1)[1]).resolve().is_file()

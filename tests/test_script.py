"""Scripts: loading, error reporting, deltas, logprobs, usage, languages, matching, faults."""

from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
import textwrap
import typing
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from mockrt.cli.main import main
from mockrt.contract.scriptfile import load_script, parse_script, script_schema
from mockrt.contract.scriptmodel import render_script_schema
from mockrt.core import server_events
from mockrt.core.exceptions import MockRTError
from mockrt.core.script import (
    DEFAULT_SCRIPT,
    Close,
    Delay,
    Deltas,
    Drop,
    Duplicate,
    InjectError,
    Pieces,
    Script,
    ScriptError,
    Turn,
    TurnRequest,
)
from mockrt.core.server_events import LogProb, TranscriptionError, UsageDuration, UsageTokens
from mockrt.core.transcriber import (
    DEFAULT_BETWEEN_DELTAS_MS,
    DEFAULT_COMPLETED_MS,
    DEFAULT_FIRST_DELTA_MS,
    ScriptedTranscriber,
    TurnPlan,
    auto_logprobs,
    plan_turn,
    split_deltas,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "scripts"


def request(
    index: int = 1,
    *,
    duration_ms: float = 1240.0,
    speech_ms: float | None = None,
    model: str | None = "gpt-4o-transcribe",
    language: str | None = None,
    include_logprobs: bool = False,
) -> TurnRequest:
    return TurnRequest(
        index=index,
        item_id=f"item_{index:04d}",
        duration_ms=duration_ms,
        speech_ms=duration_ms if speech_ms is None else speech_ms,
        model=model,
        language=language,
        include_logprobs=include_logprobs,
    )


def write(tmp_path: Path, text: str, name: str = "script.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def script_of(text: str) -> Script:
    return parse_script(yaml.safe_load(textwrap.dedent(text)))


# --- examples and the schema ----------------------------------------------------------------------


def test_hello_example_loads_two_turns_and_the_second_has_explicit_logprobs() -> None:
    script = load_script(EXAMPLES / "hello.yaml")
    assert [t.transcript for t in script.turns] == [
        "Hello there, how can I help?",
        "I'd like to check my order.",
    ]
    assert script.turns[0].logprobs is None
    logprobs = script.turns[1].logprobs
    assert logprobs is not None and len(logprobs) == 3
    assert [p.token for p in logprobs[1]] == [" to", " check"]


def test_faults_example_loads_a_failing_turn_and_session_faults() -> None:
    script = load_script(EXAMPLES / "faults.yaml")
    assert script.turns[1].failure == TranscriptionError(
        type="server_error", code="transcription_failed", message="Audio could not be transcribed."
    )
    assert {type(f) for f in script.faults} == {Drop, Duplicate, Delay, Close}
    assert isinstance(script.turns[2].faults[0], InjectError)


def test_the_script_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(script_schema())
    assert script_schema()["$id"] == "urn:mockrt:script"


def test_the_shipped_script_schema_is_the_one_the_model_generates() -> None:
    shipped = (ROOT / "mockrt" / "data" / "script.schema.json").read_text(encoding="utf-8")
    assert shipped == render_script_schema(), "regenerate: mockrt script schema > <that file>"


def test_mockrt_script_schema_prints_the_schema_and_check_finds_a_stale_copy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["script", "schema"]) == 0
    printed = capsys.readouterr().out
    assert printed == render_script_schema()
    copy = tmp_path / "script.schema.json"
    copy.write_text(printed.replace("1-based", "0-based"), encoding="utf-8")
    assert main(["script", "schema", "--check", str(copy)]) == 1
    assert "stale; regenerate: mockrt script schema >" in capsys.readouterr().out
    copy.write_text(printed, encoding="utf-8")
    assert main(["script", "schema", "--check", str(copy)]) == 0
    assert main(["script", "schema", "--check"]) == 0


# Rules JSON Schema cannot say: they live in the model's validators, not in the schema.
VALIDATOR_ONLY = {
    "deltas-not-concatenating",
    "explicit-logprobs-without-deltas",
    "logprobs-count",
    "logprob-token-not-the-delta",
    "match-min-above-max",
    "close-reason-too-long",
    "duplicate-key",
}


def test_editors_checking_with_the_schema_accept_the_examples() -> None:
    validator = Draft202012Validator(script_schema())
    for path in sorted(EXAMPLES.glob("*.yaml")):
        assert not list(validator.iter_errors(yaml.safe_load(path.read_text("utf-8")))), path


def test_fault_event_types_cover_every_server_event_mockrt_models() -> None:
    union = typing.get_args(typing.get_args(server_events.ServerEvent)[0])
    modelled = {model.model_fields["type"].default for model in union}
    allowed = set(script_schema()["$defs"]["event_type"]["enum"])
    assert modelled <= allowed


def test_the_script_module_imports_no_io_clock_or_randomness() -> None:
    tree = ast.parse((ROOT / "mockrt" / "core" / "script.py").read_text(encoding="utf-8"))
    imported = {
        name.split(".")[0]
        for node in ast.walk(tree)
        for name in (
            [a.name for a in node.names]
            if isinstance(node, ast.Import)
            else [node.module or ""]
            if isinstance(node, ast.ImportFrom)
            else []
        )
    }
    banned = {"aiohttp", "websockets", "asyncio", "socket", "random", "secrets", "time", "datetime"}
    assert not imported & banned
    code = (
        "import sys, mockrt.core.script; "
        "print(sorted(set(sys.modules) & {'aiohttp', 'websockets'}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- errors name file, line and field -------------------------------------------------------------

BAD_SCRIPTS = {
    "unknown-turn-field": (
        """
        turns:
          - transcript: hi
            transcrpt: typo
        """,
        3,
        "turns[0].transcrpt",
        "unknown field",
    ),
    "turn-without-transcript": (
        """
        turns:
          - transcript: hi
          - deltas: words
        """,
        3,
        "turns[1]",
        "a turn needs 'transcript' (or 'fail')",
    ),
    "fail-with-transcript": (
        """
        turns:
          - fail: {message: "gone"}
            transcript: hi
        """,
        3,
        "turns[0].transcript",
        "not allowed in a turn with 'fail'",
    ),
    "pieces-zero": (
        """
        turns:
          - transcript: hi
            deltas: {pieces: 0}
        """,
        3,
        "turns[0].deltas.pieces",
        "less than the minimum of 1",
    ),
    "delta-list-with-a-number": (
        """
        turns:
          - transcript: hi
            deltas:
              - h
              - 5
        """,
        5,
        "turns[0].deltas[1]",
        "is not of type 'string'",
    ),
    "deltas-not-concatenating": (
        """
        turns:
          - transcript: Hello there
            deltas: [Hello, there]
        """,
        3,
        "turns[0].deltas",
        "deltas concatenate to 'Hellothere', not the transcript 'Hello there'",
    ),
    "explicit-logprobs-without-deltas": (
        """
        turns:
          - transcript: a b
            logprobs: [{logprob: -1}, {logprob: -1}]
        """,
        3,
        "turns[0].logprobs",
        "explicit logprobs need 'deltas'",
    ),
    "logprobs-count": (
        """
        turns:
          - transcript: a b
            deltas: words
            logprobs: [{logprob: -1}]
        """,
        4,
        "turns[0].logprobs",
        "1 entries for 2 deltas",
    ),
    "logprob-token-not-the-delta": (
        """
        turns:
          - transcript: a b
            deltas: words
            logprobs:
              - {logprob: -1}
              - {token: " c", logprob: -1}
        """,
        6,
        "turns[0].logprobs[1].token",
        "do not spell the delta ' b'",
    ),
    "positive-logprob": (
        """
        turns:
          - transcript: a
            deltas: whole
            logprobs: [{logprob: 0.5}]
        """,
        4,
        "turns[0].logprobs[0].logprob",
        "greater than the maximum of 0",
    ),
    "match-min-above-max": (
        """
        turns:
          - transcript: hi
            match: {min_duration_ms: 900, max_duration_ms: 500}
        """,
        3,
        "turns[0].match.min_duration_ms",
        "900 is above max_duration_ms 500",
    ),
    "language-and-languages": (
        """
        turns:
          - transcript: hi
            language: en
            languages: [fr]
        """,
        2,
        "turns[0]",
        "set 'language' or 'languages', not both",
    ),
    "yaml-boolean": (
        """
        turns:
          - transcript: hi
            language: no
        """,
        3,
        "turns[0].language",
        "quote it",
    ),
    "usage-missing-output-tokens": (
        """
        turns:
          - transcript: hi
            usage: {type: tokens, input_tokens: 1}
        """,
        3,
        "turns[0].usage.output_tokens",
        "required field is missing",
    ),
    "close-code-out-of-range": (
        """
        faults:
          - {close: {code: 2000}, after_event: 3}
        """,
        2,
        "faults[0].close.code",
        "1000-1003, 1007-1014 or 3000-4999",
    ),
    "close-reason-too-long": (
        f"""
        faults:
          - {{close: {{code: 1000, reason: "{"é" * 62}"}}, at_turn: 1}}
        """,
        2,
        "faults[0].close.reason",
        "124 bytes of UTF-8",
    ),
    "close-without-when": (
        """
        faults:
          - close: {code: 1000}
        """,
        2,
        "faults[0]",
        "exactly one of 'at_turn'",
    ),
    "close-with-both-whens": (
        """
        faults:
          - {close: {code: 1000}, at_turn: 1, after_event: 4}
        """,
        2,
        "faults[0]",
        "exactly one of 'at_turn'",
    ),
    "delay-without-ms": (
        """
        faults:
          - {delay: error}
        """,
        2,
        "faults[0].ms",
        "required field is missing",
    ),
    "unknown-event-type": (
        """
        faults:
          - drop: conversation.item.dne
        """,
        2,
        "faults[0].drop",
        "'conversation.item.dne' is not one of",
    ),
    "two-fault-kinds": (
        """
        faults:
          - {drop: error, duplicate: error}
        """,
        2,
        "faults[0]",
        "a fault has exactly one of",
    ),
    "turn-fault-with-turn": (
        """
        turns:
          - transcript: hi
            faults:
              - {drop: error, turn: 2}
        """,
        4,
        "turns[0].faults[0].turn",
        "unknown field",
    ),
    "unknown-top-level-key": (
        """
        model_usage: auto
        turn: []
        """,
        2,
        "turn",
        "unknown field; expected one of: model_usage, latency_ms, turns, faults",
    ),
    "not-a-mapping": (
        """
        - transcript: hi
        """,
        1,
        "(root)",
        "a script is a mapping",
    ),
    "duplicate-key": (
        """
        turns:
          - transcript: hi
            transcript: ho
        """,
        3,
        "turns[0].transcript",
        "duplicate key",
    ),
}


@pytest.mark.parametrize(
    ("text", "line", "field", "fragment"), list(BAD_SCRIPTS.values()), ids=list(BAD_SCRIPTS)
)
def test_a_bad_script_reports_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    error = caught.value
    assert (error.source, error.line, error.field) == (str(path), line, field)
    assert str(error).startswith(f"{path}:{line}: {field}: ")
    assert fragment in error.reason


@pytest.mark.parametrize("name", sorted(set(BAD_SCRIPTS) - VALIDATOR_ONLY))
def test_the_json_schema_rejects_every_bad_script_it_can_describe(name: str) -> None:
    data = yaml.safe_load(textwrap.dedent(BAD_SCRIPTS[name][0]))
    assert list(Draft202012Validator(script_schema()).iter_errors(data))


@pytest.mark.parametrize("name", sorted(VALIDATOR_ONLY - {"duplicate-key"}))
def test_rules_the_json_schema_cannot_say_are_the_model_validators(name: str) -> None:
    data = yaml.safe_load(textwrap.dedent(BAD_SCRIPTS[name][0]))
    assert not list(Draft202012Validator(script_schema()).iter_errors(data))
    with pytest.raises(ScriptError):
        parse_script(data)


@pytest.mark.parametrize("turns_before", [0, 1, 4])
def test_a_bad_deltas_value_on_line_n_is_reported_on_line_n(
    tmp_path: Path, turns_before: int
) -> None:
    lines = ["# a comment", "turns:"]
    lines += [f"  - transcript: turn {i}" for i in range(turns_before)]
    lines += ["  - transcript: hello there", "    deltas: wordz"]
    path = tmp_path / "script.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert str(caught.value) == (
        f"{path}:{len(lines)}: turns[{turns_before}].deltas: expected 'words', 'characters', "
        "'whole', {pieces: n} or a list of strings"
    )


def test_json_scripts_report_lines_too(tmp_path: Path) -> None:
    text = """{
      "turns": [
        {"transcript": "a\\/b"},
        {"transcript": "hi",
         "deltas": 3}
      ]
    }"""
    path = write(tmp_path, text, "script.json")
    with pytest.raises(ScriptError, match=r"script\.json:5: turns\[1\]\.deltas: expected"):
        load_script(path)


def test_a_valid_json_script_loads_exactly_as_json_reads_it(tmp_path: Path) -> None:
    path = write(tmp_path, '{"turns": [{"transcript": "a\\/b\\u00e9"}]}', "script.json")
    assert load_script(path).turns[0].transcript == "a/bé"


def test_a_broken_json_file_reports_the_decoder_line(tmp_path: Path) -> None:
    path = write(tmp_path, '{\n  "turns": [,\n}\n', "script.json")
    with pytest.raises(ScriptError, match=r"script\.json:2: Expecting value"):
        load_script(path)


def test_yaml_syntax_errors_name_the_line_and_where_the_construct_began(tmp_path: Path) -> None:
    path = write(tmp_path, 'turns:\n  - transcript: "hi\n    deltas: words\n')
    with pytest.raises(ScriptError) as caught:
        load_script(path)
    assert caught.value.line == 4
    assert "while scanning a quoted scalar from line 2" in caught.value.reason


def test_parse_script_errors_name_the_source_and_field_without_a_line() -> None:
    with pytest.raises(ScriptError) as caught:
        parse_script({"turns": [{"transcript": "a", "deltas": ["b"]}]}, source="inline")
    assert caught.value.line is None
    assert str(caught.value).startswith("inline: turns[0].deltas: deltas concatenate to 'b'")


def test_a_missing_file_raises_a_script_error_which_is_a_mockrt_error(tmp_path: Path) -> None:
    with pytest.raises(MockRTError, match="cannot read the script"):
        load_script(tmp_path / "nope.yaml")


# --- deltas ---------------------------------------------------------------------------------------

modes = st.one_of(
    st.sampled_from(["words", "characters", "whole"]),
    st.integers(min_value=1, max_value=50).map(Pieces),
)


@settings(max_examples=300)
@given(text=st.text(max_size=80), mode=modes)
def test_every_delta_mode_concatenates_to_the_transcript(text: str, mode: Deltas) -> None:
    deltas = split_deltas(text, mode)
    assert "".join(deltas) == text
    assert all(deltas)


@settings(max_examples=200)
@given(text=st.text(min_size=1, max_size=80), count=st.integers(min_value=1, max_value=100))
def test_pieces_are_near_equal_and_never_more_than_the_characters(text: str, count: int) -> None:
    deltas = split_deltas(text, Pieces(count))
    assert len(deltas) == min(count, len(text))
    assert max(map(len, deltas)) - min(map(len, deltas)) <= 1


@settings(max_examples=100)
@given(parts=st.lists(st.text(max_size=8), max_size=10))
def test_any_explicit_split_that_concatenates_is_accepted_and_replayed(parts: list[str]) -> None:
    script = parse_script({"turns": [{"transcript": "".join(parts), "deltas": parts}]})
    assert ScriptedTranscriber(script).transcribe(request()).deltas == tuple(parts)


def test_words_keep_their_leading_whitespace() -> None:
    assert split_deltas("Hello there,  how\tare you? ", "words") == (
        "Hello",
        " there,",
        "  how",
        "\tare",
        " you?",
        " ",
    )


def test_whisper_1_sends_the_whole_transcript_in_one_delta_unless_the_turn_says_otherwise() -> None:
    script = script_of("""
        turns:
          - transcript: Hello there.
          - transcript: Hello there.
            deltas: words
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(model="whisper-1")).deltas == ("Hello there.",)
    assert transcriber.transcribe(request(2, model="whisper-1")).deltas == ("Hello", " there.")
    assert plan_turn(request(model="gpt-4o-transcribe"), script.turns[0]).deltas == (
        "Hello",
        " there.",
    )


def test_an_empty_transcript_has_no_deltas() -> None:
    plan = plan_turn(request(), Turn(transcript=""))
    assert (plan.transcript, plan.deltas) == ("", ())


def test_a_turn_or_plan_refuses_deltas_that_do_not_concatenate() -> None:
    with pytest.raises(ScriptError, match="not the transcript 'ab'"):
        Turn(transcript="ab", deltas=("a", "c"))
    plan = plan_turn(request(), Turn(transcript="ab"))
    with pytest.raises(ScriptError, match="not the transcript"):
        dataclasses.replace(plan, deltas=("a",))


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        ("whisper-1", "duration"),
        ("gpt-live-transcribe", "duration"),
        ("gpt-realtime-whisper", "duration"),
        ("gpt-4o-transcribe", "tokens"),
        ("gpt-4o-mini-transcribe", "tokens"),
        ("gpt-4o-mini-transcribe-2025-12-15", "tokens"),
        ("gpt-4o-transcribe-diarize", "tokens"),
        ("gpt-transcribe", "tokens"),
    ],
)
def test_usage_follows_the_model_family(model: str, kind: str) -> None:
    assert plan_turn(request(model=model), None).usage.type == kind


@pytest.mark.parametrize(
    ("duration_ms", "seconds"),
    [(0.0, 0), (1.0, 1), (1000.0, 1), (1000.0000001, 1), (1000.5, 2), (5058.0, 6), (6802.0, 7)],
)
def test_duration_usage_is_the_ceiling_of_the_committed_seconds(
    duration_ms: float, seconds: int
) -> None:
    usage = plan_turn(request(duration_ms=duration_ms, model="gpt-live-transcribe"), None).usage
    assert usage == UsageDuration(seconds=seconds)


def test_token_usage_is_a_deterministic_estimate_from_audio_and_text() -> None:
    plan = plan_turn(request(duration_ms=1240.0), Turn(transcript="Hello there, friend."))
    assert plan.usage == UsageTokens(
        input_tokens=13,
        output_tokens=5,  # Hello there , friend .
        total_tokens=18,
        input_token_details={"audio_tokens": 13, "text_tokens": 0},
    )


def test_model_usage_in_the_script_forces_one_kind() -> None:
    script = script_of("model_usage: duration")
    assert ScriptedTranscriber(script).transcribe(request()).usage == UsageDuration(seconds=2)


def test_a_turn_usage_overrides_the_estimate_and_total_defaults_to_the_sum() -> None:
    script = script_of("""
        turns:
          - {transcript: a, usage: {type: tokens, input_tokens: 12, output_tokens: 7}}
          - {transcript: b, usage: {type: duration, seconds: 2.5}}
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(model="whisper-1")).usage == UsageTokens(
        input_tokens=12, output_tokens=7, total_tokens=19
    )
    assert transcriber.transcribe(request(2)).usage == UsageDuration(seconds=2.5)


# --- logprobs -------------------------------------------------------------------------------------


def test_logprobs_are_absent_unless_the_session_asks_for_them() -> None:
    script = load_script(EXAMPLES / "hello.yaml")
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request()).logprobs is None
    assert transcriber.transcribe(request(2)).logprobs is None
    assert transcriber.transcribe(request(3)).logprobs is None


@settings(max_examples=100)
@given(text=st.text(max_size=60))
def test_auto_logprobs_give_one_deterministic_value_per_delta(text: str) -> None:
    plan = plan_turn(request(include_logprobs=True), Turn(transcript=text))
    assert plan.logprobs is not None
    assert len(plan.logprobs) == len(plan.deltas)
    for delta, (logprob,) in zip(plan.deltas, plan.logprobs, strict=True):
        assert logprob.token == delta
        assert logprob.bytes == list(delta.encode())
        assert -2.0 <= logprob.logprob < 0.0
    assert auto_logprobs(plan.deltas) == plan.logprobs


def test_explicit_logprobs_are_sent_per_delta_when_asked() -> None:
    transcriber = ScriptedTranscriber(load_script(EXAMPLES / "hello.yaml"))
    transcriber.transcribe(request(include_logprobs=True))
    plan = transcriber.transcribe(request(2, include_logprobs=True))
    assert plan.logprobs == (
        (LogProb(token="I'd like", bytes=list(b"I'd like"), logprob=-0.12),),
        (
            LogProb(token=" to", bytes=list(b" to"), logprob=-0.01),
            LogProb(token=" check", bytes=list(b" check"), logprob=-0.35),
        ),
        (LogProb(token=" my order.", bytes=list(b" my order."), logprob=-0.08),),
    )


# --- languages, default text, latency, failures ---------------------------------------------------


@pytest.mark.parametrize(
    ("model", "languages"),
    [("gpt-transcribe", ("de",)), ("gpt-live-transcribe", None), ("whisper-1", None)],
)
def test_only_gpt_transcribe_reports_languages(
    model: str, languages: tuple[str, ...] | None
) -> None:
    plan = plan_turn(request(model=model), Turn(transcript="Hallo.", languages=("de",)))
    assert plan.languages == languages


def test_languages_come_from_the_turn_then_the_session_then_english() -> None:
    script = script_of("""
        turns:
          - {transcript: Bonjour., language: fr}
          - {transcript: "?", languages: []}
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(model="gpt-transcribe", language="de")).languages == (
        "fr",
    )
    assert transcriber.transcribe(request(2, model="gpt-transcribe")).languages == ()
    assert transcriber.transcribe(request(3, model="gpt-transcribe", language="de")).languages == (
        "de",
    )
    assert transcriber.transcribe(request(4, model="gpt-transcribe")).languages == ("en",)


def test_the_default_text_names_the_turn_and_its_seconds_of_speech() -> None:
    plan = ScriptedTranscriber().transcribe(request(1, duration_ms=3000.0, speech_ms=1237.0))
    assert plan.transcript == "turn 1: 1.24 s of speech"
    assert plan.deltas == ("turn", " 1:", " 1.24", " s", " of", " speech")
    assert plan.failure is None and plan.faults == ()


def test_the_default_script_serves_every_turn() -> None:
    transcriber = ScriptedTranscriber(DEFAULT_SCRIPT)
    plans = [transcriber.transcribe(request(i, duration_ms=500.0 * i)) for i in range(1, 4)]
    assert [p.transcript for p in plans] == [
        "turn 1: 0.50 s of speech",
        "turn 2: 1.00 s of speech",
        "turn 3: 1.50 s of speech",
    ]
    assert transcriber.unused_turns == []


def test_latency_falls_back_from_turn_to_script_to_module_defaults() -> None:
    script = script_of("""
        latency_ms: {between_deltas: 10}
        turns:
          - {transcript: a b c, latency_ms: {first_delta: 100}}
        """)
    transcriber = ScriptedTranscriber(script)
    scripted, default = transcriber.transcribe(request()), transcriber.transcribe(request(2))
    assert (scripted.first_delta_ms, scripted.between_deltas_ms, scripted.completed_ms) == (
        100,
        10,
        DEFAULT_COMPLETED_MS,
    )
    assert (default.first_delta_ms, default.between_deltas_ms) == (DEFAULT_FIRST_DELTA_MS, 10)
    assert scripted.delta_offsets_ms == (100, 110, 120)
    assert scripted.final_offset_ms == 120 + DEFAULT_COMPLETED_MS


def test_default_pacing_lands_in_the_live_commit_to_completed_range() -> None:
    plan = ScriptedTranscriber().transcribe(request())
    assert plan.between_deltas_ms == DEFAULT_BETWEEN_DELTAS_MS
    assert 500 <= plan.final_offset_ms <= 800  # protocol.md §7: ~0.5-0.8 s


def test_a_failing_turn_plans_failed_with_no_deltas_logprobs_or_languages() -> None:
    script = script_of("""
        turns:
          - fail: {code: transcription_failed, message: Audio could not be transcribed.}
        """)
    plan = ScriptedTranscriber(script).transcribe(
        request(model="gpt-transcribe", include_logprobs=True)
    )
    assert plan.failure == TranscriptionError(
        code="transcription_failed", message="Audio could not be transcribed."
    )
    assert (plan.transcript, plan.deltas, plan.logprobs, plan.languages) == ("", (), None, None)
    assert plan.final_offset_ms == DEFAULT_FIRST_DELTA_MS + DEFAULT_COMPLETED_MS


# --- matching and unused turns --------------------------------------------------------------------


def test_a_turn_whose_match_does_not_fit_waits_for_a_later_request() -> None:
    script = script_of("""
        turns:
          - {transcript: long one, match: {min_duration_ms: 2000}}
          - {transcript: anything}
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(1, duration_ms=500.0)).transcript == "anything"
    assert transcriber.unused_turns == [0]
    assert transcriber.transcribe(request(2, duration_ms=2500.0)).transcript == "long one"
    assert transcriber.unused_turns == []


def test_a_request_no_scripted_turn_fits_gets_the_default_text() -> None:
    script = script_of("""
        turns:
          - {transcript: short, match: {max_duration_ms: 1000, min_speech_ms: 200}}
          - {transcript: mini, match: {model: [gpt-4o-mini-transcribe]}}
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(1, duration_ms=1500.0)).transcript.startswith("turn 1:")
    assert transcriber.transcribe(request(2, duration_ms=900.0, speech_ms=100.0)).transcript == (
        "turn 2: 0.10 s of speech"
    )
    assert transcriber.transcribe(request(3, duration_ms=900.0, speech_ms=300.0)).transcript == (
        "short"
    )
    assert transcriber.unused_turns == [1]
    mini = request(4, model="gpt-4o-mini-transcribe")
    assert transcriber.transcribe(mini).transcript == "mini"


def test_unused_turns_lists_script_positions_never_consumed() -> None:
    transcriber = ScriptedTranscriber(script_of("turns: [{transcript: a}, {transcript: b}]"))
    assert transcriber.unused_turns == [0, 1]
    transcriber.transcribe(request())
    assert transcriber.unused_turns == [1]


# --- faults ---------------------------------------------------------------------------------------


def test_turn_faults_are_bound_to_the_session_turn_that_consumed_them() -> None:
    script = script_of("""
        turns:
          - transcript: hi
            match: {min_duration_ms: 1000}
            faults:
              - {drop: conversation.item.done}
              - {delay: conversation.item.input_audio_transcription.delta, ms: 250}
              - {close: {code: 4000, reason: bye}, after: completed}
              - {inject_error: {type: server_error, message: boom}}
        """)
    transcriber = ScriptedTranscriber(script)
    assert transcriber.transcribe(request(1, duration_ms=100.0)).faults == ()
    faults = transcriber.transcribe(request(2)).faults
    assert faults[:3] == (
        Drop("conversation.item.done", turn=2),
        Delay("conversation.item.input_audio_transcription.delta", 250, turn=2),
        Close(4000, "bye", at_turn=2, after="completed"),
    )
    inject = faults[3]
    assert isinstance(inject, InjectError)
    assert (inject.at_turn, inject.after, inject.error.message) == (2, "committed", "boom")
    assert (inject.error.code, inject.error.param, inject.error.event_id) == (None, None, None)


def test_session_faults_parse_with_their_turns_and_full_event_type_aliases() -> None:
    script = script_of("""
        faults:
          - {duplicate: conversation.item.input_audio_transcription.completed, turn: 2}
          - {inject_error: {type: server_error, code: null, message: boom}, at_turn: 1,
             after: conversation.item.input_audio_transcription.delta}
          - {inject_error: {type: server_error, message: boom}, after_event: 3.0}
          - close: {code: 1011}
            at_turn: 3
            after: conversation.item.input_audio_transcription.failed
        """)
    duplicate, by_turn, by_event, close = script.faults
    assert duplicate == Duplicate("conversation.item.input_audio_transcription.completed", turn=2)
    assert isinstance(by_turn, InjectError) and (by_turn.at_turn, by_turn.after) == (
        1,
        "first_delta",
    )
    assert isinstance(by_event, InjectError) and by_event.after_event == 3
    assert type(by_event.after_event) is int
    assert close == Close(1011, "", at_turn=3, after="completed")


def test_a_turn_plan_checks_one_logprobs_entry_per_delta() -> None:
    with pytest.raises(ScriptError, match="1 logprobs entries for 2 deltas"):
        TurnPlan(
            transcript="a b",
            deltas=("a", " b"),
            logprobs=((LogProb(token="a", bytes=[97], logprob=-1.0),),),
            usage=UsageDuration(seconds=1),
            languages=None,
            failure=None,
            first_delta_ms=0,
            between_deltas_ms=0,
            completed_ms=0,
        )

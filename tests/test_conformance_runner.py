"""The sans-I/O parts of the suite: placeholder matching, the case runner driven by canned
replies (no socket), the invariant checks, and the live budget."""

from __future__ import annotations

import json
from typing import Any

import pytest

from conformance.actions import Close, Connect, Handshake, Outcome, Receive, Received, Send
from conformance.budget import PRICE_PER_MINUTE, estimate
from conformance.casefile import Case, Source, load_cases, select
from conformance.invariants import validate_records
from conformance.matching import match, substitute
from conformance.runner import case_steps, run_steps


def test_an_id_placeholder_binds_and_must_match_later() -> None:
    bound: dict[str, Any] = {}
    assert match({"item_id": "<id:a>"}, {"item_id": "item_1", "x": 1}, bound) is None
    assert bound == {"a": "item_1"}
    found = match({"previous_item_id": "<id:a>"}, {"previous_item_id": "item_2"}, bound)
    assert found is not None and found.pointer == "/previous_item_id"
    assert "item_1" in found.reason


def test_a_failed_match_rolls_back_its_bindings() -> None:
    bound: dict[str, Any] = {}
    assert match({"a": "<id:x>", "b": 2}, {"a": "v", "b": 3}, bound) is not None
    assert bound == {}


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        ("<int>", 3, True),
        ("<int>", 3.5, False),
        ("<int>", True, False),
        ("<ms:0..500>", 500, True),
        ("<ms:0..500>", 501, False),
        ("<ms:100..>", 10_000, True),
        ("<number>", 0.5, True),
        ("<str>", "", True),
        ("<str>", None, False),
        ("<any>", None, True),
        ("<prefix:sess_>", "sess_abc", True),
        ("<prefix:sess_>", "item_abc", False),
        ("<re:ek_[0-9a-f]{4}>", "ek_00af", True),
        ("<re:ek_[0-9a-f]{4}>", "ek_00afx", False),
        ({"<alt>": ["a", "b"]}, "b", True),
        ({"<alt>": ["a", "b"]}, "c", False),
        ([1, "<int>"], [1, 2], True),
        ([1, "<int>"], [1, 2, 3], False),
        (1, 1.0, True),
        (0.5, 0.5, True),
        ("x", "y", False),
    ],
)
def test_placeholders_match_their_class_of_values(expected: Any, actual: Any, ok: bool) -> None:
    assert (match(expected, actual, {}) is None) is ok


def test_absent_means_the_key_is_missing() -> None:
    assert match({"delay": "<absent>"}, {}, {}) is None
    assert match({"delay": "<absent>"}, {"delay": "low"}, {}) is not None
    assert match({"x": {"<alt>": ["<absent>", None]}}, {}, {}) is None
    assert match({"x": {"<alt>": ["<absent>", None]}}, {"x": None}, {}) is None
    assert match({"x": {"<alt>": ["<absent>", None]}}, {"x": 1}, {}) is not None


def test_substitute_sends_bound_ids_back() -> None:
    assert substitute({"auth": "<id:key>", "n": ["<id:other>"]}, {"key": "ek_1"}) == {
        "auth": "ek_1",
        "n": ["<id:other>"],
    }


def a_case(steps: list[dict[str, Any]]) -> Case:
    return Case(
        "9.99",
        "x is y",
        "9",
        "t",
        (Source("docs/protocol.md §6", "2026-11"),),
        "confirmed",
        tuple(steps),
    )


def drive(case: Case, replies: list[Any]) -> tuple[Outcome, list[Any]]:
    """Run the runner on canned replies; returns the outcome and the actions it took."""
    runner = run_steps(case_steps(case), {})
    actions = [next(runner)]
    try:
        for reply in replies:
            actions.append(runner.send(reply))
        while True:  # any remaining actions (the final close) need no reply
            actions.append(runner.send(None))
    except StopIteration as stop:
        return stop.value, actions


def frame(event: dict[str, Any]) -> Received:
    return Received("text", json.dumps(event))


def test_the_runner_connects_sends_and_matches_without_a_socket() -> None:
    case = a_case(
        [
            {"expect": [{"type": "session.created", "session": {"id": "<id:s>"}}]},
            {"send": {"type": "input_audio_buffer.clear"}},
            {"expect": [{"type": "input_audio_buffer.cleared"}]},
        ]
    )
    outcome, actions = drive(
        case,
        [
            Handshake(101),
            frame({"type": "session.created", "session": {"id": "sess_1"}}),
            None,
            frame({"type": "input_audio_buffer.cleared", "event_id": "event_1"}),
        ],
    )
    assert outcome.passed, outcome.mismatch
    assert isinstance(actions[0], Connect) and actions[0].query == {"intent": "transcription"}
    assert isinstance(actions[1], Receive)
    assert isinstance(actions[2], Send) and json.loads(actions[2].text or "")["type"] == (
        "input_audio_buffer.clear"
    )
    assert isinstance(actions[-1], Close)
    assert outcome.bindings == {"s": "sess_1"}
    assert [r["direction"] for r in outcome.wire] == ["server", "server", "client", "server"]


def test_the_first_mismatch_names_the_step_and_the_pointer() -> None:
    case = a_case([{"expect": [{"type": "error", "error": {"code": "invalid_value"}}]}])
    outcome, _ = drive(
        case,
        [
            Handshake(101),
            frame({"type": "error", "error": {"code": "unknown_parameter"}}),
        ],
    )
    assert not outcome.passed
    assert outcome.step == 1
    assert "/error/code: expected 'invalid_value', got 'unknown_parameter'" in outcome.mismatch


def test_a_refused_handshake_is_a_mismatch_and_marks_the_run_refused() -> None:
    case = a_case([{"expect": [{"type": "session.created"}]}])
    outcome, actions = drive(case, [Handshake(401, {"error": {"code": "invalid_api_key"}})])
    assert not outcome.passed and outcome.refused
    assert "handshake /status: expected 101, got 401" in outcome.mismatch
    assert not any(isinstance(a, Close) for a in actions)


def test_a_timeout_while_expecting_is_a_mismatch() -> None:
    case = a_case([{"expect": [{"type": "session.created"}], "timeout_ms": 50}])
    outcome, _ = drive(case, [Handshake(101), Received("timeout")])
    assert not outcome.passed and "no frame within 50 ms" in outcome.mismatch


def test_quiet_fails_on_any_frame_that_is_not_ignored() -> None:
    case = a_case([{"quiet": 100, "ignore": ["rate_limits.updated"]}])
    outcome, _ = drive(
        case,
        [
            Handshake(101),
            frame({"type": "rate_limits.updated"}),
            frame({"type": "conversation.created"}),
        ],
    )
    assert not outcome.passed and "expected no frame for 100 ms" in outcome.mismatch


def test_unordered_expectations_take_frames_in_any_order() -> None:
    case = a_case([{"expect": [{"type": "a"}, {"type": "b"}], "unordered": True}])
    outcome, _ = drive(case, [Handshake(101), frame({"type": "b"}), frame({"type": "a"})])
    assert outcome.passed


def test_expect_close_checks_code_and_reason() -> None:
    case = a_case([{"expect_close": {"code": 4000, "reason": "x"}}])
    outcome, _ = drive(case, [Handshake(101), Received("close", code=1000, reason="x")])
    assert not outcome.passed and "/code: expected 4000, got 1000" in outcome.mismatch


def test_audio_steps_send_appends_in_chunks_and_count_bytes() -> None:
    case = a_case([{"audio": {"source": "tone", "ms": 250, "chunk_ms": 100}}])
    outcome, actions = drive(case, [Handshake(101), None, None, None])
    sends = [a for a in actions if isinstance(a, Send)]
    assert len(sends) == 3
    assert outcome.audio_bytes == {"pcm": 12_000}
    assert outcome.audio_seconds == pytest.approx(0.25)


def record(direction: str, event: Any) -> dict[str, Any]:
    return {"direction": direction, "event": event}


def test_invariants_catch_a_result_before_its_commit_and_a_wrong_previous_item() -> None:
    stream = [
        record("server", {"type": "session.created", "event_id": "e0", "session": {}}),
        record(
            "server",
            {
                "type": "input_audio_buffer.committed",
                "event_id": "e1",
                "item_id": "item_b",
                "previous_item_id": "item_zzz",
            },
        ),
    ]
    found = validate_records(stream, invariants=True, directions=("server",), complete=False)
    rules = {v.rule for v in found}
    assert "invariant:previous-item" in rules


def test_invariants_catch_an_error_echoing_an_event_id_nobody_sent() -> None:
    error = {
        "type": "error",
        "event_id": "e1",
        "error": {
            "type": "invalid_request_error",
            "code": "x",
            "message": "m",
            "param": None,
            "event_id": "never_sent",
        },
    }
    stream = [
        record("client", {"type": "input_audio_buffer.commit", "event_id": "c1"}),
        record("server", error),
    ]
    rules = {v.rule for v in validate_records(stream, invariants=True, directions=("server",))}
    assert "invariant:error-echo" in rules
    error["error"]["event_id"] = "c1"
    rules = {v.rule for v in validate_records(stream, invariants=True, directions=("server",))}
    assert "invariant:error-echo" not in rules


def test_invariants_catch_a_speech_stopped_for_another_item() -> None:
    stream = [
        record(
            "server",
            {
                "type": "input_audio_buffer.speech_started",
                "event_id": "e1",
                "audio_start_ms": 0,
                "item_id": "item_a",
            },
        ),
        record(
            "server",
            {
                "type": "input_audio_buffer.speech_stopped",
                "event_id": "e2",
                "audio_end_ms": 900,
                "item_id": "item_b",
            },
        ),
    ]
    rules = {v.rule for v in validate_records(stream, invariants=True, directions=("server",))}
    assert "invariant:one-item-per-turn" in rules


def test_the_live_budget_counts_audio_and_prices_it() -> None:
    cases = select(load_cases(), ["9.1", "2.1"])
    budget = estimate(cases)
    assert budget.cases == 2 and budget.connections == 2
    assert budget.audio_seconds == pytest.approx(2.0)
    assert budget.dollars == pytest.approx(2.0 / 60 * PRICE_PER_MINUTE["gpt-4o-transcribe"])
    assert "$" in str(budget) and "openai.com" in str(budget)
    assert estimate(cases, max_audio_seconds=1).audio_seconds == 0

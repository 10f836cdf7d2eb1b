"""The error catalogue is data: every message says how far its text is the live API's, and
where it comes from."""

from __future__ import annotations

import string

from mockrt.core import errors
from mockrt.core.errors import MESSAGES, Rule, Status


def test_every_catalogued_message_has_a_status_and_a_source() -> None:
    for name, message in MESSAGES.items():
        assert isinstance(message.status, Status), name
        assert message.source.strip(), name


def test_every_rule_has_a_message_in_the_catalogue() -> None:
    assert {m.rule for m in MESSAGES.values()} == set(Rule)


def test_the_verbatim_rule_text_is_the_one_seen_live() -> None:
    detail = errors.realtime_update_on_transcription()
    assert MESSAGES["realtime_update_on_transcription"].status is Status.VERBATIM
    assert detail.message == (
        "Passing a realtime session update event to a transcription session is not allowed."
    )
    assert (detail.code, detail.param) == ("invalid_parameter", "")


def test_a_message_fills_exactly_the_fields_its_templates_name() -> None:
    fields = {
        name: {
            f[1].split(":")[0]
            for template in (m.code, m.param, m.text)
            if template is not None
            for f in string.Formatter().parse(template)
            if f[1]
        }
        for name, m in MESSAGES.items()
    }
    assert fields["commit_empty"] == {"buffered_ms"}
    assert fields["out_of_range"] == {
        "param",
        "kind",
        "side",
        "bound",
        "word",
        "op",
        "limit",
        "got",
    }
    detail = errors.out_of_range("t.x", "decimal", True, 1, 2)
    assert detail.code == "decimal_above_max_value"
    assert detail.message == (
        "Invalid 't.x': decimal above maximum value. Expected a value <= 1, but got 2 instead."
    )

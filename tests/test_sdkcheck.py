"""schemas/ against the installed openai SDK: coverage, shapes and generated instances agree, up
to the allow-list; and a schema broken on purpose is caught."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openai
import pytest

from mockrt.contract import drift, schema, sdkcheck, sdkinstances, sdkshape, sdktypes
from mockrt.contract.drift import Allowed, Drift
from mockrt.contract.sdkcheck import Report

SCHEMAS = Path(__file__).resolve().parents[1] / "schemas"


@pytest.fixture(scope="module")
def report() -> Report:
    return sdkcheck.check_against_sdk(SCHEMAS, max_examples=50)


def test_schemas_agree_with_the_installed_openai_sdk_up_to_the_allow_list(report: Report) -> None:
    print(f"openai=={report.sdk_version}")
    assert report.sdk_version == openai.__version__
    assert report.ok, "\n".join(report.lines())
    assert report.allowed, "the allow-list should be exercised"


def test_the_allow_list_was_reviewed_against_the_pinned_sdk(report: Report) -> None:
    pyproject = (Path(__file__).resolve().parents[1] / "pyproject.toml").read_text()
    assert f'"openai=={report.reviewed_version}"' in pyproject
    assert report.reviewed_version == report.sdk_version, (
        "openai was bumped: run `mockrt schemas check --against-sdk`, review the drifts and "
        "update mockrt/data/sdk_allowlist.json (its 'openai' field too)"
    )


def test_every_allow_list_entry_gives_a_reason() -> None:
    for entry in drift.allowlist():
        assert len(entry.reason) > 40, entry
    for persona, direction in schema.EVENT_UNIONS:
        for pattern, reason in drift.out_of_scope(persona, direction).items():
            assert len(reason) > 20, (persona, direction, pattern)


@pytest.mark.parametrize(("persona", "direction"), list(schema.EVENT_UNIONS))
def test_every_sdk_event_type_is_modelled_or_declared_out_of_scope(
    persona: schema.Persona, direction: schema.Direction
) -> None:
    allowed = drift.allowlist()
    left = [
        d for d in sdkcheck.coverage(persona, direction) if not any(a.matches(d) for a in allowed)
    ]
    assert left == []


def test_the_descriptions_file_quotes_the_installed_sdk() -> None:
    on_disk = json.loads(sdktypes.DESCRIPTIONS_FILE.read_text())
    assert on_disk == sdktypes.sdk_descriptions(), "run python -m mockrt.contract.sdktypes"


def _target(name: str) -> drift.Target:
    (target,) = [t for t in sdkcheck.targets() if t.name == name and t.persona == "ga"]
    return target


def _edit(directory: Path, path: str, change: Any) -> None:
    file = directory / path
    doc = json.loads(file.read_text())
    change(doc)
    file.write_text(schema.render(doc))


def test_a_deliberately_broken_schema_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, broken)
    # The SDK requires item_id on committed; ours no longer does.
    _edit(
        broken,
        "ga/server/input_audio_buffer.committed.json",
        lambda d: d["required"].remove("item_id"),
    )
    # A delay the SDK can send is no longer accepted.
    _edit(
        broken,
        "common/AudioTranscription.json",
        lambda d: d["properties"]["delay"]["anyOf"][0]["enum"].remove("xhigh"),
    )
    # The delta text becomes a number, which the SDK cannot parse.
    _edit(
        broken,
        "ga/server/conversation.item.input_audio_transcription.delta.json",
        lambda d: d["properties"].__setitem__("delta", {"type": "integer"}),
    )
    docs = schema.load(broken)
    drifts = sdkshape.compare(_target("input_audio_buffer.committed"), docs)
    assert (
        Drift(
            "ga",
            "server",
            "input_audio_buffer.committed",
            "/item_id",
            "required",
            "optional",
            "required",
        )
        in drifts
    )
    drifts = sdkshape.compare(_target("session.update"), docs)
    assert [(d.pointer, d.aspect) for d in drifts if "delay" in d.pointer] == [
        ("/session/audio/input/transcription/delay", "enum")
    ]
    delta = _target("conversation.item.input_audio_transcription.delta")
    drifts = sdkshape.compare(delta, docs)
    assert [(d.pointer, d.aspect, d.ours, d.theirs) for d in drifts] == [
        ("/delta", "type", "integer", "string")
    ]
    found = sdkinstances.instances(delta, docs, drift.allowlist(), max_examples=10)
    assert [(d.pointer, d.aspect, d.theirs) for d in found] == [
        ("/delta", "instance", "Input should be a valid string")
    ]
    assert json.loads(found[0].ours)["delta"] == 0  # shrunk to the simplest counterexample


def test_an_allow_list_entry_that_matches_nothing_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stale = Allowed("ga", "server", ("session.created",), ("/nowhere",), ("property",), "stale")
    entries = [*drift.allowlist(), stale]
    monkeypatch.setattr(sdkcheck, "allowlist", lambda: entries)
    report = sdkcheck.check_against_sdk(SCHEMAS, with_instances=False)
    assert report.unused == [stale]
    assert not report.ok

"""Every YAML block in README.md names its file in its first line (``# path`` or
``# path (excerpt)``), and that file holds it: an excerpt's keys, values and list items (in
order) are all in the file (or in a part of it); scripts load as scripts. README's output for
hello.yaml is what the mock sends."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mockrt.contract.scriptfile import load_script, parse_script
from mockrt.core.transcriber import ScriptedTranscriber

from .conftest import make_session, send

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```ya?ml\n(.*?)```", README, re.S)
NAMED = re.compile(r"#\s*(\S+\.ya?ml)(\s+\(excerpt\))?")


def contained(part: Any, whole: Any) -> bool:
    """``part`` is ``whole`` with keys and list items left out (list order kept)."""
    if isinstance(part, dict):
        return isinstance(whole, dict) and all(
            k in whole and contained(v, whole[k]) for k, v in part.items()
        )
    if isinstance(part, list):
        if not isinstance(whole, list):
            return False
        rest = iter(whole)
        return all(any(contained(item, candidate) for candidate in rest) for item in part)
    return bool(part == whole)


def contained_anywhere(part: Any, whole: Any) -> bool:
    """``part`` is contained in ``whole`` or in any value nested in it (a list of steps inside
    a workflow's job)."""
    if contained(part, whole):
        return True
    children = (
        whole.values() if isinstance(whole, dict) else whole if isinstance(whole, list) else []
    )
    return any(contained_anywhere(part, child) for child in children)


def test_readme_shows_yaml() -> None:
    assert len(BLOCKS) >= 2


def test_containment_is_strict() -> None:
    assert contained({"a": [1, 3]}, {"a": [1, 2, 3], "b": 0})
    assert not contained({"a": [3, 1]}, {"a": [1, 2, 3]})
    assert not contained({"faults": [{"drop": "x"}]}, {"turns": []})


@pytest.mark.parametrize("block", BLOCKS, ids=[b.splitlines()[0][:60] for b in BLOCKS])
def test_each_yaml_block_is_held_by_the_file_it_names(block: str) -> None:
    match = NAMED.match(block.splitlines()[0])
    assert match, f"the block's first line names no file: {block.splitlines()[0]!r}"
    path = ROOT / match.group(1)
    shown = yaml.safe_load(block)
    whole = yaml.safe_load(path.read_text(encoding="utf-8"))
    if match.group(2):
        assert contained_anywhere(shown, whole), f"README's excerpt is not in {match.group(1)}"
    else:
        assert shown == whole
    if path.parent.name == "scripts":  # a mockrt script: both load as one
        load_script(path)
        parse_script(shown)


def test_the_output_shown_for_hello_yaml_is_what_the_mock_sends() -> None:
    session = make_session(
        transcriber=ScriptedTranscriber(load_script(ROOT / "examples/scripts/hello.yaml"))
    )
    session.events_to_send()
    body = {
        "type": "transcription",
        "audio": {
            "input": {"transcription": {"model": "gpt-4o-transcribe"}, "turn_detection": None}
        },
    }
    send(session, {"type": "session.update", "session": body})
    session.receive_text(json.dumps({"type": "input_audio_buffer.append", "audio": "AAAA" * 2400}))
    got = [(0.0, e) for e in send(session, {"type": "input_audio_buffer.commit"})]
    while (due := session.next_event_due()) is not None:
        session.advance_to(due)
        got += [(session.now * 1000, e) for e in session.events_to_send()]
    shown = re.search(r"<!-- hello-output -->\n```text\n(.*?)```", README, re.S)
    assert shown is not None
    lines = shown.group(1).splitlines()
    assert [line.split()[0] for line in lines] == [e["type"] for _, e in got[:5]] + [
        got[-1][1]["type"]
    ]
    deltas = [(t, e["delta"]) for t, e in got if e["type"].endswith(".delta")]
    assert deltas[0] == (250.0, "Hello") and deltas[1] == (290.0, " there,")
    assert deltas[-1][1] == " help?"
    assert got[-1][1]["transcript"] == "Hello there, how can I help?"
    assert got[-1][1]["usage"]["type"] == "tokens"

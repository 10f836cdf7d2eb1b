"""The append fast path (mockrt.core.fastpath) only ever accepts what the full path accepts, with
the same audio, event_id and base64 length, and takes every canonical append; a session fed
through it sends, journals and refuses exactly what the full path would. ``strict_object`` reads
exactly the strict JSON objects, as ``json`` does, and nothing non-finite."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockrt.core import session as session_module
from mockrt.core.audio import decode_base64
from mockrt.core.client_events import InputAudioBufferAppend
from mockrt.core.fastpath import b64_chars, decode_append, strict_object
from mockrt.core.ids import CountingIds
from mockrt.core.options import Options
from mockrt.core.persona import BETA, GA
from mockrt.core.session import Session
from mockrt.core.validation import Accepted, non_finite_path, parse_client_text

APPEND = "input_audio_buffer.append"
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def _mutated_base64(draw: st.DrawFn) -> str:
    """Base64 text, canonical or broken in the ways clients break it."""
    text = base64.b64encode(draw(st.binary(max_size=64))).decode()
    mutation = draw(
        st.sampled_from(
            ["none", "strip_padding", "extra_padding", "insert", "replace", "urlsafe", "cut"]
        )
    )
    if mutation == "strip_padding":
        return text.rstrip("=")
    if mutation == "extra_padding":
        return text + "=" * draw(st.integers(1, 4))
    if mutation == "urlsafe":
        return text.replace("+", "-").replace("/", "_")
    if mutation == "cut":
        return text[: draw(st.integers(0, len(text)))]
    if mutation in ("insert", "replace"):
        at = draw(st.integers(0, len(text)))
        char = draw(st.sampled_from([*B64[:4], "=", " ", "\n", "é", "\x00", "\\", '"']))
        return text[:at] + char + text[at + (mutation == "replace") :]
    return text


@st.composite
def append_like_frames(draw: st.DrawFn) -> str:
    """Text frames near an append: right or wrong keys, types, base64, JSON and escapes."""
    pairs: list[tuple[str, Any]] = [("type", draw(st.sampled_from([APPEND, APPEND, "x", 3])))]
    pairs.append(("audio", None if draw(st.integers(0, 9)) == 0 else _mutated_base64(draw)))
    if draw(st.booleans()):
        pairs.append(("event_id", draw(st.one_of(st.none(), st.text(max_size=8), st.integers()))))
    if draw(st.integers(0, 5)) == 0:
        pairs.append((draw(st.sampled_from(["bogus", "audio", "type"])), draw(st.text(max_size=4))))
    pairs = draw(st.permutations(pairs))
    if draw(st.integers(0, 6)) == 0:
        pairs = [p for p in pairs if p[0] != draw(st.sampled_from(["type", "audio"]))]
    body = ",".join(f"{json.dumps(k)}:{json.dumps(v)}" for k, v in pairs)
    text = "{" + body + "}"
    if draw(st.integers(0, 6)) == 0:  # JSON escapes for plain characters, or a broken end
        text = draw(st.sampled_from([text.replace("A", "\\u0041"), text[:-1], text + " ", "[]"]))
    return text


@settings(max_examples=400)
@given(append_like_frames(), st.sampled_from([GA, BETA]))
def test_the_fast_path_accepts_only_what_the_full_path_accepts_with_the_same_values(
    text: str, persona: Any
) -> None:
    fast = decode_append(text)
    if fast is None:
        return
    full = parse_client_text(text, transcription=True, options=Options(), persona=persona)
    assert isinstance(full, Accepted)
    assert isinstance(full.event, InputAudioBufferAppend)
    assert decode_base64(full.event.audio) == fast.audio
    assert full.event.event_id == fast.event_id
    assert b64_chars(len(fast.audio)) == len(full.event.audio)


@given(st.binary(max_size=4000), st.one_of(st.none(), st.text(max_size=20)))
def test_every_canonical_append_takes_the_fast_path(audio: bytes, event_id: str | None) -> None:
    event: dict[str, Any] = {"type": APPEND, "audio": base64.b64encode(audio).decode()}
    if event_id is not None or audio[:1] == b"\x00":  # both with and without the key
        event["event_id"] = event_id
    fast = decode_append(json.dumps(event))
    assert fast is not None
    assert (fast.audio, fast.event_id) == (audio, event_id)


def _run(frames: list[str], *, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Any:
    with monkeypatch.context() as patch:
        if not fast:
            patch.setattr(session_module, "decode_append", lambda text: None)
        session = Session(ids=CountingIds())
        sent = list(session.events_to_send())
        for frame in frames:
            session.advance(20)
            session.receive_text(frame)
            sent += session.events_to_send()
        session.advance(5000)
        sent += session.events_to_send()
    return sent, [entry.to_line() for entry in session.journal.entries]


def _speech(ms: int) -> str:
    # a loud square wave at 24 kHz pcm16: the default server VAD hears speech
    samples = (b"\x00\x40" * 24 + b"\x00\xc0" * 24) * (ms * 24 // 48)
    return base64.b64encode(samples).decode()


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_a_session_sends_and_journals_the_same_with_and_without_the_fast_path(
    data: st.DataObject,
) -> None:
    frames = []
    for _ in range(data.draw(st.integers(1, 40))):
        kind = data.draw(st.sampled_from(["speech", "silence", "odd", "near", "commit"]))
        if kind == "speech":
            frames.append(json.dumps({"type": APPEND, "audio": _speech(20)}))
        elif kind == "silence":
            frames.append(json.dumps({"type": APPEND, "audio": "AAAA" * 320, "event_id": "e"}))
        elif kind == "odd":  # a partial sample: refused with the same error on both paths
            frames.append(json.dumps({"type": APPEND, "audio": "AAA="}))
        elif kind == "near":
            frames.append(data.draw(append_like_frames()))
        else:
            frames.append(json.dumps({"type": "input_audio_buffer.commit"}))
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _run(frames, fast=True, monkeypatch=monkeypatch) == _run(
            frames, fast=False, monkeypatch=monkeypatch
        )


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers() | st.integers(min_value=10**18, max_value=10**40),
    st.floats(),  # NaN and the infinities included: json.dumps writes NaN and Infinity
    st.text(max_size=6) | st.sampled_from(["\ud800", "\udfff", "é\u2028", "\x00"]),
)
_JSON = st.recursive(
    _JSON_LEAVES,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=400)
@given(st.dictionaries(st.text(max_size=6), _JSON, max_size=5), st.booleans(), st.booleans())
def test_strict_object_reads_exactly_the_strict_json_objects(
    value: dict[str, Any], ascii_only: bool, overflow: bool
) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    if overflow:  # a number Python reads as infinity
        text = text[:-1] + (', "n": -1e400}' if value else '"n": 1e999}')
    parsed = json.loads(text)
    strict = non_finite_path(parsed) is None and not overflow
    try:  # a lone surrogate, written raw or escaped: JSON text cannot carry it
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        strict = False
    got = strict_object(text)
    if strict:
        assert got is not None
        assert json.dumps(got) == json.dumps(parsed)  # the same keys, order, types and values
    else:
        assert got is None


@pytest.mark.parametrize("text", ["[1]", '"x"', "3", "null", "{", '{"a":NaN}', '{"a":Infinity}'])
def test_strict_object_is_none_for_anything_but_a_strict_json_object(text: str) -> None:
    assert strict_object(text) is None


def test_an_accepted_update_is_journaled_as_the_client_sent_it() -> None:
    session = Session(ids=CountingIds())
    text = (
        '{"session":{"audio":{"input":{"turn_detection":{"threshold":1,"type":"server_vad"}}},'
        '"type":"transcription"},"type":"session.update"}'
    )
    session.receive_text(text)
    (updated,) = [e for e in session.events_to_send() if e["type"] == "session.updated"]
    assert updated["session"]["audio"]["input"]["turn_detection"]["threshold"] == 1.0
    (client,) = [e for e in session.journal.entries if e.direction == "client"]
    assert json.dumps(client.event, separators=(",", ":")) == text  # its key order, its 1

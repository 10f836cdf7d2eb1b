"""What may be written about a client: key redaction, escaping of control characters, strict
JSON (no NaN or Infinity), and the bounded form a rejected client frame is kept in. Used by the
journal, the logs and the inspector. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable, Iterable
from json.encoder import encode_basestring_ascii
from typing import Any

from mockrt.core.wire import shared_text

__all__ = [
    "KEEP_REJECTED_CHARS",
    "add_secrets",
    "append_form",
    "client_frame_form",
    "escape_controls",
    "finite_copy",
    "redact",
    "strict_json",
]

# OpenAI secret keys (sk-…, sk-proj-…) and ephemeral keys (ek_…) of any length and charset (up
# to a delimiter of the text around them): a long key keeps a 4-character prefix, a short one
# none. Keys in query strings (``?api_key=…``) and ``Bearer`` credentials are cut whole.
_KEY = re.compile(r"\b(sk-|ek_)([^\s\"'`<>&,;()\[\]{}\\|]*)")
_QUERY_KEY = re.compile(
    r"(?i)\b((?:openai_)?api[_-]?key|access_token|client_secret|token|key)=([^&\s\"'#]+)"
)
_BEARER = re.compile(r"(?i)\b(Bearer\s+)([^\s\"',;]+)")
_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None


def add_secrets(keys: Iterable[str]) -> None:
    """Redact these exact strings too (``mockrt serve --api-key`` values of any form); keys
    shorter than 4 characters are skipped, as cutting them would garble every text."""
    global _secret_pattern
    new = {k for k in keys if len(k) >= 4} - _secrets
    if not new:
        return
    _secrets.update(new)
    ordered = sorted(_secrets, key=len, reverse=True)
    _secret_pattern = re.compile("|".join(re.escape(k) for k in ordered))


def _cut_key(match: re.Match[str]) -> str:
    body = match.group(2)
    return f"{match.group(1)}{body[:4]}…" if len(body) >= 12 else f"{match.group(1)}…"


def redact(text: str) -> str:
    """``text`` with API keys cut to their first characters: ``sk-abcd…``."""
    if _secret_pattern is not None:
        text = _secret_pattern.sub("<redacted key>", text)
    text = _KEY.sub(_cut_key, text)
    if "=" in text:
        text = _QUERY_KEY.sub(lambda m: f"{m.group(1)}=…", text)
    return _BEARER.sub(lambda m: f"{m.group(1)}…", text)


# C0/C1 controls, DEL, lone surrogates and Unicode line/paragraph separators: a client could forge
# log lines or terminal escapes with them.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode()


def escape_controls(text: str, keep_lines: bool = False) -> str:
    """``text`` with control characters and lone surrogates as ``\\xNN``/``\\uNNNN`` escapes,
    safe for one log line (or, with ``keep_lines``, a UTF-8 page that keeps its newlines)."""
    return (_CONTROLS_BUT_LINES if keep_lines else _CONTROLS).sub(_escape, text)


def finite_copy(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its name (``"Infinity"``), so that
    it can be written as strict JSON; iterative, so any nesting depth is safe."""
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite_name(value)
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, dict[Any, Any] | list[Any], Any]] = [(value, root, 0)]
    while stack:
        node, parent, key = stack.pop()
        copy: dict[Any, Any] | list[Any]
        if isinstance(node, dict):
            copy = dict(node)
            keys: Iterable[Any] = copy.keys()
        else:
            copy = list(node)
            keys = range(len(copy))
        parent[key] = copy
        for k in keys:
            item = copy[k]
            if isinstance(item, float) and not math.isfinite(item):
                copy[k] = _non_finite_name(item)
            elif isinstance(item, dict | list):
                stack.append((item, copy, k))
    return root[0]


def _non_finite_name(value: float) -> str:
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


_ENCODER = json.JSONEncoder(separators=(",", ":"), allow_nan=False)  # what json.dumps makes


def _make_encode() -> Callable[[Any], str]:
    """``_ENCODER.encode`` with its C encoder built once: ``JSONEncoder.encode`` builds one for
    every call, about 3 µs of a 150-byte turn event that then takes under 1 µs to encode. No
    circular-reference check: what is encoded here is dumped or parsed JSON."""
    make = vars(json.encoder).get("c_make_encoder")  # not in the typeshed stubs
    if make is None:  # an interpreter without the _json accelerator
        return _ENCODER.encode
    # (markers, default, encoder, indent, key and item separators, sort_keys, skipkeys,
    # allow_nan): JSONEncoder.iterencode's own call, with check_circular off
    encoder = make(None, _ENCODER.default, encode_basestring_ascii, None, ":", ",", 0, 0, 0)

    def encode(value: Any) -> str:
        return "".join(encoder(value, 0))

    return encode


_encode = _make_encode()


def strict_json(value: Any) -> str:
    """Compact JSON that every parser accepts: never a bare NaN or Infinity (they become
    strings), ASCII escapes so lone surrogates survive UTF-8 files and sockets. An event whose
    ``session`` was dumped once (``mockrt.core.wire.dump``) reuses that session's text."""
    if type(value) is dict and "session" in value:
        spliced = _splice(value)
        if spliced is not None:
            return spliced
    try:
        return _encode(value)
    except ValueError:
        return _encode(finite_copy(value))


def _splice(event: dict[Any, Any]) -> str | None:
    """The text ``json.dumps`` would make of ``event``, with its session's known text; None
    when the session has none (or a key is not a string, or a value is not strict JSON)."""
    session = shared_text(event["session"])
    if session is None:
        return None
    parts: list[str] = []
    try:
        for key, item in event.items():
            if not isinstance(key, str):
                return None
            text = session if key == "session" else _encode(item)
            parts.append(f"{encode_basestring_ascii(key)}:{text}")
    except ValueError:
        return None  # a non-finite number: the whole event goes the careful way
    return "{" + ",".join(parts) + "}"


# A rejected frame longer than this is journaled as its first characters, length and hash.
KEEP_REJECTED_CHARS = 1024
_HEAD_CHARS = 256


def _summarise_audio(frame: Any) -> Any:
    """Any ``audio`` string (valid base64 or not) becomes ``<N chars>``; audio is never kept."""
    if isinstance(frame, dict) and isinstance(frame.get("audio"), str):
        return {**frame, "audio": f"<{len(frame['audio'])} base64 chars>"}
    return frame


def append_form(chars: int, size: int, event_id: str | None) -> dict[str, Any]:
    """What the journal keeps of an accepted ``input_audio_buffer.append``: never the audio (an
    hour of appends is ~230 MB of base64), only its length in base64 ``chars`` and in bytes
    (``size``, decoded: base64's length alone cannot say it, for the padding)."""
    form: dict[str, Any] = {
        "type": "input_audio_buffer.append",
        "audio": f"<{chars} base64 chars, {size} bytes>",
    }
    if event_id is not None:
        form["event_id"] = event_id
    return form


def client_frame_form(text: str, parsed: Any) -> Any:
    """What the journal keeps of a rejected client frame: the parsed JSON (non-finite numbers
    named, audio summarised) when the frame is short, else ``{"truncated_frame": {"head": first
    characters, "length": characters, "sha256": hex}}``, so memory stays bounded."""
    if len(text) > KEEP_REJECTED_CHARS:
        digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        head = text[:_HEAD_CHARS]
        if '"audio"' in head:
            head = head[: head.index('"audio"')] + '"audio": <summarised>'
        return {"truncated_frame": {"head": head, "length": len(text), "sha256": digest}}
    return _summarise_audio(finite_copy(parsed))

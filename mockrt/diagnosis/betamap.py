"""Beta -> GA for diagnosis: which beta field names a client sent, and the GA session to send.

Owns ``beta_fields`` (the beta-only names in an update, where GA has no such key) and
``beta_to_ga`` (a beta transcription session translated to GA, with one line per field saying how
it moved; protocol.md §3). The facts come from ``mockrt.core.beta``, their one home: the beta
field names are ``BetaTranscriptionSessionRequest``'s, each field's GA place is where
``ga_request_from_beta`` puts it, and formats map by ``BETA_AUDIO_FORMATS``. Unlike the core's
conversion this reads untrusted frames, so values are never validated. Pure; must never import
aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from typing import Any

from mockrt.core.beta import (
    BETA_AUDIO_FORMATS,
    BetaTranscriptionSessionRequest,
    ga_request_from_beta,
)
from mockrt.core.journal import Entry
from mockrt.diagnosis.frames import session_of

__all__ = ["BETA_FIELDS", "beta_fields", "beta_to_ga"]

JSON = dict[str, Any]


def _ga_place(name: str) -> str | None:
    """Where ``ga_request_from_beta`` puts the beta field ``name``: a dotted path in the GA
    session, or None when the conversion drops the field."""
    request = BetaTranscriptionSessionRequest.model_validate({name: None})
    node: Any = {k: v for k, v in ga_request_from_beta(request).items() if k != "type"}
    path: list[str] = []
    while isinstance(node, dict) and len(node) == 1:
        key, node = next(iter(node.items()))
        path.append(key)
    return ".".join(path) or None


# Beta field -> GA path (None: drop it), derived from the core's conversion.
BETA_FIELDS: dict[str, str | None] = {
    name: _ga_place(name) for name in BetaTranscriptionSessionRequest.model_fields
}
# Names GA does not have at all (GA keeps include; turn_detection moved under audio.input).
_BETA_ONLY = frozenset(BETA_FIELDS) - {"turn_detection", "include"}


def beta_fields(entry: Entry) -> list[str]:
    """The beta-only field names in an update's session (top-level turn_detection included)."""
    if entry.type not in ("session.update", "transcription_session.update"):
        return []
    session = session_of(entry)
    keys = [k for k in BETA_FIELDS if k in session]
    if entry.type == "session.update" and session.get("type") == "transcription":
        keys = [k for k in keys if k in _BETA_ONLY]  # GA keeps include; turn_detection moved
        if "turn_detection" in session:
            keys.append("turn_detection")
    elif entry.type == "session.update" and not (set(keys) & _BETA_ONLY):
        return []
    return keys


def beta_to_ga(session: JSON) -> tuple[JSON, list[str]]:
    """The GA ``session`` equivalent to a beta transcription session, and one line per field
    saying how it moved (protocol.md §3)."""
    ga: JSON = {"type": "transcription"}
    inp: JSON = {}
    lines: list[str] = []
    for key, value in session.items():
        if key == "type":
            continue
        if key not in BETA_FIELDS:
            ga[key] = value
            continue
        target = BETA_FIELDS[key]
        shown = json.dumps(value)
        if target is None:
            why = (
                "transcription sessions have no output"
                if key == "modalities"
                else "set expires_after on POST /v1/realtime/client_secrets instead"
            )
            lines.append(f"{key} {shown} -> drop it ({why})")
        elif key == "input_audio_format":
            fmt = dict(BETA_AUDIO_FORMATS.get(str(value), BETA_AUDIO_FORMATS["pcm16"]))
            inp["format"] = fmt
            lines.append(f"{key} {shown} -> {target} {json.dumps(fmt)}")
        elif target == "include":
            ga["include"] = value
            lines.append(f"{key} -> include (unchanged, at the top of session)")
        else:
            inp[target.rsplit(".", 1)[1]] = value
            lines.append(f"{key} -> {target}")
    if inp:
        ga["audio"] = {"input": inp}
    order = ["type", "audio", "include"]
    ga = {k: ga[k] for k in sorted(ga, key=lambda k: order.index(k) if k in order else 3)}
    return ga, lines

"""One-line descriptions of client events: the key fields a person needs to see.

Owns ``describe_event`` (used by the report's event lines and the inspector),
``describe_turn_detection`` and ``short_json``. Which keys count as conversation fields comes from
``mockrt.core.validation`` and which as beta fields from ``mockrt.diagnosis.betamap``. Pure; must
never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from typing import Any

from mockrt.core.validation import REALTIME_ONLY_KEYS
from mockrt.diagnosis.betamap import BETA_FIELDS
from mockrt.diagnosis.frames import as_dict, audio_input

__all__ = ["describe_event", "describe_turn_detection", "short_json"]


def short_json(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 48 else text[:45] + "..."


def describe_turn_detection(value: Any) -> str:
    if not isinstance(value, dict):
        return short_json(value)
    params = ", ".join(f"{k}={short_json(v)}" for k, v in value.items() if k != "type")
    return f"{value.get('type')}({params})" if params else str(value.get("type"))


def describe_event(event: Any) -> str:
    """The key fields of a client event, one line: what a person needs to see."""
    if not isinstance(event, dict):
        text = str(event)
        return f"not JSON: {text[:60]!r}" if not text.startswith("<") else text
    parts: list[str] = []
    kind = event.get("type")
    session = as_dict(event.get("session"))
    if kind == "session.update" or kind == "transcription_session.update":
        if "type" in session:
            parts.append(f"session.type={short_json(session['type'])}")
        for key in REALTIME_ONLY_KEYS:
            if key in session:
                value = session[key]
                shown = short_json(value)
                if key == "tools" and isinstance(value, list) and value:
                    shown = f"[{len(value)} tools]"
                parts.append(f"{key}={shown}")
        voice = as_dict(as_dict(session.get("audio")).get("output")).get("voice")
        if voice is not None:
            parts.append(f"audio.output.voice={short_json(voice)}")
        inp = audio_input(session)
        for key, value in inp.items():
            if key == "transcription" and isinstance(value, dict):
                inner = ", ".join(f"{k}={short_json(v)}" for k, v in value.items())
                parts.append(f"transcription({inner})")
            elif key == "turn_detection":
                parts.append(f"turn_detection={describe_turn_detection(value)}")
            elif key == "format" and isinstance(value, dict):
                rate = f"@{value['rate']}" if "rate" in value else ""
                parts.append(f"format={value.get('type')}{rate}")
            else:
                parts.append(f"{key}={short_json(value)}")
        for key in BETA_FIELDS:
            if key in session and key != "include":
                shown = (
                    describe_turn_detection(session[key])
                    if key == "turn_detection"
                    else short_json(session[key])
                )
                parts.append(f"{key}={shown}")
        if "include" in session:
            parts.append(f"include={short_json(session['include'])}")
        if "session" in event and not isinstance(event["session"], dict):
            parts.append(f"session={short_json(event['session'])}")
    else:
        for key, value in event.items():
            if key not in ("type", "event_id"):
                parts.append(f"{key}={short_json(value)}")
    if event.get("event_id") is not None:
        parts.append(f"event_id={short_json(event['event_id'])}")
    return ", ".join(parts)

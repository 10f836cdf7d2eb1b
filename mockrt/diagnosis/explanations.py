"""Explanations specialised for the client, and the rule behind an error in a capture.

``explain(rule, client, events)`` takes the rule's entry of ``mockrt.diagnosis.catalogue`` and
specialises it for the recognised client: RealtimeRunner on a transcription session gets the two
ways that work, with code; a beta-era client gets each beta field mapped to its GA place
(``beta_fix``). ``infer_rule`` names the rule behind an ``error`` in a capture of live traffic.
Pure text; must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from mockrt.core.errors import Rule
from mockrt.core.journal import Entry
from mockrt.diagnosis.betamap import beta_fields, beta_to_ga
from mockrt.diagnosis.catalogue import (
    BETA_TABLE,
    EX_AGENTS_STT,
    EX_OPENAI_SDK,
    EX_RAW,
    EXPLANATIONS,
    Explanation,
    indent_block,
)
from mockrt.diagnosis.fingerprints import Fingerprint
from mockrt.diagnosis.frames import as_dict, session_of

__all__ = ["beta_fix", "explain", "extend", "infer_rule", "pretty_json"]

JSON = dict[str, Any]


def pretty_json(value: Any, width: int = 88, indent: str = "") -> str:
    """JSON that keeps an object or array on one line when it fits in ``width``."""
    flat = json.dumps(value, ensure_ascii=False)
    if len(indent) + len(flat) <= width or not isinstance(value, dict | list) or not value:
        return flat
    inner = indent + "  "
    if isinstance(value, dict):
        items = [
            f"{inner}{json.dumps(k)}: {pretty_json(v, width, inner).lstrip()}"
            for k, v in value.items()
        ]
        return "{\n" + ",\n".join(items) + f"\n{indent}}}"
    items = [f"{inner}{pretty_json(v, width, inner).lstrip()}" for v in value]
    return "[\n" + ",\n".join(items) + f"\n{indent}]"


_AGENTS_STT_CODE = """\
from agents.voice import OpenAISTTModel, STTModelSettings, StreamedAudioInput
from openai import AsyncOpenAI

model = OpenAISTTModel("gpt-4o-transcribe", AsyncOpenAI())
audio = StreamedAudioInput()
session = await model.create_session(
    audio, STTModelSettings(language="en"),
    trace_include_sensitive_data=False, trace_include_sensitive_audio_data=False)
await audio.add_audio(pcm)       # numpy int16 or float32, 24 kHz mono
await audio.add_audio(None)      # end of input
async for text in session.transcribe_turns():
    print(text)"""

_OPENAI_SDK_CODE = """\
from openai import AsyncOpenAI

client = AsyncOpenAI()
async with client.realtime.connect(extra_query={"intent": "transcription"}) as conn:
    await conn.session.update(session={
        "type": "transcription",
        "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"},
                            "turn_detection": None}},
    })
    await conn.input_audio_buffer.append(audio=base64_pcm)   # 24 kHz 16-bit mono
    await conn.input_audio_buffer.commit()
    async for event in conn:
        if event.type == "conversation.item.input_audio_transcription.completed":
            print(event.transcript)
            break"""

_RUNNER_WHY = (
    "RealtimeRunner always configures a conversation session: its first session.update sets "
    'type "realtime", model gpt-realtime-2.1, output_modalities, a voice and tools, and a '
    'second one sets tracing "auto". It has no transcription mode. Pointing its URL '
    '(model_config["url"]) at ?intent=transcription, or giving it an ephemeral key minted for '
    "a transcription session, does not change what it sends; it only makes the server reject "
    "every update. The error is not fatal (the socket stays open with the transcription "
    "configuration it had), but RealtimeRunner, built for model responses, is not a "
    "transcription client."
)

_RUNNER_FIX = (
    "RealtimeRunner cannot be pointed at ?intent=transcription. Two ways that work:\n\n"
    "1. The Agents SDK's STT path, agents.voice: OpenAISTTModel opens "
    "/v1/realtime?intent=transcription and sends a transcription session.update for you "
    "(use it alone, or as the stt_model of a VoicePipeline):\n\n"
    + indent_block(_AGENTS_STT_CODE)
    + "\n\n2. The openai SDK's realtime connection with intent=transcription and a "
    'session.update of type "transcription":\n\n'
    + indent_block(_OPENAI_SDK_CODE)
    + "\n\nIf you want a spoken conversation instead, keep RealtimeRunner and drop "
    "?intent=transcription from its URL (and mint the client secret with session type "
    '"realtime").'
)


def infer_rule(error: JSON) -> str:
    """The rule behind an ``error`` object, for captures whose errors carry no violation: by
    the verbatim message where it is distinctive, else by code and param."""
    code, message = error.get("code"), str(error.get("message") or "")
    param = error.get("param")
    if message.startswith("Passing a realtime session update"):
        return Rule.REALTIME_UPDATE_ON_TRANSCRIPTION.value
    if message.startswith("Passing a transcription session update"):
        return Rule.TRANSCRIPTION_UPDATE_ON_REALTIME.value
    # The mock's own wordings where the live text is unknown (mockrt.core.errors, INVENTED).
    if message.startswith("Binary WebSocket frames"):
        return Rule.BINARY_FRAME.value
    if message.startswith("Invalid type for client event"):
        return Rule.NOT_AN_OBJECT.value
    if param == "audio" and "exceeds the maximum" in message:
        return Rule.AUDIO_TOO_LARGE.value
    by_code = {
        "input_audio_buffer_commit_empty": Rule.COMMIT_EMPTY,
        "beta_api_shape_disabled": Rule.BETA_SHAPE,
        "invalid_model": Rule.MODEL_WITH_INTENT,
        "session_expired": Rule.SESSION_EXPIRED,
        "unknown_parameter": Rule.UNKNOWN_PARAMETER,
        "missing_required_parameter": Rule.MISSING_PARAMETER,
        "invalid_type": Rule.INVALID_TYPE,
        "invalid_json": Rule.INVALID_JSON,
    }
    if isinstance(code, str) and code in by_code:
        return by_code[code].value
    if error.get("type") == "server_error":
        return Rule.SERVER_ERROR.value
    if code == "invalid_value":
        if message.startswith(("Turn detection is not", "Prompt is not", "Only one of")):
            return Rule.MODEL_RULE.value
        if param == "type":
            if "not supported in transcription" in message:
                return Rule.UNSUPPORTED_IN_TRANSCRIPTION.value
            return Rule.UNKNOWN_EVENT_TYPE.value
        if param == "audio":
            return Rule.INVALID_AUDIO.value
        return Rule.INVALID_VALUE.value
    if isinstance(code, str) and re.fullmatch(r"\w+_(above|below)_(max|min)_value", code):
        return Rule.OUT_OF_RANGE.value
    return "unclassified-error"


def explain(rule: str, client: Fingerprint | None, events: list[Entry]) -> Explanation:
    """The explanation for ``rule``, specialised for the client and what it sent."""
    base = EXPLANATIONS.get(rule, EXPLANATIONS["unclassified-error"])
    who = client.client if client is not None and client.confidence != "low" else None
    beta = any(e.type == "transcription_session.update" or beta_fields(e) for e in events)
    if rule == Rule.REALTIME_UPDATE_ON_TRANSCRIPTION and who == "agents-realtime-runner":
        return Explanation(
            "RealtimeRunner sent conversation session.update events to a transcription session",
            _RUNNER_WHY,
            _RUNNER_FIX,
            (EX_AGENTS_STT, EX_OPENAI_SDK),
        )
    if beta or (who == "beta" and rule in _BETA_RULES):
        return Explanation(
            base.title + " (a beta-era client)",
            base.why
            + " This client uses the retired beta shapes; the GA API names and places them "
            "differently.",
            beta_fix(events),
            (EX_OPENAI_SDK, EX_RAW),
        )
    if rule == Rule.MODEL_RULE and who == "livekit":
        return extend(
            base,
            fix=" LiveKit: livekit-plugins-openai omits turn_detection for gpt-realtime-whisper "
            "and gpt-live-transcribe by itself; upgrade the plugin, or pass "
            "turn_detection=None.",
        )
    if rule == Rule.MODEL_RULE and who == "pipecat":
        return extend(
            base, fix=" Pipecat: keep turn_detection=False (its default) for these models."
        )
    if rule == Rule.COMMIT_EMPTY and who == "livekit":
        return extend(
            base,
            fix=" LiveKit commits on its local VAD only for realtime-only models; with server "
            "VAD on, leave committing to the server.",
        )
    if rule == Rule.TRANSCRIPTION_UPDATE_ON_REALTIME and who == "agents-voice-stt":
        return extend(
            base,
            why=" OpenAISTTModel appends intent=transcription itself; a model= in the client's "
            "base URL or default_query would turn the session into a conversation.",
        )
    return base


_BETA_RULES = frozenset(
    {
        Rule.UNKNOWN_PARAMETER.value,
        Rule.MISSING_PARAMETER.value,
        Rule.UNSUPPORTED_IN_TRANSCRIPTION.value,
        Rule.UNKNOWN_EVENT_TYPE.value,
        Rule.INVALID_TYPE.value,
        Rule.INVALID_VALUE.value,
        Rule.BETA_SHAPE.value,
    }
)


def extend(base: Explanation, *, why: str = "", fix: str = "") -> Explanation:
    return Explanation(base.title, base.why + why, base.fix + fix, base.see)


# --- beta -> GA, for what the client sent --------------------------------------------------


def beta_fix(entries: Iterable[Entry]) -> str:
    """Mapping lines and a translated GA event for the beta-shaped frames among ``entries``."""
    source: Entry | None = None
    for entry in entries:
        if entry.type == "transcription_session.update" or beta_fields(entry):
            source = entry
            break
    header = (
        "Move to the GA shape: send session.update (not transcription_session.update) with "
        'session.type "transcription" and the audio settings under session.audio.input; drop '
        "the OpenAI-Beta: realtime=v1 header (and the openai-beta.realtime-v1 subprotocol)."
    )
    if source is None:
        return header + "\n\n" + BETA_TABLE
    ga, lines = beta_to_ga(session_of(source))
    event: JSON = {"type": "session.update", "session": ga}
    if isinstance(as_dict(source.event).get("event_id"), str):
        event["event_id"] = source.event["event_id"]
    mapping = "\n".join(f"  {line}" for line in lines)
    if source.type == "transcription_session.update":
        mapping = "  transcription_session.update -> session.update\n" + mapping
    return (
        f"{header}\n\nField by field, for what this client sent:\n{mapping}\n\n"
        f"The GA event to send instead:\n\n{indent_block(pretty_json(event))}"
    )

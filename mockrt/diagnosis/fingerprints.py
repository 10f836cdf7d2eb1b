"""Reading client traffic: which library sent it, and what its frames say.

``fingerprint(entries)`` recognises the client of one session from frame contents and order alone
(a journal has no headers): the Agents SDK's RealtimeRunner and voice STT, LiveKit, Pipecat,
beta-era clients, conversation clients, and the openai SDK or a raw socket. Each ``Fingerprint``
has a score and the evidence that matched (protocol.md §8, tests/data/evidence). Also the beta ->
GA field mapping and one-line descriptions of client events. Pure; must never import aiohttp or
websockets.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from mockrt.core.journal import Entry, Journal
from mockrt.core.validation import REALTIME_ONLY_KEYS

__all__ = [
    "BETA_FIELDS",
    "CLIENTS",
    "CONVERSATION_FIELDS",
    "Fingerprint",
    "SessionView",
    "append_bytes",
    "as_dict",
    "audio_input",
    "beta_fields",
    "beta_to_ga",
    "describe_event",
    "describe_turn_detection",
    "fingerprint",
    "is_conversation_update",
    "is_transcription_update",
    "is_uuid_hex",
    "session_of",
    "short_json",
]

Confidence = Literal["high", "medium", "low"]
JSON = dict[str, Any]


@dataclass(frozen=True)
class Fingerprint:
    """A client library recognised from its traffic, with the evidence that matched."""

    client: str  # a key of CLIENTS
    score: float  # 0..1
    evidence: tuple[str, ...]

    @property
    def name(self) -> str:
        return CLIENTS[self.client]

    @property
    def confidence(self) -> Confidence:
        return "high" if self.score >= 0.7 else "medium" if self.score >= 0.45 else "low"

    def to_json(self) -> JSON:
        return {
            "client": self.client,
            "name": self.name,
            "confidence": self.confidence,
            "score": round(self.score, 2),
            "evidence": list(self.evidence),
        }


# --- client fingerprints -------------------------------------------------------------------------

CLIENTS: dict[str, str] = {
    "agents-realtime-runner": "OpenAI Agents SDK RealtimeRunner (agents.realtime)",
    "agents-voice-stt": "OpenAI Agents SDK voice STT (agents.voice OpenAISTTModel)",
    "livekit": "LiveKit Agents (livekit-plugins-openai STT)",
    "pipecat": "Pipecat (OpenAIRealtimeSTTService)",
    "beta": "a client written for the retired Realtime beta API",
    "conversation-client": "a client that configures a conversation (realtime) session",
    "openai-sdk": "the openai SDK's realtime connection, or a raw WebSocket client",
}

# Fields a realtime (conversation) session has and a transcription session lacks (protocol §2.3).
CONVERSATION_FIELDS = REALTIME_ONLY_KEYS

# Beta field -> GA path (None: drop it). protocol.md §3.
BETA_FIELDS: dict[str, str | None] = {
    "input_audio_format": "audio.input.format",
    "input_audio_transcription": "audio.input.transcription",
    "input_audio_noise_reduction": "audio.input.noise_reduction",
    "turn_detection": "audio.input.turn_detection",
    "include": "include",
    "modalities": None,
    "client_secret": None,
}
_BETA_FORMATS: dict[str, JSON] = {
    "pcm16": {"type": "audio/pcm", "rate": 24000},
    "g711_ulaw": {"type": "audio/pcmu"},
    "g711_alaw": {"type": "audio/pcma"},
}
_BETA_ONLY = frozenset(BETA_FIELDS) - {"turn_detection", "include"}
_UUID_HEX = re.compile(r"^[0-9a-f]{32}$")
# protocol.md §2.1: no server VAD for these models.
VADLESS_MODELS = ("gpt-live-transcribe", "gpt-realtime-whisper")


@dataclass
class SessionView:
    """One session's entries, in journal order, with the lookups the checks need."""

    id: str
    entries: list[Entry]
    client: list[Entry] = field(default_factory=list)
    server: list[Entry] = field(default_factory=list)
    pos: dict[int, int] = field(default_factory=dict)  # id(entry) -> position in entries

    def __post_init__(self) -> None:
        for i, e in enumerate(self.entries):
            self.pos[id(e)] = i
            (self.client if e.direction == "client" else self.server).append(e)

    def first_server(self, *types: str) -> Entry | None:
        return next((e for e in self.server if e.type in types), None)

    def before(self, a: Entry, b: Entry | None) -> bool:
        """``a`` was journaled before ``b`` (True when ``b`` never happened)."""
        return b is None or self.pos[id(a)] < self.pos[id(b)]

    def reply_after(self, entry: Entry, *types: str) -> Entry | None:
        start = self.pos[id(entry)]
        return next(
            (e for e in self.entries[start:] if e.direction == "server" and e.type in types), None
        )

    def updates(self) -> list[Entry]:
        return [
            e for e in self.client if e.type in ("session.update", "transcription_session.update")
        ]

    def is_final_flush(self, entry: Entry) -> bool:
        """The Agents SDK's end of input: a commit with a uuid4-hex event_id, then a clear."""
        if entry.type != "input_audio_buffer.commit" or not is_uuid_hex(
            as_dict(entry.event).get("event_id")
        ):
            return False
        n = self.client.index(entry)
        return n + 1 < len(self.client) and self.client[n + 1].type == "input_audio_buffer.clear"

    def appends(self) -> list[Entry]:
        return [e for e in self.client if e.type == "input_audio_buffer.append"]

    def kind(self) -> str:
        """ "transcription", "realtime", or "unknown" (no session.created journaled)."""
        created = self.first_server("session.created", "transcription_session.created")
        if created is None:
            return "unknown"
        if created.type == "transcription_session.created":
            return "transcription"
        return "transcription" if session_of(created).get("type") == "transcription" else "realtime"


def as_dict(value: Any) -> JSON:
    """``value`` when it is a JSON object, else ``{}``: safe digging into untrusted frames."""
    return value if isinstance(value, dict) else {}


def session_of(entry: Entry) -> JSON:
    """The ``session`` object of a frame (``{}`` when absent)."""
    return as_dict(as_dict(entry.event).get("session"))


def audio_input(session: JSON) -> JSON:
    """``session.audio.input`` (``{}`` when absent)."""
    return as_dict(as_dict(session.get("audio")).get("input"))


def is_uuid_hex(value: object) -> bool:
    """32 lowercase hex digits: ``uuid4().hex``, the Agents SDK's commit event_id."""
    return isinstance(value, str) and _UUID_HEX.match(value) is not None


def is_conversation_update(entry: Entry) -> bool:
    """A ``session.update`` shaped for a realtime (conversation) session (protocol.md §2.3)."""
    if entry.type != "session.update":
        return False
    session = session_of(entry)
    if session.get("type") == "realtime":
        return True
    if session.get("type") == "transcription":
        return False
    return bool(set(session) & set(CONVERSATION_FIELDS)) or "output" in as_dict(
        session.get("audio")
    )


def is_transcription_update(entry: Entry) -> bool:
    """A GA ``session.update`` with ``session.type`` "transcription"."""
    return entry.type == "session.update" and session_of(entry).get("type") == "transcription"


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


def append_bytes(event: Any) -> int:
    """Decoded size of an append's audio, from the base64 (or the mock's journaled length)."""
    audio = as_dict(event).get("audio")
    if not isinstance(audio, str):
        return 0
    m = re.fullmatch(r"<(\d+) base64 chars>", audio)
    if m:  # the mock journals the length, not the audio
        return int(m.group(1)) // 4 * 3
    return len(audio) // 4 * 3 - audio[-2:].count("=")


def fingerprint(journal_or_entries: Journal | Sequence[Entry]) -> list[Fingerprint]:
    """Candidate clients for one session's entries, best first (empty when nothing matched)."""
    entries = list(journal_or_entries)
    ctx = SessionView(entries[0].session if entries else "", entries)
    found = [fp for check in _CHECKS if (fp := check(ctx)) is not None]
    order = {name: i for i, name in enumerate(CLIENTS)}
    return sorted(found, key=lambda f: (-f.score, order[f.client]))


def _fp(client: str, score: float, evidence: list[str]) -> Fingerprint:
    return Fingerprint(client, round(min(score, 1.0), 2), tuple(evidence))


def _check_runner(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_conversation_update(u)]
    if not updates:
        return None
    first, session = updates[0], session_of(updates[0])
    score, ev = 0.0, []
    model = session.get("model")
    if isinstance(model, str) and model.startswith("gpt-realtime"):
        score += 0.35
        ev.append(f'its session.update configures a conversation session: model "{model}"')
    extras: list[str] = [k for k in ("output_modalities", "instructions", "tools") if k in session]
    if "voice" in as_dict(as_dict(session.get("audio")).get("output")):
        extras.append("audio.output.voice")
    if extras:
        score += min(0.25, 0.1 * len(extras))
        ev.append("it carries conversation-only fields: " + ", ".join(extras))
    td = as_dict(audio_input(session).get("turn_detection"))
    if td.get("type") == "semantic_vad" and "interrupt_response" in td:
        score += 0.1
        ev.append("turn_detection semantic_vad with interrupt_response (a conversation setting)")
    tracing = [
        u
        for u in updates[1:]
        if "tracing" in session_of(u) and set(session_of(u)) <= {"type", "model", "tracing"}
    ]
    if tracing:
        score += 0.3
        value = json.dumps(session_of(tracing[0])["tracing"])
        ev.append(f"a second session.update sets only tracing {value} (RealtimeRunner's)")
    if not (isinstance(model, str) and model.startswith("gpt-realtime")) and not tracing:
        return None
    if ctx.client and ctx.client[0] is first:
        score += 0.05
        ev.append("the realtime session.update is the first frame it sends")
    created = ctx.first_server("session.created", "transcription_session.created")
    if created is not None and ctx.before(first, created):
        score += 0.1
        ev.append("sent before session.created arrived: it does not wait for the server")
    elif len(updates) > 1:
        reply = ctx.reply_after(first, "session.updated", "error")
        if reply is not None and ctx.before(updates[1], reply):
            ev.append("it sent its second update without waiting for a reply to the first")
    return _fp("agents-realtime-runner", score, ev)


def _check_conversation_client(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_conversation_update(u)]
    if not updates:
        return None
    session = session_of(updates[0])
    what = 'session.type "realtime"' if session.get("type") == "realtime" else "realtime fields"
    fields = [k for k in CONVERSATION_FIELDS if k in session]
    detail = f" ({', '.join(fields)})" if fields else ""
    return _fp("conversation-client", 0.5, [f"its session.update has {what}{detail}"])


def _check_agents_stt(ctx: SessionView) -> Fingerprint | None:
    score, ev = 0.0, []
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if updates:
        session = session_of(updates[0])
        inp = audio_input(session)
        if (
            set(session) == {"type", "audio"}
            and set(as_dict(session["audio"])) == {"input"}
            and set(inp) == {"format", "transcription", "turn_detection"}
            and inp.get("format") == {"type": "audio/pcm", "rate": 24000}
        ):
            score += 0.3
            ev.append("its session.update sets exactly format, transcription, turn_detection")
            if inp.get("turn_detection") == {"type": "semantic_vad"}:
                score += 0.25
                ev.append('turn_detection {"type": "semantic_vad"} (the SDK default)')
        created = ctx.first_server("session.created", "transcription_session.created")
        if created is not None and not ctx.before(updates[0], created):
            score += 0.05
            ev.append("it waited for session.created before configuring")
    if any(ctx.is_final_flush(entry) for entry in ctx.client):
        score += 0.35
        ev.append("it ends input with a commit whose event_id is a uuid4 hex, then a clear")
    return _fp("agents-voice-stt", score, ev) if score >= 0.3 else None


def _check_livekit(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if not updates:
        return None
    score, ev = 0.0, []
    inp = audio_input(session_of(updates[0]))
    td = inp.get("turn_detection")
    lk_vad = {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 600}
    if (
        isinstance(td, dict)
        and lk_vad.items() <= td.items()
        and td.get("silence_duration_ms") == 350
    ):
        score += 0.5
        ev.append("turn_detection server_vad 0.5 / 600 ms / 350 ms (LiveKit's defaults)")
    appends = ctx.appends()
    if appends and sum(append_bytes(a.event) == 2400 for a in appends) * 2 > len(appends):
        score += 0.25
        ev.append("50 ms appends: 2,400 bytes (3,200 base64 characters) each")
        model = as_dict(inp.get("transcription")).get("model")
        if model in VADLESS_MODELS and "turn_detection" not in inp:
            score += 0.15
            ev.append(f"turn_detection omitted for {model}, as LiveKit does")
    created = ctx.first_server("session.created", "transcription_session.created")
    if score and created is not None and ctx.before(updates[0], created):
        score += 0.1
        ev.append("its session.update came before session.created: it does not wait")
    return _fp("livekit", score, ev) if score >= 0.25 else None


def _check_pipecat(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if not updates:
        return None
    inp = audio_input(session_of(updates[0]))
    model = as_dict(inp.get("transcription")).get("model")
    if not (model == "gpt-realtime-whisper" and inp.get("turn_detection", 0) is None):
        return None
    score, ev = 0.5, ['transcription model "gpt-realtime-whisper" with turn_detection null']
    updated = ctx.reply_after(updates[0], "session.updated")
    if any(ctx.before(a, updated) for a in ctx.appends()):
        score += 0.2
        ev.append("it streams audio before session.updated (appends are not gated)")
    return _fp("pipecat", score, ev)


def _check_beta(ctx: SessionView) -> Fingerprint | None:
    score, ev = 0.0, []
    old = [e for e in ctx.client if e.type == "transcription_session.update"]
    if old:
        score += 0.6
        ev.append(f"it sends transcription_session.update ({len(old)}x), the beta event")
    fields = sorted({f for e in ctx.updates() for f in beta_fields(e)})
    if fields:
        score += 0.3
        ev.append("beta field names in its session: " + ", ".join(fields))
    if any(
        as_dict(as_dict(e.event).get("error")).get("code") == "beta_api_shape_disabled"
        for e in ctx.server
    ):
        score += 0.4
        ev.append("the server refused the beta API shape (beta_api_shape_disabled)")
    return _fp("beta", score, ev) if score else None


def _check_openai_sdk(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if not updates:
        return None
    score, ev = 0.45, ['a GA session.update with session.type "transcription"']
    updated = ctx.reply_after(updates[0], "session.updated")
    appends = ctx.appends()
    if updated is not None and appends and not ctx.before(appends[0], updated):
        score += 0.1
        ev.append("it waited for session.updated before streaming audio")
    return _fp("openai-sdk", score, ev)


_CHECKS: tuple[Callable[[SessionView], Fingerprint | None], ...] = (
    _check_runner,
    _check_agents_stt,
    _check_livekit,
    _check_pipecat,
    _check_beta,
    _check_conversation_client,
    _check_openai_sdk,
)


# --- beta -> GA ----------------------------------------------------------------------------------


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
            fmt = _BETA_FORMATS.get(str(value), {"type": "audio/pcm", "rate": 24000})
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


# --- describing client events ------------------------------------------------------------


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
        for key in CONVERSATION_FIELDS:
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

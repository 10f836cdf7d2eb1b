"""Recognising the client library of one session from its traffic.

``fingerprint(entries)`` recognises the client of one session from frame contents and order alone
(a journal has no headers): the Agents SDK's RealtimeRunner and voice STT, LiveKit, Pipecat,
beta-era clients, conversation clients, the openai SDK (by the handshake headers the mock
journals) and hand-written clients. Each ``Fingerprint``
has a score and the evidence that matched (protocol.md §8, tests/data/evidence). Owns ``CLIENTS``
and the checks; the protocol's tables (realtime-only keys, VAD-less models, beta fields) are
imported from the core. Pure; must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mockrt.core.journal import Entry, Journal
from mockrt.core.options import VADLESS_MODELS
from mockrt.core.validation import REALTIME_ONLY_KEYS
from mockrt.diagnosis.betamap import beta_fields
from mockrt.diagnosis.frames import (
    SessionView,
    append_bytes,
    as_dict,
    audio_input,
    is_conversation_update,
    is_transcription_update,
    session_of,
)

__all__ = ["CLIENTS", "Fingerprint", "fingerprint"]

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
    "openai-sdk": "the openai SDK's realtime connection (client.realtime.connect)",
    "raw": "a WebSocket client written by hand (or a library not recognised)",
}


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
    fields = [k for k in REALTIME_ONLY_KEYS if k in session]
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
    """From traffic of pipecat-ai 1.14.0 (tests/data/traffic/pipecat.jsonl): it waits for
    session.created, sends one update of exactly format, transcription and turn_detection
    (null in its default local-VAD mode, gpt-realtime-whisper by default), and keeps streaming
    after each commit its local VAD makes (protocol.md §8.4)."""
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if not updates:
        return None
    session = session_of(updates[0])
    inp = audio_input(session)
    if set(session) != {"type", "audio"} or not {
        "format",
        "transcription",
        "turn_detection",
    } <= set(inp):
        return None
    score, ev = 0.0, []
    model = as_dict(inp.get("transcription")).get("model")
    if model == "gpt-realtime-whisper":
        score += 0.3
        ev.append('transcription model "gpt-realtime-whisper" (pipecat\'s default)')
    if inp.get("turn_detection", 0) is None:
        score += 0.25
        ev.append("turn_detection null: server VAD off, as pipecat's local-VAD mode sends it")
    commits = [c for c in ctx.client if c.type == "input_audio_buffer.commit"]
    appends = ctx.appends()
    if commits and all("event_id" not in as_dict(c.event) for c in commits):
        if appends and ctx.before(commits[0], appends[-1]):
            score += 0.25
            ev.append(
                "its audio keeps flowing after each commit (its local VAD commits turns "
                "mid-stream), commits without event_id"
            )
    created = ctx.first_server("session.created", "transcription_session.created")
    if score and created is not None and not ctx.before(updates[0], created):
        score += 0.05
        ev.append("it waited for session.created before configuring")
    return _fp("pipecat", score, ev) if score >= 0.45 else None


def _headers(ctx: SessionView) -> dict[str, str]:
    """The handshake headers the mock journaled on the session's first entry."""
    return dict(ctx.entries[0].client_headers or {}) if ctx.entries else {}


def _check_openai_sdk(ctx: SessionView) -> Fingerprint | None:
    """The openai SDK's handshake carries its User-Agent (``AsyncOpenAI/Python 3.57.0``) and
    the X-Stainless-* headers of every SDK request (tests/data/traffic/openai-sdk.jsonl)."""
    headers = _headers(ctx)
    agent = headers.get("user-agent", "")
    ev: list[str] = []
    score = 0.0
    if agent.startswith(("AsyncOpenAI/Python", "OpenAI/Python")):
        score += 0.6
        ev.append(f"its handshake's User-Agent is {agent!r}")
    if headers.get("x-stainless-lang"):
        score += 0.3
        version = headers.get("x-stainless-package-version", "?")
        ev.append(f"X-Stainless-Lang {headers['x-stainless-lang']!r}, package version {version}")
    return _fp("openai-sdk", score, ev) if score else None


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


def _check_raw(ctx: SessionView) -> Fingerprint | None:
    updates = [u for u in ctx.client if is_transcription_update(u)]
    if not updates:
        return None
    score, ev = 0.4, ['a GA session.update with session.type "transcription"']
    agent = _headers(ctx).get("user-agent")
    if agent:
        ev.append(f"its handshake's User-Agent is {agent!r}")
    updated = ctx.reply_after(updates[0], "session.updated")
    appends = ctx.appends()
    if updated is not None and appends and not ctx.before(appends[0], updated):
        score += 0.05
        ev.append("it waited for session.updated before streaming audio")
    return _fp("raw", score, ev)


_CHECKS: tuple[Callable[[SessionView], Fingerprint | None], ...] = (
    _check_runner,
    _check_agents_stt,
    _check_livekit,
    _check_pipecat,
    _check_beta,
    _check_conversation_client,
    _check_openai_sdk,
    _check_raw,
)

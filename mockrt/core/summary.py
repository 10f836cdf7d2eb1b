"""One readable line about a client frame (``summarize``) or a violation a session journaled
(``describe``), for logs and reports; API keys redacted. Must never import aiohttp or websockets.
"""

from __future__ import annotations

import json
from typing import Any

from mockrt.core.journal import Journal, Violation
from mockrt.core.scrub import redact

__all__ = ["describe", "summarize"]


def summarize(event: Any) -> str:
    """One line naming a client frame and its key fields, for logs and reports."""
    if not isinstance(event, dict):
        text = str(event)
        return f"non-JSON frame {text[:60]!r}" if not text.startswith("<") else text
    kind = event.get("type")
    parts: list[str] = []
    session = event.get("session")
    if isinstance(session, dict):
        if "type" in session:
            parts.append(f"session.type={json.dumps(session['type'])}")
        for key in ("model", "tracing", "output_modalities"):
            if key in session:
                parts.append(f"{key}={json.dumps(session[key])}")
        audio = session.get("audio")
        if isinstance(audio, dict) and isinstance(audio.get("input"), dict):
            transcription = audio["input"].get("transcription")
            if isinstance(transcription, dict) and "model" in transcription:
                parts.append(f"transcription.model={json.dumps(transcription['model'])}")
    if event.get("event_id") is not None:
        parts.append(f"event_id={json.dumps(event['event_id'])}")
    name = kind if isinstance(kind, str) else "event without a valid type"
    return f"{name} ({', '.join(parts)})" if parts else str(name)


def describe(journal: Journal, session_id: str, intent: str, violation: Violation) -> str:
    """``session sess_x: client event #1 session.update (…) on a transcription session ->
    rejected (invalid_parameter)``, with API keys redacted."""
    if violation.client_index is None:
        return redact(f"session {session_id}: {violation.message} -> error ({violation.code})")
    index = violation.client_index
    entry = journal.client_entry(index)
    frame = entry.event if entry is not None else None
    return redact(
        f"session {session_id}: client event #{index + 1} {summarize(frame)} "
        f"on a {intent} session -> rejected ({violation.code})"
    )

"""Advice on a transcription session that does not affect conformance: the report's notes.

``notes_for(ctx, infer)`` names what kept transcripts from arriving (audio sent before the
session was configured, no transcription model or an update setting one that was rejected, a
connection closed too early, audio never committed, VAD that heard nothing, audio at the wrong
sample rate) and errors a script injected. Pure; must never import aiohttp,
websockets or asyncio.
"""

from __future__ import annotations

import json

from mockrt.core.journal import Entry
from mockrt.diagnosis.findings import Note
from mockrt.diagnosis.frames import (
    SessionView,
    append_bytes,
    as_dict,
    audio_input,
    is_transcription_update,
    session_of,
)

__all__ = ["notes_for"]


def notes_for(ctx: SessionView, infer: bool) -> list[Note]:
    """The notes for one session; unless ``infer``, errors without a violation are a script's."""
    notes: list[Note] = []
    if ctx.kind() != "transcription":
        return notes
    appends = ctx.appends()
    configured = [u for u in ctx.client if is_transcription_update(u)]
    if configured and appends:
        updated = ctx.reply_after(configured[0], "session.updated", "error")
        early = [a for a in appends if ctx.before(a, updated)]
        if updated is not None and updated.type == "session.updated" and early:
            notes.append(
                Note(
                    "Audio was sent before the session was configured",
                    f"{len(early)} input_audio_buffer.append event(s) arrived before "
                    "session.updated confirmed the session.update. That audio is handled with "
                    "the previous settings, and a later commit can fail with "
                    "input_audio_buffer_commit_empty. Wait for session.updated before "
                    "streaming audio.",
                )
            )
    configs = [
        audio_input(session_of(e))
        for e in ctx.server
        if e.type in ("session.created", "session.updated")
    ]
    last = configs[-1] if configs else {}
    committed = [e for e in ctx.server if e.type == "input_audio_buffer.committed"]
    done = {
        as_dict(e.event).get("item_id")
        for e in ctx.server
        if e.type
        in (
            "conversation.item.input_audio_transcription.completed",
            "conversation.item.input_audio_transcription.failed",
        )
    }
    if committed and last.get("transcription") is None:
        notes.append(_no_model(ctx, len(committed)))
    else:
        pending = [e for e in committed if as_dict(e.event).get("item_id") not in done]
        if pending:
            notes.append(
                Note(
                    "The connection ended before every transcript arrived",
                    f"{len(pending)} committed turn(s) got no completed or failed event "
                    "before the journal ends. Keep the socket open until "
                    "conversation.item.input_audio_transcription.completed arrives for each "
                    "item_id (their order across turns is not guaranteed).",
                )
            )
    last_cut = max(
        (ctx.pos[id(e)] for e in ctx.entries if e.type in _CUTS),
        default=-1,
    )
    tail_bytes = sum(append_bytes(a.event) for a in appends if ctx.pos[id(a)] > last_cut)
    manual = "turn_detection" in last and last["turn_detection"] is None
    if manual and not committed and tail_bytes >= 4800:
        notes.append(
            Note(
                "Audio was never committed",
                f"{tail_bytes / 48000:.2f} s of audio (at 24 kHz) was appended and no turn was "
                "committed: turn_detection is null, so the server never cuts a turn by itself. "
                "Send input_audio_buffer.commit at the end of each utterance.",
            )
        )
    elif manual and committed and tail_bytes >= 48000:
        notes.append(
            Note(
                "Audio after the last commit was not transcribed",
                f"{len(committed)} turn(s) were committed, but {tail_bytes / 48000:.2f} s of "
                "audio (at 24 kHz) arrived after the last commit or clear and was never "
                "committed (turn_detection is null). If it held speech, commit it before "
                "closing; trailing silence needs nothing.",
            )
        )
    elif appends and not committed and last.get("turn_detection") and tail_bytes >= 48000:
        notes.append(
            Note(
                "Turn detection never heard speech",
                f"{tail_bytes / 48000:.2f} s of audio arrived but the server's VAD detected no "
                "speech, so nothing was committed. Check the audio: 24 kHz, 16-bit "
                "little-endian mono, not silent; or commit manually.",
            )
        )
    if not infer:
        injected = [e for e in ctx.server if e.type == "error" and e.violation is None]
        if injected:
            notes.append(
                Note(
                    "Errors injected by the script",
                    f"{len(injected)} error event(s) came from the mock's script (faults), "
                    "not from a client mistake; they do not count against the client.",
                )
            )
    return notes


def _no_model(ctx: SessionView, turns: int) -> Note:
    """No transcription model: say so, or, when an update set one and was rejected, say that
    update was rejected and why."""
    for update in reversed(ctx.updates()):
        transcription = audio_input(session_of(update)).get("transcription")
        if update.type == "transcription_session.update":
            transcription = session_of(update).get("input_audio_transcription")
        if not isinstance(transcription, dict) or "model" not in transcription:
            continue
        error = _rejection_of(ctx, update)
        if error is None:
            continue
        detail = as_dict(as_dict(error.event).get("error"))
        code = detail.get("code") or detail.get("type") or "error"
        return Note(
            "The update that set the transcription model was rejected",
            f"{turns} turn(s) were committed without a transcription model: client event "
            f"#{update.index + 1} set audio.input.transcription.model to "
            f"{json.dumps(transcription.get('model'))}, but the server rejected that whole "
            f"update ({code}: {json.dumps(detail.get('message'))}), so nothing in it was "
            "applied and transcription stayed off. Fix the error and the model takes effect.",
        )
    return Note(
        "No transcription model was configured",
        f"{turns} turn(s) were committed but audio.input.transcription was "
        "null, so no transcripts were produced (transcription is off by default). Set "
        'session.audio.input.transcription.model, e.g. "gpt-4o-transcribe".',
    )


def _rejection_of(ctx: SessionView, update: Entry) -> Entry | None:
    """The error that rejected ``update``: journaled against it, carrying its event_id, or the
    first reply after it when that is an error."""
    event_id = as_dict(update.event).get("event_id")
    for entry in ctx.server:
        if entry.type != "error":
            continue
        if entry.violation is not None and entry.violation.client_index == update.index:
            return entry
        error = as_dict(as_dict(entry.event).get("error"))
        if isinstance(event_id, str) and error.get("event_id") == event_id:
            return entry
    reply = ctx.reply_after(update, "session.updated", "transcription_session.updated", "error")
    if reply is not None and reply.type == "error" and reply.violation is None:
        return reply
    return None


_CUTS = frozenset(
    {
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "input_audio_buffer.committed",
        "input_audio_buffer.cleared",
    }
)

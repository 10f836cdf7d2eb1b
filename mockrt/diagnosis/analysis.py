"""Diagnosis: what a client sent, which rules it broke, why, and how to fix it.

Pure analysis of a ``Journal`` (the mock's own, or a capture of live traffic in the same JSON Lines
format). ``diagnose(journal)`` groups the entries per session, recognises the client
(``mockrt.diagnosis.fingerprints``) and turns every violation into a ``Problem``: the rule, the
error the live API sends, what happened, why and the fix (``mockrt.diagnosis.explanations``),
specific to the client where there is something specific to say; plus advice that does not affect
conformance (``mockrt.diagnosis.advice``). The result is a ``mockrt.diagnosis.report.Report``.
``mockrt diagnose`` and the inspector call it. No I/O, no clocks; must never import aiohttp,
websockets or asyncio.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from mockrt.core.errors import Rule
from mockrt.core.journal import Entry, Journal
from mockrt.core.validation import REALTIME_ONLY_KEYS
from mockrt.diagnosis.advice import notes_for
from mockrt.diagnosis.audiorate import rate_problem
from mockrt.diagnosis.catalogue import EXPLANATIONS
from mockrt.diagnosis.describe import describe_event
from mockrt.diagnosis.explanations import explain, extend, infer_rule
from mockrt.diagnosis.findings import (
    Connection,
    EventLine,
    Note,
    Problem,
    Refused,
    RunInfo,
    SessionReport,
)
from mockrt.diagnosis.fingerprints import Fingerprint, fingerprint
from mockrt.diagnosis.frames import (
    SessionView,
    append_bytes,
    as_dict,
    audio_input,
    session_of,
)
from mockrt.diagnosis.report import Report

__all__ = ["diagnose"]

JSON = dict[str, Any]


# --- the analysis --------------------------------------------------------------------------------


def diagnose(
    journal: Journal | Iterable[Entry],
    *,
    connections: Sequence[Connection] = (),
    run: RunInfo | None = None,
    infer: bool | None = None,
) -> Report:
    """Explain a journal: per session, the client events, the client, the problems, advice.

    ``infer``: whether ``error`` frames without a journaled violation are blamed on the client
    (a capture of live traffic) or taken as injected by a script (the mock's journal). ``None``
    decides from the journal: infer only when no entry carries a violation.
    """
    entries = list(journal)
    if infer is None:
        infer = not any(e.violation is not None for e in entries)
    by_session: dict[str, list[Entry]] = {}
    for entry in entries:
        by_session.setdefault(entry.session, []).append(entry)
    sessions = tuple(_session_report(SessionView(sid, es), infer) for sid, es in by_session.items())
    refused, notes = _connections(connections)
    if not sessions and not refused:
        notes.insert(0, _no_traffic(run))
    return Report(sessions, tuple(refused), tuple(notes), run, tuple(connections))


def _no_traffic(run: RunInfo | None) -> Note:
    if run is not None and run.returncode not in (0, None) and not run.timed_out:
        return Note(
            "The program ended before it reached the mock",
            f"It exited with status {run.returncode} before opening any connection; its own "
            "output above says why (often an exception or a missing package: is the right "
            "Python environment first on PATH?).",
        )
    return Note(
        "The program never reached the mock",
        "No WebSocket session and no request arrived. Check that the client takes its endpoint "
        "from the environment (OPENAI_BASE_URL, OPENAI_WEBSOCKET_BASE_URL, MOCKRT_URL or "
        "MOCKRT_TRANSCRIPTION_URL) rather than a hard-coded api.openai.com URL, and that it got "
        "far enough to connect.",
    )


def _connections(connections: Sequence[Connection]) -> tuple[list[Refused], list[Note]]:
    refused: list[Refused] = []
    notes: list[Note] = []
    for conn in connections:
        realtime = conn.path.startswith("/v1/realtime")
        if conn.rule is None and conn.status < 400:
            continue
        if conn.rule is None and not realtime:
            notes.append(
                Note(
                    f"{conn.method} {conn.path} is not part of the mock",
                    f"The program called {conn.path} (HTTP {conn.status} here). mockrt serves "
                    "only the Realtime API (/v1/realtime, /v1/realtime/client_secrets); this "
                    "request would go to the live API's other endpoints.",
                )
            )
            continue
        rule = conn.rule or (
            "http-unauthorized"
            if conn.status == 401
            else "http-not-found"
            if conn.status in (403, 404, 405)
            else "http-bad-request"
        )
        error = {k: v for k, v in (conn.error or {}).items() if k != "event_id"}
        query = "&".join(f"{k}={v}" for k, v in conn.query)
        target = f"{conn.method} {conn.path}{'?' + query if query else ''}"
        extra = " with the header OpenAI-Beta: realtime=v1" if conn.beta_header else ""
        ua = f" (User-Agent {conn.user_agent!r})" if conn.user_agent else ""
        if conn.status == 101:
            error["close"] = 4000
            how = "was upgraded, then got this error and a close with code 4000"
        else:
            error["status"] = conn.status
            how = f"was refused with HTTP {conn.status} before any session began"
        what = f"{target}{extra}{ua} {how}."
        explanation = EXPLANATIONS[rule]
        if (
            conn.user_agent
            and "livekit" in conn.user_agent.lower()
            and rule == Rule.MODEL_WITH_INTENT
        ):
            explanation = extend(
                explanation,
                why=" LiveKit adds model= to the URL whenever base_url is not api.openai.com.",
            )
        refused.append(Refused(conn, Problem(rule, error, (), what, explanation)))
    return refused, notes


def _session_report(ctx: SessionView, infer: bool) -> SessionReport:
    candidates = fingerprint(ctx.entries)
    client = candidates[0] if candidates else None
    problems = _problems(ctx, client, infer)
    numbers: dict[int, list[int]] = {}
    for n, problem in enumerate(problems, 1):
        for index in problem.events:
            numbers.setdefault(index, []).append(n)
    counts = Counter(e.type or "<not JSON>" for e in ctx.server)
    transcripts = tuple(
        str(as_dict(e.event).get("transcript", ""))
        for e in ctx.server
        if e.type == "conversation.item.input_audio_transcription.completed"
    )
    return SessionReport(
        id=ctx.id,
        kind=ctx.kind(),
        events=tuple(_event_lines(ctx, numbers)),
        client_types=tuple(e.type for e in ctx.client),
        server_counts=tuple(counts.items()),
        transcripts=transcripts,
        client=client,
        candidates=tuple(candidates),
        problems=tuple(problems),
        notes=tuple(notes_for(ctx, infer)),
    )


def _violations(ctx: SessionView, infer: bool) -> list[tuple[Entry, str, int | None]]:
    """(server error entry, rule, client index) for every error the client earned."""
    out: list[tuple[Entry, str, int | None]] = []
    for entry in ctx.server:
        if entry.violation is not None:
            out.append((entry, entry.violation.rule, entry.violation.client_index))
        elif infer and entry.type == "error":
            error = as_dict(as_dict(entry.event).get("error"))
            if error.get("type") == "server_error":
                continue
            out.append((entry, infer_rule(error), _blame(ctx, entry, error)))
    return out


def _blame(ctx: SessionView, error_entry: Entry, error: JSON) -> int | None:
    """The client event an un-annotated error belongs to: by event_id, else the latest
    non-append client event journaled before it."""
    event_id = error.get("event_id")
    if isinstance(event_id, str):
        for entry in ctx.client:
            if as_dict(entry.event).get("event_id") == event_id:
                return entry.index
    earlier = [c for c in ctx.client if ctx.before(c, error_entry)]
    # Appends are rarely the culprit and come by the hundred: prefer the last other event.
    candidates = [c for c in earlier if c.type != "input_audio_buffer.append"] or earlier
    return candidates[-1].index if candidates else None


def _problems(ctx: SessionView, client: Fingerprint | None, infer: bool) -> list[Problem]:
    groups: dict[tuple[str, str], list[tuple[Entry, int | None]]] = {}
    errors: dict[tuple[str, str], JSON] = {}
    for entry, rule, index in _violations(ctx, infer):
        error = {
            k: v
            for k, v in as_dict(as_dict(entry.event).get("error")).items()
            if k in ("type", "code", "message", "param")
        }
        key = (rule, str(error.get("message")))
        groups.setdefault(key, []).append((entry, index))
        errors.setdefault(key, error)
    by_index = {e.index: e for e in ctx.client}
    problems: list[Problem] = []
    for key, hits in groups.items():
        rule = key[0]
        indexes = tuple(sorted({i for _, i in hits if i is not None}))
        events = [by_index[i] for i in indexes if i in by_index]
        # The mock journals an unknown event type as invalid-value (param "type").
        unknown_type = rule == Rule.INVALID_VALUE and errors[key].get("param") == "type"
        explanation = explain(Rule.UNKNOWN_EVENT_TYPE if unknown_type else rule, client, events)
        tolerated = _tolerated(ctx, rule, client, events)
        what = _what(rule, events, errors[key])
        status = next((e.violation.text_status for e, _ in hits if e.violation is not None), None)
        problems.append(Problem(rule, errors[key], indexes, what, explanation, tolerated, status))
    rate = rate_problem(ctx)  # no error on the wire, but the transcripts come out wrong
    if rate is not None:
        problems.append(rate)
    return problems


def _tolerated(
    ctx: SessionView, rule: str, client: Fingerprint | None, events: list[Entry]
) -> str | None:
    if rule != Rule.COMMIT_EMPTY or client is None or client.client != "agents-voice-stt":
        return None
    if not events or not all(ctx.is_final_flush(event) for event in events):
        return None
    return (
        "expected: the Agents SDK ends input with this commit and ignores exactly this error "
        "when server VAD already committed the audio (agents/voice/models/openai_stt.py)"
    )


def _numbers(indexes: Iterable[int]) -> str:
    return ", ".join(f"#{i + 1}" for i in indexes)


def _what(rule: str, events: list[Entry], error: JSON) -> str:
    if not events:
        return "The server sent this error without naming a client event (e.g. at the handshake)."
    kinds = Counter(e.type or "frame" for e in events)
    what = ", ".join(f"{n} {t}" if n > 1 else t for t, n in kinds.items())
    plural = "s" if len(events) > 1 else ""
    subject = f"Client event{plural} {_numbers(e.index for e in events)} ({what})"
    param = error.get("param")
    if rule == Rule.REALTIME_UPDATE_ON_TRANSCRIPTION:
        session = session_of(events[0])
        shape = [f'session.type "{session["type"]}"'] if "type" in session else []
        shape += [k for k in REALTIME_ONLY_KEYS if k in session]
        if "output" in as_dict(session.get("audio")):
            shape.append("audio.output")
        return (
            f"{subject} configured a conversation session ({', '.join(shape)}) on a "
            f"transcription session; {'each' if plural else 'it'} was rejected and changed "
            "nothing."
        )
    if rule == Rule.COMMIT_EMPTY:
        return f"{subject} asked to commit a buffer holding less than 100 ms of new audio."
    if rule == Rule.BETA_SHAPE:
        return f"{subject} used the retired beta API shape."
    if param and rule == Rule.MISSING_PARAMETER:
        return f"{subject} lacked the required field {param}."
    if param and rule == Rule.UNKNOWN_PARAMETER:
        return f"{subject} had the field {param}, which the API does not know."
    if param and rule in (Rule.INVALID_VALUE, Rule.INVALID_TYPE, Rule.OUT_OF_RANGE):
        return f"{subject} set {param} to a value the API does not accept."
    if rule == Rule.UNSUPPORTED_IN_TRANSCRIPTION:
        return f"{subject} is not an event of a transcription session."
    return f"{subject} broke this rule; the error above is what the server answered."


# --- event lines ---------------------------------------------------------------------------------


def _event_lines(ctx: SessionView, problems: dict[int, list[int]]) -> list[EventLine]:
    lines: list[EventLine] = []
    run: list[Entry] = []
    bytes_per_ms = 48.0

    def flush() -> None:
        if not run:
            return
        sizes = [append_bytes(e.event) for e in run]
        total_ms = sum(sizes) / bytes_per_ms
        if len(run) == 1:
            summary = f"{sizes[0]:,} bytes ({sizes[0] / bytes_per_ms:.0f} ms)"
        else:
            low, high = min(sizes), max(sizes)
            each = f"{low:,} bytes" if low == high else f"{low:,}-{high:,} bytes"
            summary = f"x{len(run)}, {each} each, {total_ms / 1000:.2f} s of audio in all"
        marks = sorted({n for e in run for n in problems.get(e.index, [])})
        first, last = run[0], run[-1]
        lines.append(
            EventLine(first.index, last.index, first.time, first.type, summary, tuple(marks))
        )
        run.clear()

    for entry in ctx.entries:
        if entry.direction == "server":
            fmt = as_dict(audio_input(session_of(entry)).get("format")).get("type")
            if entry.type in ("session.created", "session.updated") and isinstance(fmt, str):
                flush()
                bytes_per_ms = 48.0 if fmt == "audio/pcm" else 8.0
            continue
        if entry.type == "input_audio_buffer.append":
            if run and problems.get(entry.index) != problems.get(run[-1].index):
                flush()
            run.append(entry)
            continue
        flush()
        lines.append(
            EventLine(
                entry.index,
                entry.index,
                entry.time,
                entry.type,
                describe_event(entry.event),
                tuple(problems.get(entry.index, [])),
            )
        )
    flush()
    return lines

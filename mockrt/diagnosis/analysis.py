"""Diagnosis: what a client sent, which rules it broke, why, and how to fix it.

Pure analysis of a ``Journal`` (the mock's own, or a capture of live traffic in the same JSON Lines
format). ``diagnose(journal)`` groups the entries per session, recognises the client
(``mockrt.diagnosis.fingerprints``) and turns every violation into a ``Problem``: the rule, the
error the live API sends, what happened, why and the fix (``mockrt.diagnosis.explanations``),
specific to the client where there is something specific to say; plus advice that does not affect
conformance (notes). ``Report.to_text()`` is for a person who never read the protocol,
``Report.to_json()`` for machines. ``mockrt diagnose`` and the inspector call it. No I/O, no clocks;
must never import aiohttp or websockets.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from mockrt.core.errors import Rule
from mockrt.core.journal import Entry, Journal
from mockrt.diagnosis.explanations import EXPLANATIONS, Explanation, explain, extend, infer_rule
from mockrt.diagnosis.fingerprints import (
    CONVERSATION_FIELDS,
    Fingerprint,
    SessionView,
    append_bytes,
    as_dict,
    audio_input,
    describe_event,
    fingerprint,
    is_transcription_update,
    session_of,
)

__all__ = [
    "Connection",
    "EventLine",
    "Note",
    "Problem",
    "Refused",
    "Report",
    "RunInfo",
    "SessionReport",
    "diagnose",
]

JSON = dict[str, Any]


# --- the result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """One rule broken by one or more client events, explained."""

    rule: str
    error: JSON  # {"type", "code", "message", "param"} as the live API sends it
    events: tuple[int, ...]  # client event indexes (0-based) that earned it
    what: str
    explanation: Explanation
    tolerated: str | None = None  # set when the client expects this error and ignores it

    def to_json(self, session: SessionReport | None = None) -> JSON:
        return {
            "rule": self.rule,
            "title": self.explanation.title,
            "error": self.error,
            "client_events": [
                {"index": i, "number": i + 1, "type": session.event_type(i) if session else None}
                for i in self.events
            ],
            "what_happened": self.what,
            "why": self.explanation.why,
            "fix": self.explanation.fix,
            "see": list(self.explanation.see),
            "tolerated": self.tolerated,
        }


@dataclass(frozen=True)
class EventLine:
    """A client event, or a run of consecutive appends, as the report lists it."""

    first: int
    last: int
    time: float
    type: str | None
    summary: str
    problems: tuple[int, ...] = ()  # 1-based problem numbers within the session

    def to_json(self) -> JSON:
        return {
            "index": self.first,
            "last_index": self.last,
            "count": self.last - self.first + 1,
            "time": round(self.time, 6),
            "type": self.type,
            "summary": self.summary,
            "problems": list(self.problems),
        }


@dataclass(frozen=True)
class Note:
    """Advice that does not make the client non-conformant."""

    title: str
    detail: str

    def to_json(self) -> JSON:
        return {"title": self.title, "detail": self.detail}


@dataclass(frozen=True)
class SessionReport:
    id: str
    kind: str  # "transcription", "realtime" or "unknown" (no session.created seen)
    events: tuple[EventLine, ...]
    client_types: tuple[str | None, ...]  # type of every client event, by index
    server_counts: tuple[tuple[str, int], ...]
    transcripts: tuple[str, ...]
    client: Fingerprint | None
    candidates: tuple[Fingerprint, ...]
    problems: tuple[Problem, ...]
    notes: tuple[Note, ...]

    @property
    def conformant(self) -> bool:
        return all(p.tolerated for p in self.problems)

    def event_type(self, index: int) -> str | None:
        return self.client_types[index] if 0 <= index < len(self.client_types) else None

    def to_json(self) -> JSON:
        return {
            "id": self.id,
            "kind": self.kind,
            "conformant": self.conformant,
            "client": None if self.client is None else self.client.to_json(),
            "candidates": [c.to_json() for c in self.candidates],
            "client_events": [e.to_json() for e in self.events],
            "server_events": dict(self.server_counts),
            "transcripts": list(self.transcripts),
            "problems": [p.to_json(self) for p in self.problems],
            "notes": [n.to_json() for n in self.notes],
        }


@dataclass(frozen=True)
class Connection:
    """One HTTP request the mock answered. Not in journals: ``mockrt diagnose`` records them, so
    connections refused before a session began (401, beta header, ``?model=`` with intent)
    are diagnosed too."""

    time: float
    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    user_agent: str | None = None
    beta_header: bool = False
    error: JSON | None = None  # the error object sent (HTTP body, or frame before close)
    rule: str | None = None

    def to_json(self) -> JSON:
        return {
            "time": round(self.time, 6),
            "method": self.method,
            "path": self.path,
            "query": dict(self.query),
            "status": self.status,
            "user_agent": self.user_agent,
            "beta_header": self.beta_header,
            "error": self.error,
            "rule": self.rule,
        }


@dataclass(frozen=True)
class Refused:
    connection: Connection
    problem: Problem


@dataclass(frozen=True)
class RunInfo:
    """How the program under diagnosis ran (filled in by ``mockrt diagnose -- COMMAND``)."""

    command: tuple[str, ...]
    returncode: int | None
    timed_out: bool
    timeout: float
    duration: float
    failed_to_start: str | None = None

    @property
    def failed(self) -> bool:
        return self.timed_out or self.failed_to_start is not None or self.returncode != 0

    def describe(self) -> str:
        cmd = shlex.join(self.command)
        if self.failed_to_start:
            return f"`{cmd}` could not be started: {self.failed_to_start}"
        if self.timed_out:
            return (
                f"`{cmd}` was still running after {self.timeout:g} s and was stopped "
                "(--timeout); the report covers the traffic up to then"
            )
        if self.returncode == 0:
            return f"`{cmd}` exited with status 0 after {self.duration:.1f} s"
        return (
            f"`{cmd}` exited with status {self.returncode} after {self.duration:.1f} s "
            "(its own output is above)"
        )

    def to_json(self) -> JSON:
        return {
            "command": list(self.command),
            "returncode": self.returncode,
            "timed_out": self.timed_out,
            "timeout": self.timeout,
            "duration": round(self.duration, 3),
            "failed_to_start": self.failed_to_start,
            "failed": self.failed,
        }


@dataclass(frozen=True)
class Report:
    sessions: tuple[SessionReport, ...]
    refused: tuple[Refused, ...] = ()
    notes: tuple[Note, ...] = ()
    run: RunInfo | None = None
    connections: tuple[Connection, ...] = ()  # every request, when mockrt diagnose ran it

    @property
    def conformant(self) -> bool:
        """True when the client reached the mock and broke no rule (tolerated errors aside)."""
        if not self.sessions and not self.refused:
            return False
        return not self.refused and all(s.conformant for s in self.sessions)

    @property
    def exit_code(self) -> int:
        """0 when conformant and the program (if any) succeeded, else 1."""
        return 0 if self.conformant and (self.run is None or not self.run.failed) else 1

    def problem_count(self) -> int:
        return len(self.refused) + sum(
            1 for s in self.sessions for p in s.problems if not p.tolerated
        )

    def to_json(self) -> JSON:
        return {
            "conformant": self.conformant,
            "exit_code": self.exit_code,
            "problems": self.problem_count(),
            "sessions": [s.to_json() for s in self.sessions],
            "refused_connections": [
                {"connection": r.connection.to_json(), "problem": r.problem.to_json()}
                for r in self.refused
            ],
            "notes": [n.to_json() for n in self.notes],
            "run": None if self.run is None else self.run.to_json(),
            "connections": [c.to_json() for c in self.connections],
        }

    def to_text(self) -> str:
        """The report for a person: per session, the client events, then each problem."""
        from mockrt.diagnosis.render import render

        return render(self)


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
        notes=tuple(_notes(ctx, infer)),
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
        problems.append(
            Problem(
                rule, errors[key], indexes, _what(rule, events, errors[key]), explanation, tolerated
            )
        )
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
        shape += [k for k in CONVERSATION_FIELDS if k in session]
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


# --- advice --------------------------------------------------------------------------------------


def _notes(ctx: SessionView, infer: bool) -> list[Note]:
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
        notes.append(
            Note(
                "No transcription model was configured",
                f"{len(committed)} turn(s) were committed but audio.input.transcription was "
                "null, so no transcripts were produced (transcription is off by default). Set "
                'session.audio.input.transcription.model, e.g. "gpt-4o-transcribe".',
            )
        )
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
    if tail_bytes >= 4800 and "turn_detection" in last and last["turn_detection"] is None:
        notes.append(
            Note(
                "Audio was never committed",
                f"{tail_bytes / 48000:.2f} s of audio (at 24 kHz) was appended after the last "
                "commit, and turn_detection is null, so the server never cuts a turn by "
                "itself. Send input_audio_buffer.commit at the end of each utterance.",
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


_CUTS = frozenset(
    {
        "input_audio_buffer.commit",
        "input_audio_buffer.clear",
        "input_audio_buffer.committed",
        "input_audio_buffer.cleared",
    }
)

"""Session: the sans-I/O protocol core of one realtime connection.

Client frames go in (``receive_text``, ``receive_bytes``; ``receive_texts`` for frames read
together, their audio heard in one pass), time is pushed in (``advance``,
``advance_to``), server events come out as the text frames to send (``texts_to_send``; parsed:
``events_to_send``); the adapter paces them with ``next_due``/``next_event_due`` and reports its
own failures with ``internal_error``. The session owns all scheduling: the audio and turn logic
(turns.py, turn_events.py) returns effects and never calls back. Ids and the wall-clock start are
injected, so tests compare whole events. Peer mistakes become ``error`` events worded as the live
API words them; caller mistakes raise ``InvalidState``.
Must never import aiohttp or websockets (tests/test_purity.py checks).
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel

from mockrt.core import errors
from mockrt.core.audio import decoded_length
from mockrt.core.client_events import (
    InputAudioBufferAppend,
    InputAudioBufferClear,
    InputAudioBufferCommit,
    SessionUpdate,
)
from mockrt.core.effects import ClientRef, Effect, Emit, Reject, violation_of
from mockrt.core.errors import ErrorDetail
from mockrt.core.exceptions import InvalidState
from mockrt.core.fastpath import b64_chars, decode_append
from mockrt.core.ids import CountingIds, Ids
from mockrt.core.journal import Entry, Journal, Violation
from mockrt.core.machine import State, next_state
from mockrt.core.options import Options
from mockrt.core.outbox import Outbox
from mockrt.core.persona import GA, Persona
from mockrt.core.script import Close, Fault, InjectError, fault_copies
from mockrt.core.scrub import client_frame_form
from mockrt.core.server_events import ErrorEvent
from mockrt.core.session_objects import (
    RealtimeSession,
    RealtimeSessionRequest,
    TranscriptionSession,
    TranscriptionSessionRequest,
)
from mockrt.core.sessionconf import (
    apply_realtime_update,
    apply_update,
    default_realtime_session,
    default_session,
)
from mockrt.core.transcriber import ScriptedTranscriber, Transcriber
from mockrt.core.turns import InputAudio
from mockrt.core.validation import Accepted, parse_client_text
from mockrt.core.wire import session_event

__all__ = ["Session"]

Intent = Literal["transcription", "realtime"]
_Request = TranscriptionSessionRequest | RealtimeSessionRequest


class Session:
    """One connection's protocol state: a transcription session or, far enough to tell them
    apart, a realtime (conversation) session."""

    def __init__(
        self,
        *,
        intent: Intent = "transcription",
        options: Options | None = None,
        ids: Ids | None = None,
        started_at: float = 0.0,
        initial: _Request | None = None,
        model: str | None = None,
        transcriber: Transcriber | None = None,
        persona: Persona = GA,
        refused_model: str | None = None,
    ) -> None:
        self.options = options or Options()
        self.refused_model = refused_model  # ?intent=transcription&model=X (protocol.md §11)
        self.persona = persona
        self.ids: Ids = ids or CountingIds()
        self.intent: Intent = intent
        self.id = self.ids.make("sess")
        self.state = State.OPEN
        self.now = 0.0  # seconds since the session began
        self.journal = Journal()
        self.close_request: tuple[int, str] | None = None
        self._expired = False
        self._client_count = 0
        self._outbox = Outbox(self.journal, self.id)
        expires_at = int(started_at) + self.options.session_seconds
        self.config: TranscriptionSession | RealtimeSession
        if intent == "transcription":
            self.config = default_session(
                self.id, expires_at, self.options, minted=initial is not None
            )
            if isinstance(initial, TranscriptionSessionRequest):
                # checked when the key was minted (a beta-minted one keeps the beta rule)
                configured = apply_update(self.config, initial, self.options, null_rule=False)
                if isinstance(configured, TranscriptionSession):
                    self.config = configured
        else:
            self.config = default_realtime_session(
                self.id, expires_at, model or self.options.realtime_model
            )
            if isinstance(initial, RealtimeSessionRequest):
                self.config = apply_realtime_update(self.config, initial.model_dump())
        transcriber = transcriber or ScriptedTranscriber()
        # Session-level faults come from the script (turn-level ones travel in each TurnPlan).
        scripted = transcriber.script if isinstance(transcriber, ScriptedTranscriber) else None
        self.faults: tuple[Fault, ...] = scripted.faults if scripted else ()
        self.audio = InputAudio(
            self.config,
            options=self.options,
            ids=self.ids,
            persona=self.persona,
            transcriber=transcriber,
            faults=self.faults,
        )
        timed = [f for f in self.faults if isinstance(f, InjectError | Close)]
        timed = [f for f in timed if f.after_event is not None]
        self._event_faults = sorted(timed, key=lambda f: f.after_event or 0)
        self._emit(self._session_event(created=True))

    # --- time ------------------------------------------------------------------------------

    def advance(self, ms: float) -> None:
        """Move the session clock forward by ``ms`` milliseconds."""
        self.advance_to(self.now + ms / 1000)

    def advance_to(self, seconds: float) -> None:
        """Move the session clock to ``seconds`` since the session began (never backwards)."""
        if seconds < self.now:
            return
        self.now = seconds
        if not self._expired and self.now >= self.options.session_seconds:
            self._expire()

    def next_due(self) -> float | None:
        """When (seconds since start) the next queued event or the session's expiry is due,
        or None."""
        due = self._outbox.next_due()
        if not self._expired:
            expiry = float(self.options.session_seconds)
            due = expiry if due is None else min(due, expiry)
        return due

    def next_event_due(self) -> float | None:
        """When (seconds since start) the next queued event is due, or None; unlike
        ``next_due`` the expiry does not count (an adapter running as fast as possible jumps
        from event to event, never to the expiry). None once a close is requested: nothing
        queued after it is ever sent."""
        if self.close_request is not None:
            return None
        return self._outbox.next_due()

    # --- output ----------------------------------------------------------------------------

    def _emit(
        self,
        event: BaseModel | dict[str, Any],
        delay_ms: float = 0.0,
        violation: Violation | None = None,
        turn: int | None = None,
    ) -> None:
        """Queue a server event, due ``delay_ms`` from now; drop, duplicate and delay faults
        for its type (and its turn, when it belongs to one) apply here."""
        copies = 1
        if self.faults:
            kind = event.get("type") if isinstance(event, dict) else getattr(event, "type", None)
            copies, delay_ms = fault_copies(self.faults, kind, turn, delay_ms)
        for _ in range(copies):
            self._outbox.schedule(event, self.now + delay_ms / 1000, violation)

    def _fire(
        self, fault: InjectError | Close, at_ms: float = 0.0, event_id: str | None = None
    ) -> None:
        """Carry out a scripted error injection or close, due ``at_ms`` from now (``-inf``:
        before anything already queued)."""
        if isinstance(fault, InjectError):
            error = fault.error.model_copy(update={"event_id": None})
            event = ErrorEvent(event_id=event_id or self.ids.make("event"), error=error)
            self._outbox.schedule(event, self.now + at_ms / 1000)
        else:
            self._outbox.schedule_close(self.now + at_ms / 1000, fault.code, fault.reason)

    def events_to_send(self) -> list[dict[str, Any]]:
        """``texts_to_send``, each parsed: a JSON-ready dict (tests, in-process use)."""
        return [json.loads(text) for text in self.texts_to_send()]

    def texts_to_send(self) -> list[str]:
        """The server events due now, in order, as the text frames to send (strict JSON)."""
        if self.state is State.CLOSED:
            return []
        out: list[str] = []
        while True:
            limit = None
            if self._event_faults:
                limit = max(0, (self._event_faults[0].after_event or 0) - self._outbox.sent_count)
            out.extend(self._outbox.drain(self.now, limit))
            if self._outbox.close is not None:
                code, reason = self._outbox.close
                self.request_close(code, reason, "expire" if self._expired else "close_fault")
                return out
            if not self._event_faults or self._outbox.sent_count < (
                self._event_faults[0].after_event or 0
            ):
                return out
            # An event-count fault acts right after the N-th event, before anything queued.
            fault = self._event_faults.pop(0)
            if isinstance(fault, Close):
                self._outbox.close = (fault.code, fault.reason)
            else:
                self._fire(fault, at_ms=float("-inf"))

    def internal_error(self) -> None:
        """The adapter failed on a client frame (a bug of ours): the client gets the live
        ``server_error`` event and the session goes on."""
        self._emit(errors.server_error().event(self.ids.make("event"), None))

    def _apply(self, effects: list[Effect]) -> None:
        """Schedule what the audio and turn logic decided, in its order."""
        for effect in effects:
            if isinstance(effect, Emit):
                self._emit(effect.event, effect.delay_ms, turn=effect.turn)
            elif isinstance(effect, Reject):
                self._reject(effect.detail, effect.ref)
            else:
                self._fire(effect.fault, effect.at_ms, effect.event_id)

    # --- input -----------------------------------------------------------------------------

    def receive_text(self, text: str) -> None:
        """Handle one client text frame."""
        if self.state is not State.OPEN:  # a text frame leaves an open session open
            self._transition("text_frame")
        index = self._client_count
        self._client_count = index + 1
        fast = decode_append(text)  # nearly every frame: one msgspec decode, audio included
        if fast is not None:
            self._receive_append(fast.audio, fast.event_id, index)
            return
        self._apply(self.audio.hear())  # audio held before this frame (receive_texts) first
        result = parse_client_text(
            text,
            transcription=self.intent == "transcription",
            options=self.options,
            persona=self.persona,
        )
        if not isinstance(result, Accepted):
            self._journal_client(index, client_frame_form(text, result.raw), min(len(text), 1400))
            if self.state is State.OPEN:
                self._reject(result.error, ClientRef(index, result.event_type, result.event_id))
            return
        event = result.event
        if isinstance(event, InputAudioBufferAppend):  # base64 the fast path did not take
            self._receive_append(event.audio, event.event_id, index)
            return
        if result.strict:  # kept as its text, parsed again only when read (appendlog.py)
            self.journal.add_text(self.now, self.id, index, text)
        else:
            form = result.raw or event.model_dump(mode="json", exclude_unset=True)
            self._journal_client(index, form, len(text))
        if self.state is not State.OPEN:
            return
        ref = ClientRef(index, event.type, event.event_id)
        if isinstance(event, SessionUpdate):
            # without a null in the text, the null rule has nothing to look at
            self._session_update(event.session, ref, null_rule="null" in text)
        elif isinstance(event, InputAudioBufferCommit):
            self._apply(self.audio.commit(ref))
        elif isinstance(event, InputAudioBufferClear):
            self._apply(self.audio.clear(ref))
        else:  # beta persona: mockrt.core.beta loads with the first beta session (issue 15)
            from mockrt.core.beta import TranscriptionSessionUpdate, ga_request_from_beta

            if isinstance(event, TranscriptionSessionUpdate):  # converted to GA, merged alike
                ga = ga_request_from_beta(event.session)
                request = TranscriptionSessionRequest.model_validate(ga)
                self._session_update(request, ref, null_rule=False)  # beta: null clears

    def _receive_append(self, audio: bytes | str, event_id: str | None, index: int) -> None:
        """``input_audio_buffer.append``: audio the fast path decoded (or base64 it left), journaled
        compactly. The per-frame path: keep it lean; nothing may cost more as the session grows."""
        if isinstance(audio, bytes):
            chars, size = b64_chars(len(audio)), len(audio)
        else:
            chars, size = len(audio), decoded_length(audio)
        self.journal.add_append(self.now, self.id, index, chars, size, event_id)
        if self.state is State.OPEN:
            if isinstance(audio, bytes):
                effects = self.audio.append_raw(audio, index, event_id)
            else:
                effects = self.audio.append(audio, index, event_id, size)
            if effects:
                self._apply(effects)

    def receive_texts(self, texts: list[str]) -> None:
        """Client text frames received together (one read of the socket): ``receive_text`` of
        each in turn, except that the audio of consecutive appends is heard in one pass."""
        self.audio.hold()
        try:
            for text in texts:
                self.receive_text(text)
        finally:
            self._apply(self.audio.release())

    @property
    def frames_received(self) -> int:
        """Client frames received so far, text and binary."""
        return self._client_count

    def receive_bytes(self, data: bytes) -> None:
        """Handle one client binary frame: always an error, the connection stays usable."""
        self._apply(self.audio.hear())
        self._transition("binary_frame")
        index = self._client_count
        self._client_count = index + 1
        self._journal_client(index, f"<binary frame of {len(data)} bytes>", 32)
        if self.state is State.OPEN:
            self._reject(errors.binary_frame(), ClientRef(index, None, None))

    def close(self) -> None:
        """The connection is gone; later calls to ``receive_*`` raise ``InvalidState``."""
        self.state = State.CLOSED

    @property
    def closed(self) -> bool:
        return self.state is State.CLOSED

    def request_close(self, code: int, reason: str, event: str = "close_fault") -> None:
        """Ask the adapter to close the socket once the events due now are sent; anything
        scheduled later is never sent."""
        if self.state is State.OPEN:
            self._transition(event)
            self.close_request = (code, reason)

    # --- rules -----------------------------------------------------------------------------

    def _reject(self, detail: ErrorDetail, ref: ClientRef, delay_ms: float = 0.0) -> None:
        """Send the ``error`` event for ``detail``, journaled with the rule and the cause."""
        event = detail.event(self.ids.make("event"), ref.event_id)
        self._emit(event, delay_ms, violation_of(detail, ref))

    def _session_event(self, created: bool) -> BaseModel | dict[str, Any]:
        """``session.created``/``.updated``, as sent (or the beta ``transcription_session.*``)."""
        event_id = self.ids.make("event")
        if self.persona.name == "beta" and isinstance(self.config, TranscriptionSession):
            from mockrt.core import beta as b

            beta = b.TranscriptionSessionCreated if created else b.TranscriptionSessionUpdated
            return beta(event_id=event_id, session=b.beta_session_from_ga(self.config))
        kind = "session.created" if created else "session.updated"
        return session_event(kind, event_id, self.config)  # its session dumped once

    def _session_update(self, request: _Request, ref: ClientRef, null_rule: bool = True) -> None:
        if self.refused_model is not None and isinstance(request, TranscriptionSessionRequest):
            self._reject(errors.model_not_supported_in_transcription(self.refused_model), ref)
            self._outbox.schedule_close(self.now, 4000, errors.INVALID_MODEL_CLOSE_REASON)
            return
        if isinstance(self.config, TranscriptionSession) and isinstance(
            request, TranscriptionSessionRequest
        ):
            updated = apply_update(  # self.audio runs the current config's turn detection
                self.config, request, self.options, null_rule=null_rule, current_runs=True
            )
            if isinstance(updated, ErrorDetail):
                self._reject(updated, ref)
                return
            self.config = updated
            self._apply(self.audio.reconfigure(updated))
        elif isinstance(self.config, RealtimeSession):
            self.config = apply_realtime_update(self.config, request.model_dump())
            self._apply(self.audio.reconfigure(self.config))  # its commits read the transcription
        # The reply never echoes the client's event_id (session_update_event.py docstring).
        self._emit(self._session_event(created=False))

    def _expire(self) -> None:
        self._expired = True
        minutes = self.options.session_seconds // 60
        self._reject(errors.session_expired(minutes), ClientRef(None, None, None))
        # UNCONFIRMED close code: the pattern of the beta close (4000, "<type>.<code>").
        self._outbox.schedule_close(self.now, 4000, "invalid_request_error.session_expired")

    # --- bookkeeping -------------------------------------------------------------------------

    def _transition(self, event: str) -> None:
        state = next_state(self.state, event)
        if state is None:
            raise InvalidState(f"{event} is not allowed when the session is {self.state}")
        self.state = state

    def _journal_client(self, index: int, frame: Any, size: int) -> None:
        """``frame`` is the parsed JSON, or the raw text of a frame that is not JSON."""
        self.journal.add(Entry("client", self.now, self.id, frame, index), size)

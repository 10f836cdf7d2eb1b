"""The events of one committed turn, in the live order, with its scripted point faults.

``committed`` → ``conversation.item.added`` → ``conversation.item.done`` (the beta persona:
``conversation.item.created``) → deltas → ``completed`` or ``failed`` (protocol.md §5.1, §5.2).
Streaming models (gpt-live-transcribe, gpt-realtime-whisper) send some deltas before the commit,
in audio time (``mockrt.core.streaming``, protocol.md §5.3): ``early`` says how many, and the
rest follow ``committed`` here. Returns effects; never calls back into the Session. Must never
import aiohttp or websockets, nor the session.
"""

from __future__ import annotations

from pydantic import BaseModel

from mockrt.core.effects import Effect, Emit, Fire
from mockrt.core.ids import Ids
from mockrt.core.script import Close, InjectError, TurnPoint
from mockrt.core.server_events import (
    ConversationItemAdded,
    ConversationItemCreated,
    ConversationItemDone,
    InputAudioBufferCommitted,
    InputAudioContent,
    InputAudioTranscriptionCompleted,
    InputAudioTranscriptionDelta,
    InputAudioTranscriptionFailed,
    TranscriptionLanguage,
    UserAudioItem,
)
from mockrt.core.transcriber import TurnPlan

__all__ = ["delta_event", "point_faults", "turn_events"]


def turn_events(
    *,
    ids: Ids,
    index: int,
    item_id: str,
    previous: str | None,
    plan: TurnPlan | None,
    faults: tuple[object, ...],
    early: int,
    item_created: bool,
) -> list[Effect]:
    """The effects of committed turn ``index`` (item ``item_id`` after ``previous``): its events
    and its point faults, in order. ``plan`` None: no transcription model, no transcript;
    ``early``: deltas a streaming turn sent before the commit (their ``first_delta`` faults
    fired then); ``item_created``: the beta item event."""
    turn = _Turn(ids, index, faults, skip=("first_delta",) if early else ())
    deltas = list(plan.deltas) if plan and plan.failure is None else []
    last = len(deltas) - 1
    turn.emit(
        InputAudioBufferCommitted(
            event_id=ids.make("event"), previous_item_id=previous, item_id=item_id
        ),
        0,
        "committed",
    )
    item = UserAudioItem(id=item_id, content=[InputAudioContent(transcript=None)])
    if item_created:
        turn.emit(
            ConversationItemCreated(
                event_id=ids.make("event"), previous_item_id=previous, item=item
            ),
            0,
            "item_added",
        )
    else:
        turn.emit(
            ConversationItemAdded(event_id=ids.make("event"), previous_item_id=previous, item=item),
            0,
            "item_added",
        )
        turn.emit(
            ConversationItemDone(event_id=ids.make("event"), previous_item_id=previous, item=item),
            0,
            "item_done",
        )
    if plan is None:
        turn.finish(0.0)
        return turn.out
    at = float(plan.first_delta_ms)
    if plan.failure is not None:
        turn.emit(
            InputAudioTranscriptionFailed(
                event_id=ids.make("event"), item_id=item_id, error=plan.failure
            ),
            plan.final_offset_ms,
            "completed",
        )
        turn.finish(plan.final_offset_ms)
        return turn.out
    for i in range(early, len(deltas)):
        if i > early:
            at += plan.between_deltas_ms
        turn.emit(delta_event(ids, item_id, plan, i), at, None)
        if i == 0:
            turn.point("first_delta", at)
        if i == last:
            turn.point("last_delta", at)
    at += plan.completed_ms
    all_logprobs = None
    if plan.logprobs is not None:
        all_logprobs = [p for chunk in plan.logprobs for p in chunk]
    languages = None
    if plan.languages is not None:
        languages = [TranscriptionLanguage(code=code) for code in plan.languages]
    turn.emit(
        InputAudioTranscriptionCompleted(
            event_id=ids.make("event"),
            item_id=item_id,
            transcript=plan.transcript,
            usage=plan.usage,
            logprobs=all_logprobs,
            languages=languages,
        ),
        at,
        "completed",
    )
    turn.finish(at)
    return turn.out


def delta_event(ids: Ids, item_id: str, plan: TurnPlan, i: int) -> InputAudioTranscriptionDelta:
    """The ``i``-th delta of ``plan`` for item ``item_id``, with its logprobs when asked."""
    logprobs = None
    if plan.logprobs is not None:
        logprobs = list(plan.logprobs[i])
    return InputAudioTranscriptionDelta(
        event_id=ids.make("event"),
        item_id=item_id,
        delta=plan.deltas[i],
        logprobs=logprobs,
    )


def point_faults(
    ids: Ids, index: int, faults: tuple[object, ...], point: TurnPoint
) -> list[Effect]:
    """The point faults of turn ``index`` due at ``point``, now (a streaming turn's first delta
    before the commit)."""
    turn = _Turn(ids, index, faults)
    turn.point(point, 0.0)
    return turn.out


class _Turn:
    """Collects one turn's events, with its point faults (inject an error, close) in place."""

    def __init__(
        self, ids: Ids, index: int, faults: tuple[object, ...], skip: tuple[TurnPoint, ...] = ()
    ) -> None:
        self.out: list[Effect] = []
        self.ids = ids
        self.index = index
        self.faults = [
            f
            for f in faults
            if isinstance(f, InjectError | Close) and f.at_turn == index and f.after not in skip
        ]
        self.fired: set[int] = set()

    def emit(self, event: BaseModel, at_ms: float, point: TurnPoint | None) -> None:
        self.out.append(Emit(event, at_ms, self.index))
        if point is not None:
            self.point(point, at_ms)

    def point(self, point: TurnPoint, at_ms: float) -> None:
        for n, fault in enumerate(self.faults):
            if n in self.fired or fault.after != point:
                continue
            self.fired.add(n)
            self._fire(fault, at_ms)

    def finish(self, at_ms: float) -> None:
        """Points the turn never reached (no transcript, a failure) fire at its end."""
        for n, fault in enumerate(self.faults):
            if n not in self.fired:
                self.fired.add(n)
                self._fire(fault, at_ms)

    def _fire(self, fault: InjectError | Close, at_ms: float) -> None:
        event_id = self.ids.make("event") if isinstance(fault, InjectError) else None
        self.out.append(Fire(fault, at_ms, event_id))

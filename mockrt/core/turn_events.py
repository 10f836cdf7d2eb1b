"""The events of one committed turn, in the live order, with its scripted point faults.

``committed`` → ``conversation.item.added`` → ``conversation.item.done`` (the beta persona:
``conversation.item.created``) → deltas → ``completed`` or ``failed`` (protocol.md §5.1, §5.2).
Models without VAD (gpt-live-transcribe, gpt-realtime-whisper) stream deltas before the commit
live [live-JP]; here all but the last delta of such a turn are sent just before its
``committed``, with the item's id — the live order, with the timing collapsed to the commit (an
approximation). Returns effects; never calls back into the Session. Must never import aiohttp or
websockets, nor the session.
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

__all__ = ["turn_events"]


def turn_events(
    *,
    ids: Ids,
    index: int,
    item_id: str,
    previous: str | None,
    plan: TurnPlan | None,
    faults: tuple[object, ...],
    early_deltas: bool,
    item_created: bool,
) -> list[Effect]:
    """The effects of committed turn ``index`` (item ``item_id`` after ``previous``): its events
    and its point faults, in order. ``plan`` None: no transcription model, no transcript;
    ``early_deltas``: a model without VAD; ``item_created``: the beta item event."""
    turn = _Turn(ids, index, faults)
    deltas = list(plan.deltas) if plan and plan.failure is None else []
    early: list[str] = []
    if early_deltas:
        early, deltas = deltas[:-1], deltas[-1:]
    last = len(deltas) + len(early) - 1
    for i, delta in enumerate(early):
        turn.emit(_delta(ids, item_id, delta, plan, i), 0, "first_delta" if i == 0 else None)
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
    for i, delta in enumerate(deltas, start=len(early)):
        if i > len(early):
            at += plan.between_deltas_ms
        turn.emit(_delta(ids, item_id, delta, plan, i), at, None)
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


def _delta(
    ids: Ids, item_id: str, delta: str, plan: TurnPlan | None, i: int
) -> InputAudioTranscriptionDelta:
    logprobs = None
    if plan is not None and plan.logprobs is not None:
        logprobs = list(plan.logprobs[i])
    return InputAudioTranscriptionDelta(
        event_id=ids.make("event"),
        item_id=item_id,
        delta=delta,
        logprobs=logprobs,
    )


class _Turn:
    """Collects one turn's events, with its point faults (inject an error, close) in place."""

    def __init__(self, ids: Ids, index: int, faults: tuple[object, ...]) -> None:
        self.out: list[Effect] = []
        self.ids = ids
        self.index = index
        self.faults = [
            f for f in faults if isinstance(f, InjectError | Close) and f.at_turn == index
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

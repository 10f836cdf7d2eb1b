"""Verdicts of a client on a client case, Autobahn|Testsuite style: OK, NON-STRICT (works but
deviates; the reason says how), FAILED, UNIMPLEMENTED, each with a one-line reason. Built from
what the application saw (``ClientRun``) and the client checks over the run's frames
(``conformance.client_checks``). Pure: no I/O; must never import aiohttp, websockets or asyncio.

The order of judgement: a driver that cannot run is UNIMPLEMENTED; a severe client rule broken
(a realtime update on a transcription session, beta shapes on GA, mislabelled audio) is FAILED
with that rule as the reason; then what the application got: a missing transcript, or an
exception where the case allows none, is FAILED; a duplicated or reordered transcript, an error
event the case does not expect, a close the application never noticed, or a lesser rule broken
(audio before the configuration, a commit under 100 ms, a frame off the schema) is NON-STRICT.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from conformance.client_checks import SEVERE
from conformance.clientcases import ClientCase
from conformance.invariants import FrameViolation
from conformance.results import Verdict

if TYPE_CHECKING:  # conformance.clients.base imports asyncio for its Recorder
    from conformance.clients.base import ClientRun

__all__ = ["REASON_LIMIT", "ClientVerdict", "judge"]

REASON_LIMIT = 400


@dataclass(frozen=True)
class ClientVerdict:
    verdict: Verdict
    reason: str
    violations: tuple[FrameViolation, ...] = ()


def _quote(texts: list[str] | tuple[str, ...]) -> str:
    return ", ".join(repr(t) for t in texts)


def _first_problem(run: ClientRun) -> str:
    """The first error event or exception the application saw, as a clause."""
    if run.errors:
        e = run.errors[0]
        return f"; first error: {e.code or 'error'}: {e.message}"
    if run.exceptions:
        e = run.exceptions[0]
        return f"; raised {e.code}: {e.message}"
    return ""


def _session_kind(records: list[dict[str, Any]] | None) -> str | None:
    for record in records or []:
        event = record.get("event")
        if record.get("direction") == "server" and isinstance(event, dict):
            if event.get("type") == "session.created" and isinstance(event.get("session"), dict):
                return str(event["session"].get("type"))
            if event.get("type") == "transcription_session.created":
                return "transcription"
    return None


def judge(
    case: ClientCase,
    run: ClientRun,
    violations: list[FrameViolation],
    records: list[dict[str, Any]] | None = None,
) -> ClientVerdict:
    """The verdict of ``run`` on ``case``. ``records`` (the run's frames, None when no journal
    could be read: a live or URL target) tells which session the client opened. The reason is
    one line of at most ``REASON_LIMIT`` characters (a library's error text can run to pages)."""
    verdict = _judge(case, run, violations, records)
    reason = " ".join(verdict.reason.split())
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 3] + "..."
    return ClientVerdict(verdict.verdict, reason, verdict.violations)


def _judge(
    case: ClientCase,
    run: ClientRun,
    violations: list[FrameViolation],
    records: list[dict[str, Any]] | None = None,
) -> ClientVerdict:
    if run.unimplemented is not None:
        return ClientVerdict("UNIMPLEMENTED", run.unimplemented)
    found = tuple(violations)
    severe = [v for v in found if v.rule in SEVERE]
    if severe:
        return ClientVerdict("FAILED", severe[0].message, found)
    got, wanted = run.transcripts, list(case.expect.transcripts)
    missing = [t for t in wanted if t not in got]
    if missing:
        kind = _session_kind(records)
        if records is not None and not records and run.errors:
            e = run.errors[0]
            why = (
                f"refused before a session opened: {e.code or 'error'}: {e.message}; "
                "the application got no transcripts"
            )
            return ClientVerdict("FAILED", why, found)
        if kind is not None and kind != "transcription":
            why = (
                f"opened a {kind} session, not a transcription session "
                "(no ?intent=transcription); the application got no transcripts"
            )
        else:
            why = (
                f"the application got {len(wanted) - len(missing)} of {len(wanted)} transcripts "
                f"(missing {_quote(missing)})"
            )
        if records is not None and not records:
            why += "; the mock saw no session"
        return ClientVerdict("FAILED", why + _first_problem(run), found)
    if run.exceptions and case.expect.exceptions == "forbidden":
        e = run.exceptions[0]
        return ClientVerdict(
            "FAILED", f"an exception reached the application: {e.code}: {e.message}", found
        )
    deviations: list[str] = []
    extra = [t for t in got if got.count(t) > wanted.count(t) and t in wanted]
    if extra:
        deviations.append(f"showed {_quote(sorted(set(extra)))} more than once")
    stray = [t for t in got if t not in wanted]
    if stray:
        deviations.append(f"showed transcripts no turn had: {_quote(stray)}")
    firsts = [t for i, t in enumerate(got) if t in wanted and t not in got[:i]]
    if firsts != [t for t in wanted if t in firsts]:
        deviations.append("showed the transcripts in completion order, not speech order")
    if run.errors and case.expect.errors == "forbidden":
        e = run.errors[0]
        deviations.append(f"was handed an error: {e.code or 'error'}: {e.message}")
    if case.expect.notice_close and run.closed is None and not run.exceptions:
        deviations.append("was never told the server closed the connection")
    lesser = [v for v in found if v.rule not in SEVERE]
    if lesser:
        deviations.append(lesser[0].message)
    if deviations:
        return ClientVerdict("NON-STRICT", "; ".join(deviations), found)
    return ClientVerdict("OK", "as expected", found)

"""The inspector: look at the mock's sessions while an app runs against it.

``add_routes(app)`` adds to an application from ``mockrt.serve.server.create_app``:

    GET /mockrt/sessions                  JSON list: every session (id, intent, open/closed,
                                          frame and violation counts, created time, client)
    GET /mockrt/sessions/{id}/journal     JSON: the session's entries with their violations
                                          (API keys redacted) and its diagnosis; ?since=N skips
                                          the first N entries; 404 JSON for an unknown id
    GET /mockrt/                          HTML: the session list (refreshes itself)
    GET /mockrt/sessions/{id}             HTML: the diagnosis and the journal of one session

When the server has ``api_keys`` (``mockrt serve --api-key``), every route asks for one of them
as the API does (``Authorization: Bearer <key>``), else 401 with the API's error body. Nothing
shown contains audio (the journal summarises every ``audio`` string) or a raw control character
or lone surrogate (escaped), so no client frame can make a page fail.

With ``mockrt serve --workers N`` the worker that gets a request answers for all
(``mockrt.serve.fanout``): the session list merges every worker's sessions, each row tagged
with its ``worker``, and a session another worker holds is fetched from it.

It only reads ``app[STATE]``; calling it twice adds the routes once. ``mockrt.serve.server`` is
imported when a route is added or served, not at import time, so ``create_app`` may import this
module; ``mockrt.diagnosis`` is imported when a page is first served, not at ``mockrt serve``'s
start-up (issue 15: the server imports only what serving needs).
"""

from __future__ import annotations

import html
import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from mockrt.core.error_texts import status_note
from mockrt.core.handshake import HttpReject, decide
from mockrt.core.journal import Entry
from mockrt.core.scrub import escape_controls, redact

if TYPE_CHECKING:
    from mockrt.core.session import Session
    from mockrt.serve.state import ServerState

__all__ = ["ROUTE_NAME", "add_routes", "session_summary"]

ROUTE_NAME = "mockrt-inspector-sessions"  # present once the routes are added


def add_routes(app: web.Application) -> None:
    """Add the inspector's routes to ``app`` (a no-op when they are there already)."""
    if ROUTE_NAME in app.router.named_resources():
        return
    app.router.add_get("/mockrt/sessions", _locked(_sessions_json), name=ROUTE_NAME)
    app.router.add_get("/mockrt/sessions/{id}/journal", _locked(_journal_json))
    app.router.add_get("/mockrt/sessions/{id}", _locked(_session_html))
    app.router.add_get("/mockrt/", _locked(_sessions_html))
    app.router.add_get("/mockrt", _locked(_sessions_html))


Handler = Callable[[web.Request], Awaitable[web.Response]]


def _locked(handler: Handler) -> Handler:
    """``handler`` behind the API's key check when the server only accepts given keys."""

    async def checked(request: web.Request) -> web.Response:
        state = _state(request)
        if state.config.api_keys:
            decision = decide(
                {},
                request.headers,
                [],
                state.keys,
                state.config.options,
                state.config.wall_clock(),
            )
            if isinstance(decision, HttpReject):
                return web.json_response(decision.body, status=decision.status)
        return await handler(request)

    return checked


def _state(request: web.Request) -> ServerState:
    from mockrt.serve.state import STATE

    return request.app[STATE]


def _all_sessions(state: ServerState) -> list[tuple[Session, bool]]:
    """(session, open) for every session, finished ones first."""
    return [(s, False) for s in state.finished] + [
        (live.session, True) for live in state.live.values()
    ]


def _find(state: ServerState, session_id: str) -> tuple[Session, bool] | None:
    live = state.live.get(session_id)
    if live is not None:
        return live.session, True
    return next(((s, False) for s in state.finished if s.id == session_id), None)


def session_summary(session: Session, is_open: bool) -> dict[str, Any]:
    """One row of ``GET /mockrt/sessions``."""
    from mockrt.diagnosis.analysis import diagnose

    entries = session.journal.entries
    report = diagnose(entries, infer=False).sessions
    client = report[0].client if report else None
    return {
        "id": session.id,
        "intent": session.intent,
        "state": "open" if is_open else "closed",
        "client_frames": sum(1 for e in entries if e.direction == "client"),
        "server_frames": sum(1 for e in entries if e.direction == "server"),
        "violations": sum(1 for e in entries if e.violation is not None),
        "created_at": session.config.expires_at - session.options.session_seconds,
        "client": None if client is None else client.name,
        "journal": f"/mockrt/sessions/{session.id}/journal",
        "html": f"/mockrt/sessions/{session.id}",
    }


def _json(body: Any, status: int = 200) -> web.Response:
    # ASCII escapes: a lone surrogate a client sent cannot be encoded as UTF-8.
    text = redact(json.dumps(body, ensure_ascii=True))
    return web.Response(text=text, status=status, content_type="application/json")


def _not_found(session_id: str) -> web.Response:
    return _json(
        {
            "error": {
                "message": f"No session with id '{session_id}'.",
                "type": "invalid_request_error",
                "code": "not_found",
            }
        },
        404,
    )


def _row(request: web.Request, session: Session, is_open: bool) -> dict[str, Any]:
    """``session_summary``; with several workers, tagged with this worker's number."""
    from mockrt.serve.fanout import worker_of

    row = session_summary(session, is_open)
    worker = worker_of(request.app)
    if worker is not None:
        row["worker"] = worker.index
    return row


def _rows(request: web.Request) -> list[dict[str, Any]]:
    return [_row(request, s, is_open) for s, is_open in _all_sessions(_state(request))]


async def _all_rows(request: web.Request) -> list[dict[str, Any]] | web.Response:
    """Every worker's rows, this one's first (a 502 response if a sibling did not answer)."""
    from mockrt.serve.fanout import SiblingError, ask_siblings

    rows = _rows(request)
    try:
        replies = await ask_siblings(request.clone(rel_url="/mockrt/sessions"))
    except SiblingError as exc:
        return exc.response()
    for reply in replies:
        if reply.status != 200 or not isinstance(reply.body, list):
            return _json({"error": {"message": f"worker {reply.worker}: {reply.body}"}}, 502)
        rows += reply.body
    return rows


async def _elsewhere(request: web.Request) -> web.Response | None:
    """A session this worker does not hold: the answer of the sibling that holds it."""
    from mockrt.serve.fanout import SiblingError, ask_siblings

    try:
        replies = await ask_siblings(request)
    except SiblingError as exc:
        return exc.response()
    for reply in replies:
        if reply.status == 200:
            if isinstance(reply.body, str):
                return web.Response(text=reply.body, content_type="text/html")
            return _json(reply.body)
    return None


async def _sessions_json(request: web.Request) -> web.Response:
    rows = await _all_rows(request)
    return rows if isinstance(rows, web.Response) else _json(rows)


async def _journal_json(request: web.Request) -> web.Response:
    session_id = request.match_info["id"]
    found = _find(_state(request), session_id)
    if found is None:
        return await _elsewhere(request) or _not_found(session_id)
    session, is_open = found
    try:
        since = max(0, int(request.query.get("since", "0")))
    except ValueError:
        since = 0
    from mockrt.diagnosis.analysis import diagnose

    entries = list(session.journal.entries)
    report = diagnose(entries, infer=False).sessions
    return _json(
        {
            "session": _row(request, session, is_open),
            "entries": [e.to_json() for e in entries[since:]],
            "violations": [e.violation.to_json() for e in entries if e.violation is not None],
            "diagnosis": report[0].to_json() if report else None,
        }
    )


# --- HTML ---------------------------------------------------------------------------------------

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:1.5em}table{border-collapse:collapse}"
    "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "tr.bad{background:#fee}pre{background:#f6f6f6;padding:1em;white-space:pre-wrap}"
    "code{font-size:90%}"
)


def _page(title: str, body: str, refresh: bool = False) -> web.Response:
    meta = '<meta http-equiv="refresh" content="2">' if refresh else ""
    text = (
        f'<!doctype html><html><head><meta charset="utf-8">{meta}'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
    return web.Response(
        text=escape_controls(redact(text), keep_lines=True), content_type="text/html"
    )


async def _sessions_html(request: web.Request) -> web.Response:
    rows = await _all_rows(request)
    if isinstance(rows, web.Response):
        return rows
    several = any("worker" in r for r in rows)
    cells = "".join(
        f'<tr class="{"bad" if r["violations"] else ""}">'
        f'<td><a href="{html.escape(r["html"])}">{html.escape(r["id"])}</a></td>'
        f"<td>{html.escape(r['intent'])}</td><td>{html.escape(r['state'])}</td>"
        f"<td>{r['client_frames']}</td><td>{r['server_frames']}</td><td>{r['violations']}</td>"
        f"<td>{html.escape(r['client'] or '')}</td>"
        + (f"<td>{int(r.get('worker', 0))}</td>" if several else "")
        + "</tr>"
        for r in rows
    )
    body = (
        "<h1>mockrt sessions</h1>"
        "<p>JSON: <a href='/mockrt/sessions'>/mockrt/sessions</a>. This page refreshes every 2 s."
        "</p><table><tr><th>session</th><th>intent</th><th>state</th><th>client frames</th>"
        "<th>server frames</th><th>violations</th><th>client</th>"
        + ("<th>worker</th>" if several else "")
        + f"</tr>{cells}</table>"
    )
    if not rows:
        body += "<p>No session yet.</p>"
    return _page("mockrt sessions", body, refresh=True)


def _server_summary(entry: Entry) -> str:
    from mockrt.diagnosis.frames import as_dict

    event = as_dict(entry.event)
    if entry.type == "error":
        error = as_dict(event.get("error"))
        return f"{error.get('code')}: {error.get('message')}"
    for key in ("transcript", "delta", "item_id"):
        if key in event:
            return f"{key}={json.dumps(event[key], ensure_ascii=False)}"
    return ""


async def _session_html(request: web.Request) -> web.Response:
    session_id = request.match_info["id"]
    found = _find(_state(request), session_id)
    elsewhere = await _elsewhere(request) if found is None else None
    if elsewhere is not None:
        return elsewhere
    if found is None:
        return web.Response(
            text=escape_controls(f"<p>No session with id {html.escape(session_id)}.</p>"),
            status=404,
            content_type="text/html",
        )
    from mockrt.diagnosis.analysis import diagnose
    from mockrt.diagnosis.describe import describe_event

    session, is_open = found
    entries = list(session.journal.entries)
    report = diagnose(entries, infer=False)
    text = report.to_text() if report.sessions else "No traffic yet."
    rows = []
    for e in entries:
        summary = describe_event(e.event) if e.direction == "client" else _server_summary(e)
        rule = e.violation.rule if e.violation is not None else ""
        note = status_note(e.violation.text_status) if e.violation is not None else ""
        marked = f" <em class='text-status'>({html.escape(note)})</em>" if note else ""
        rows.append(
            f'<tr class="{"bad" if rule else ""}"><td>{e.direction}</td><td>{e.index + 1}</td>'
            f"<td>{e.time:.3f}</td><td><code>{html.escape(e.type or '')}</code></td>"
            f"<td>{html.escape(summary)}</td><td>{html.escape(rule)}{marked}</td></tr>"
        )
    state = "open" if is_open else "closed"
    body = (
        f"<p><a href='/mockrt/'>all sessions</a> | "
        f"<a href='/mockrt/sessions/{html.escape(session.id)}/journal'>JSON</a></p>"
        f"<h1>Session {html.escape(session.id)} ({html.escape(session.intent)}, {state})</h1>"
        f"<h2>Diagnosis</h2><pre>{html.escape(text)}</pre><h2>Journal</h2>"
        "<table><tr><th>from</th><th>#</th><th>time (s)</th><th>type</th><th>key fields</th>"
        f"<th>rule broken</th></tr>{''.join(rows)}</table>"
    )
    return _page(f"mockrt {session.id}", body)

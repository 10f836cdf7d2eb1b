"""The admin API under ``/mockrt/``: JSON over HTTP for clients in any language (like WireMock's
``/__admin`` and MockServer's REST API).

    GET    /mockrt/config        the running configuration (keys never shown)
    PUT    /mockrt/script        load or replace the script (the script file's format, as JSON)
    DELETE /mockrt/script        back to the script the server started with
    POST   /mockrt/reset         close live sessions, forget finished ones and the journal
    GET    /mockrt/journal       every frame both ways, as the journal file's objects
    GET    /mockrt/openapi.json  the OpenAPI document of these routes and the REST endpoints

When ``--api-key`` is set the admin routes need ``Authorization: Bearer <one of those keys>``;
otherwise they are open (the mock binds 127.0.0.1 by default). With ``mockrt serve --workers N``
the worker that gets a request answers for all (``mockrt.serve.fanout``): the journal merges
every worker's, ``config`` counts every worker's sessions and says how many workers there are,
and ``script`` and ``reset`` apply to every worker (a reset's counts are summed).

``reset``, ``load_script`` and ``restore_script`` are the same operations for Python callers
(``MockRealtimeServer``). Owns nothing of the protocol; must never be imported by
``mockrt.core``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from dataclasses import asdict, dataclass, replace
from functools import partial
from typing import Any

from aiohttp import WSCloseCode, web

from mockrt.core.handshake import KeyStore
from mockrt.core.script import Script, ScriptError
from mockrt.core.transcriber import ScriptedTranscriber
from mockrt.serve.state import STATE, ServerState

__all__ = [
    "ADMIN",
    "AdminState",
    "add_admin_routes",
    "configuration",
    "load_script",
    "reset",
    "restore_script",
]

PREFIX = "/mockrt"


@dataclass
class AdminState:
    """What the admin API knows beyond ``ServerState``: the script in force and the start-up one."""

    script: Script | None = None
    source: str | None = None
    initial: tuple[Script | None, str | None, Any] = (None, None, None)


ADMIN = web.AppKey("mockrt_admin", AdminState)


def _state(app: web.Application) -> ServerState:
    return app[STATE]


def add_admin_routes(app: web.Application) -> None:
    app[ADMIN] = AdminState()
    app.on_startup.append(_remember_initial)
    app.router.add_get(f"{PREFIX}/config", _get_config)
    app.router.add_put(f"{PREFIX}/script", _put_script)
    app.router.add_delete(f"{PREFIX}/script", _delete_script)
    app.router.add_post(f"{PREFIX}/reset", _post_reset)
    app.router.add_get(f"{PREFIX}/journal", _get_journal)
    app.router.add_get(f"{PREFIX}/openapi.json", _get_openapi)


async def _remember_initial(app: web.Application) -> None:
    admin = app[ADMIN]
    admin.initial = (admin.script, admin.source, _state(app).config.transcriber)


# --- the operations ---------------------------------------------------------------------------


async def reset(app: web.Application) -> dict[str, int]:
    """Close live sessions (1001), then forget every session, minted key and id: the next
    session is numbered as if the server had just started. The script stays."""
    state = _state(app)
    live = list(state.live.values())
    for one in live:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await one.ws.close(code=WSCloseCode.GOING_AWAY, message=b"mockrt reset")
    for _ in range(200):  # each handler moves its session to `finished` when its socket ends
        if not state.live:
            break
        await asyncio.sleep(0.01)
    cleared = state.forget_finished()
    state.keys = KeyStore(state.config.api_keys)
    state.ids = state.config.ids()
    return {"closed": len(live), "cleared": cleared}


def load_script(app: web.Application, script: Script, source: str) -> None:
    """Serve ``script`` to sessions that open from now on."""
    state, admin = _state(app), app[ADMIN]
    state.config = replace(state.config, transcriber=partial(ScriptedTranscriber, script))
    admin.script, admin.source = script, source


def restore_script(app: web.Application) -> None:
    """Back to the script (or the default transcripts) the server started with."""
    state, admin = _state(app), app[ADMIN]
    admin.script, admin.source, transcriber = admin.initial
    state.config = replace(state.config, transcriber=transcriber)


def configuration(app: web.Application) -> dict[str, Any]:
    from importlib.metadata import PackageNotFoundError, version  # not at start-up (issue 15)

    state, admin = _state(app), app[ADMIN]
    config = state.config
    try:
        mockrt_version = version("mockrt")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        mockrt_version = "unknown"
    return {
        "version": mockrt_version,
        "persona": config.persona,
        "speed": config.speed,
        "api_keys": "any sk-… key" if config.api_keys is None else len(config.api_keys),
        "journal": None if config.journal_path is None else str(config.journal_path),
        "script": None
        if admin.script is None
        else {"source": admin.source, "turns": len(admin.script.turns)},
        "options": asdict(config.options),
        "sessions": {"live": len(state.live), "finished": len(state.finished)},
    }


# --- the handlers -----------------------------------------------------------------------------


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": {"message": message}}, status=status)


def _denied(request: web.Request) -> web.Response | None:
    keys = _state(request.app).config.api_keys
    if keys is None:
        return None
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and key.strip() in keys:
        return None
    return _error(401, "The admin API needs 'Authorization: Bearer <key>' with a --api-key key.")


async def _siblings(request: web.Request, body: bytes | None = None) -> list[Any] | web.Response:
    """The siblings' JSON answers to the same request (none with one worker), or the error
    response when one did not answer or failed."""
    from mockrt.serve.fanout import SiblingError, ask_siblings

    try:
        replies = await ask_siblings(request, body)
    except SiblingError as exc:
        return exc.response()
    for reply in replies:
        if reply.status != 200:
            return _error(502, f"worker {reply.worker} answered {reply.status}: {reply.body}")
    return [reply.body for reply in replies]


async def _get_config(request: web.Request) -> web.Response:
    denied = _denied(request)
    if denied is not None:
        return denied
    from mockrt.serve.fanout import worker_of

    config = configuration(request.app)
    worker = worker_of(request.app)
    if worker is None:
        return web.json_response(config)
    others = await _siblings(request)
    if isinstance(others, web.Response):
        return others
    for other in others:
        for kind in ("live", "finished"):
            config["sessions"][kind] += other["sessions"][kind]
    config["workers"] = worker.count
    return web.json_response(config)


async def _put_script(request: web.Request) -> web.Response:
    denied = _denied(request)
    if denied is not None:
        return denied
    try:
        raw = await request.read()
        data = json.loads(raw)
    except ValueError:
        return _error(400, "The body must be a script as JSON (the script file's format).")
    # script-file checking (jsonschema) loads on first use, not at `mockrt serve`'s start-up
    from mockrt.contract.scriptfile import parse_script

    try:
        script = parse_script(data, source="PUT /mockrt/script")
    except ScriptError as exc:
        return _error(400, str(exc))
    others = await _siblings(request, raw)
    if isinstance(others, web.Response):
        return others
    load_script(request.app, script, "PUT /mockrt/script")
    return web.json_response(configuration(request.app)["script"])


async def _delete_script(request: web.Request) -> web.Response:
    denied = _denied(request)
    if denied is not None:
        return denied
    others = await _siblings(request)
    if isinstance(others, web.Response):
        return others
    restore_script(request.app)
    return web.json_response({"script": configuration(request.app)["script"]})


async def _post_reset(request: web.Request) -> web.Response:
    denied = _denied(request)
    if denied is not None:
        return denied
    mine, others = await asyncio.gather(reset(request.app), _siblings(request))
    if isinstance(others, web.Response):
        return others
    for other in others:
        mine = {key: count + int(other[key]) for key, count in mine.items()}
    return web.json_response(mine)


async def _get_journal(request: web.Request) -> web.Response:
    denied = _denied(request)
    if denied is not None:
        return denied
    state = _state(request.app)
    sessions = [*state.finished, *(live.session for live in state.live.values())]
    entries = [entry.to_json() for s in sessions for entry in s.journal]
    others = await _siblings(request)
    if isinstance(others, web.Response):
        return others
    for other in others:
        entries += other["entries"]
    return web.json_response({"entries": entries})


async def _get_openapi(request: web.Request) -> web.Response:
    from mockrt.serve.openapi import openapi_document

    return web.json_response(openapi_document())

"""One worker of ``mockrt serve --workers N`` asking its siblings: what the admin API and the
inspector need to answer for the whole server.

Each worker serves the same application on the connections of the public port the parent hands
it, in turn, and on a private control port on 127.0.0.1 (``mockrt.serve.workers``). A public
admin or inspector request that must see every worker is answered by the worker that got it: it
does its own part and sends the same request to each sibling's control port with
``X-Mockrt-Local: <token>`` (a secret of this run), which a sibling answers for itself alone.
Every response of a worker carries ``X-Mockrt-Worker: k`` and ``X-Mockrt-Workers: N``.

``app[WORKER]`` is absent when the server is one process (``--workers 1``): then every helper
here says "local" and nothing is fanned out. Imports only aiohttp and the standard library; must
never be imported by ``mockrt.core``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from mockrt.core.handshake import MintedKey
from mockrt.core.session_objects import RealtimeSessionRequest, TranscriptionSessionRequest
from mockrt.serve.state import STATE

__all__ = [
    "LOCAL_HEADER",
    "WORKER",
    "WORKER_HEADER",
    "WORKERS_HEADER",
    "KEYS_PATH",
    "Reply",
    "SiblingError",
    "Worker",
    "ask_siblings",
    "install_worker",
    "is_local",
    "worker_of",
]

log = logging.getLogger("mockrt")
WORKER_HEADER = "X-Mockrt-Worker"
WORKERS_HEADER = "X-Mockrt-Workers"
LOCAL_HEADER = "X-Mockrt-Local"
_FORWARDED = ("Authorization", "Content-Type")
_TIMEOUT_S = 30.0  # a reset waits up to 2 s for sessions to close; this bounds a stuck sibling


@dataclass
class Worker:
    """This process's place among the workers: ``index`` of ``count`` (from 1)."""

    index: int
    count: int
    token: str
    siblings: dict[int, int] = field(default_factory=dict)  # index -> control port (127.0.0.1)
    http: aiohttp.ClientSession | None = None


WORKER = web.AppKey("mockrt_worker", Worker)


@dataclass(frozen=True)
class Reply:
    """A sibling's answer: its index, HTTP status and body (JSON, or text when not JSON)."""

    worker: int
    status: int
    body: Any


class SiblingError(Exception):
    """A sibling did not answer (it died or hung): the request cannot be answered for all."""

    def __init__(self, worker: int, reason: str) -> None:
        super().__init__(f"worker {worker} did not answer: {reason}")
        self.worker = worker

    def response(self) -> web.Response:
        return web.json_response({"error": {"message": str(self)}}, status=502)


def install_worker(app: web.Application, worker: Worker) -> None:
    """Make ``app`` worker ``worker.index`` of ``worker.count``: the headers on every response,
    and a client session for the siblings, closed with the app."""
    app[WORKER] = worker
    index, count = str(worker.index), str(worker.count)

    async def tag(request: web.Request, response: web.StreamResponse) -> None:
        response.headers[WORKER_HEADER] = index
        response.headers[WORKERS_HEADER] = count

    async def close(app: web.Application) -> None:
        if worker.http is not None:
            await worker.http.close()
            worker.http = None

    app.on_response_prepare.append(tag)
    app.on_response_prepare.append(_share_minted_key)
    app.on_cleanup.append(close)
    app.router.add_post(KEYS_PATH, _receive_key)


def worker_of(app: web.Application) -> Worker | None:
    return app.get(WORKER)


def is_local(request: web.Request) -> bool:
    """True when ``request`` must be answered by this worker alone: a single-process server,
    or a sibling asking (with this run's token)."""
    worker = worker_of(request.app)
    if worker is None or not worker.siblings:
        return True
    return request.headers.get(LOCAL_HEADER) == worker.token


async def ask_siblings(request: web.Request, body: bytes | None = None) -> list[Reply]:
    """Send ``request`` (same method, path, query, key; ``body`` if given) to every sibling,
    in parallel; their replies by worker index. Raises ``SiblingError`` if one does not
    answer. Empty when ``is_local(request)``."""
    worker = worker_of(request.app)
    if worker is None or is_local(request):
        return []
    headers = {name: request.headers[name] for name in _FORWARDED if name in request.headers}
    return await _send(worker, request.method, str(request.rel_url), headers, body)


async def _send(
    worker: Worker, method: str, path: str, headers: dict[str, str], body: bytes | None
) -> list[Reply]:
    if worker.http is None:
        worker.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=_TIMEOUT_S))
    http = worker.http
    headers = {**headers, LOCAL_HEADER: worker.token}

    async def one(index: int, port: int) -> Reply:
        url = f"http://127.0.0.1:{port}{path}"
        try:
            async with http.request(method, url, data=body, headers=headers) as reply:
                text = await reply.text()
                if reply.content_type == "application/json":
                    return Reply(index, reply.status, json.loads(text))
                return Reply(index, reply.status, text)
        except (TimeoutError, aiohttp.ClientError, ValueError) as exc:
            raise SiblingError(index, f"{type(exc).__name__}: {exc}") from exc

    replies = await asyncio.gather(
        *(one(i, p) for i, p in sorted(worker.siblings.items())), return_exceptions=True
    )
    for reply in replies:
        if isinstance(reply, BaseException):
            raise reply
    return [r for r in replies if isinstance(r, Reply)]


# --- ephemeral keys: minted by one worker, accepted by all --------------------------------------

KEYS_PATH = "/mockrt/_worker/keys"
_MINTING = ("/v1/realtime/client_secrets", "/v1/realtime/transcription_sessions")
_SESSION_MODELS: dict[str, type[TranscriptionSessionRequest | RealtimeSessionRequest]] = {
    "transcription": TranscriptionSessionRequest,
    "realtime": RealtimeSessionRequest,
}


async def _share_minted_key(request: web.Request, response: web.StreamResponse) -> None:
    """A key minted here reaches every sibling before its client reads it: the client's
    WebSocket may land on any worker."""
    worker = worker_of(request.app)
    if worker is None or not worker.siblings or response.status != 200:
        return
    if request.method != "POST" or request.path not in _MINTING:
        return
    raw = response.body if isinstance(response, web.Response) else None
    try:
        body = json.loads(raw) if isinstance(raw, bytes) else {}
    except ValueError:
        return
    secret = body.get("client_secret", body) if isinstance(body, dict) else {}
    value = secret.get("value") if isinstance(secret, dict) else None
    minted = request.app[STATE].keys.minted.get(value) if isinstance(value, str) else None
    if minted is None:
        return
    kind = next(k for k, model in _SESSION_MODELS.items() if isinstance(minted.session, model))
    shared = {
        "value": minted.value,
        "expires_at": minted.expires_at,
        "kind": kind,
        "session": minted.session.model_dump(mode="json", by_alias=True, exclude_unset=True),
    }
    headers = {"Content-Type": "application/json"}
    try:
        await _send(worker, "POST", KEYS_PATH, headers, json.dumps(shared).encode())
    except SiblingError as exc:  # the key still works on this worker; the server is failing
        log.warning("ephemeral key not shared: %s", exc)


async def _receive_key(request: web.Request) -> web.Response:
    worker = worker_of(request.app)
    if worker is None or request.headers.get(LOCAL_HEADER) != worker.token:
        raise web.HTTPNotFound()
    data = await request.json()
    session = _SESSION_MODELS[data["kind"]].model_validate(data["session"])
    state = request.app[STATE]
    key = MintedKey(data["value"], int(data["expires_at"]), session)
    state.keys.add(key, state.config.wall_clock())
    return web.json_response({"shared": key.value[:6] + "…"})

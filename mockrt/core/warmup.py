"""Warm-up: build ahead what a first connection would otherwise build on first use (issue 15).

The wire models and union adapters build their validators and serializers on first use
(``mockrt.core.wire``), so that ``mockrt serve`` is ready without building them; ``warm_up_steps``
lists that deferred work as small steps, which ``mockrt serve`` runs one per event loop turn right
after its ready line, so a connection arriving meanwhile waits for one step at most and then builds
only what it needs and is not built yet. The models are built leaves first (in each module's
definition order), so a model's schema is built once and reused by every model that holds it; a
last step runs one short session (an update, 100 ms of audio, a commit) through the core for the
rest (session config adapters, validation, VAD, transcriber). That step imports numpy
(``mockrt.core.energy``, about 100 ms here, a stall of the event loop if taken as one step):
``IMPORT_AHEAD`` names it, and ``mockrt serve`` imports it in a thread while the other steps run
(the loop keeps its turns: the thread gives up the GIL every few ms) and runs the last step once
it is in. Nothing here changes what a session sends: the steps only fill pydantic's caches and
import modules, and the session they run is thrown away.
Must never import aiohttp, websockets or asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from types import ModuleType
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

__all__ = ["IMPORT_AHEAD", "warm_up_steps"]

# What the last step imports that a thread can import ahead: numpy, with the turn detector's
# energy measure (the first audio of any session imports it too).
IMPORT_AHEAD = ("mockrt.core.energy",)

# The first update a client of each persona sends (protocol.md §2, §3): a transcription model.
_UPDATES: dict[str, dict[str, Any]] = {
    "ga": {
        "type": "session.update",
        "session": {
            "type": "transcription",
            "audio": {"input": {"transcription": {"model": "gpt-4o-transcribe"}}},
        },
    },
    "beta": {
        "type": "transcription_session.update",
        "session": {"input_audio_transcription": {"model": "gpt-4o-transcribe"}},
    },
}


def _models(module: ModuleType) -> list[type[BaseModel]]:
    """The pydantic models defined in ``module``, in definition order (leaves first)."""
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
    ]


def _build_adapter(adapter: TypeAdapter[Any]) -> None:
    adapter.rebuild(force=True)


def _short_session(persona_name: str) -> None:
    """One session through the core, as a client would drive it; its output is discarded."""
    from mockrt.core.persona import PERSONAS
    from mockrt.core.session import Session

    session = Session(persona=PERSONAS[persona_name])
    session.receive_text(json.dumps(_UPDATES[persona_name]))
    silence = "A" * 6400  # 100 ms of 24 kHz pcm16 zeros, base64
    session.receive_text(json.dumps({"type": "input_audio_buffer.append", "audio": silence}))
    session.receive_text(json.dumps({"type": "input_audio_buffer.commit"}))
    session.advance(5000)
    session.events_to_send()
    session.close()


def warm_up_steps(persona: Literal["ga", "beta"] = "ga") -> list[Callable[[], object]]:
    """The deferred builds of a server of ``persona``, as steps to run in order."""
    from mockrt.core import client_events, server_events, session_objects

    # what session.created needs first (the session objects, then the server events), then the
    # client events of the first update
    modules = [session_objects, server_events, client_events]
    adapters: list[TypeAdapter[Any]] = [client_events.CLIENT_EVENTS]
    if persona == "beta":  # only a beta server loads the beta models at all
        from mockrt.core import beta

        modules.append(beta)
        adapters.append(beta.BETA_CLIENT_EVENTS)
    steps: list[Callable[[], object]] = [m.model_rebuild for mod in modules for m in _models(mod)]
    steps += [partial(_build_adapter, adapter) for adapter in adapters]
    steps.append(partial(_short_session, persona))
    return steps

"""``mockrt serve``: run the mock until SIGINT/SIGTERM.

Every option also comes from the environment, ``MOCKRT_<OPTION>`` (``MOCKRT_HOST``,
``MOCKRT_PORT``, ``MOCKRT_SCRIPT``, ``MOCKRT_JOURNAL``, ``MOCKRT_API_KEY`` — several keys separated
by commas —, ``MOCKRT_SPEED``, ``MOCKRT_PERSONA``, ``MOCKRT_LOG_LEVEL``, ``MOCKRT_RULE_WORDING``,
``MOCKRT_MODEL_WITH_INTENT``, ``MOCKRT_MAX_SESSIONS``, ``MOCKRT_MAX_JOURNAL_BYTES``,
``MOCKRT_WORKERS``); a flag wins over its variable. ``--workers N`` (N > 1) hands the built
application over to ``mockrt.serve.workers``, imported only then. Binding an address other than
loopback is allowed (containers) and logged as a warning. Imported only when ``serve`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import ipaddress
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from aiohttp import web

from mockrt.core.options import MODEL_WITH_INTENT, Options
from mockrt.core.script import ScriptError
from mockrt.core.transcriber import ScriptedTranscriber, Transcriber
from mockrt.serve.admin import ADMIN
from mockrt.serve.server import create_app
from mockrt.serve.state import STATE, ServerConfig, serving_gc

__all__ = ["ENV_PREFIX", "env_name", "register", "warn_if_exposed"]

ENV_PREFIX = "MOCKRT_"
log = logging.getLogger("mockrt")
_CHOICES: dict[str, list[str]] = {
    "log_level": ["debug", "info", "warning", "error"],
    "persona": ["ga", "beta"],
    "rule_wording": ["event", "later"],
    "model_with_intent": list(MODEL_WITH_INTENT),
}


def env_name(option: str) -> str:
    """``--model-with-intent`` -> ``MOCKRT_MODEL_WITH_INTENT``."""
    return ENV_PREFIX + option.lstrip("-").replace("-", "_").upper()


def _add(parser: argparse.ArgumentParser, option: str, help: str, **kwargs: Any) -> None:
    """An option whose default comes from its environment variable when that is set."""
    variable = env_name(option)
    if variable in os.environ and kwargs.get("action") != "append":
        kwargs["default"] = os.environ[variable]  # argparse converts it with `type`
    parser.add_argument(option, help=f"{help} [env {variable}]", **kwargs)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` subcommand."""
    serve = subparsers.add_parser(
        "serve",
        help="run the mock server until SIGINT/SIGTERM",
        description="Run the mock. Every option can also be set by its environment variable "
        "(shown in brackets); a flag wins over its variable.",
    )
    _add(serve, "--host", "address to bind (default 127.0.0.1)", default="127.0.0.1")
    _add(serve, "--port", "port; 0 picks a free one", type=int, default=8000)
    _add(
        serve,
        "--api-key",
        "accept only this key (repeatable; the variable takes comma-separated keys); "
        "default: any sk-… key. The admin API /mockrt/ then needs one of them too",
        action="append",
        dest="api_keys",
        metavar="KEY",
    )
    _add(
        serve,
        "--journal",
        "append every frame both ways to this JSON Lines file",
        type=Path,
        metavar="FILE.jsonl",
    )
    _add(
        serve,
        "--max-sessions",
        "finished sessions kept in memory for the inspector, the newest (default 100); "
        "--journal FILE still has them all",
        type=int,
        default=100,
        metavar="N",
    )
    _add(
        serve,
        "--max-journal-bytes",
        "approximate memory of the finished sessions kept (default 16 MiB); "
        "older ones are dropped first",
        type=int,
        default=16 * 1024 * 1024,
        metavar="BYTES",
    )
    _add(serve, "--log-level", "log level", default="info", choices=_CHOICES["log_level"])
    _add(
        serve,
        "--script",
        "YAML/JSON script of the turns' transcripts and faults "
        "(default text: 'turn N: X.XX s of speech')",
        type=Path,
        metavar="FILE",
    )
    _add(
        serve,
        "--replay",
        "play back a capture (or a directory of captures, one per session in order) to a "
        "client that sends the same audio (docs/captures.md)",
        type=Path,
        metavar="CAPTURE",
    )
    _add(
        serve,
        "--speed",
        "pacing factor for scripted latencies; 0 = as fast as possible",
        type=float,
        default=1.0,
    )
    _add(
        serve,
        "--persona",
        "ga (default): beta clients get beta_api_shape_disabled and close 4000, as live "
        "today; beta: clients sending OpenAI-Beta: realtime=v1 get the retired beta shapes",
        choices=_CHOICES["persona"],
        default="ga",
    )
    _add(
        serve,
        "--rule-wording",
        "wording of the realtime-on-transcription error (default: event)",
        choices=_CHOICES["rule_wording"],
        default="event",
    )
    _add(
        serve,
        "--model-with-intent",
        "the answer to ?intent=transcription&model=X; three are on record and which one live "
        "gives today is UNCONFIRMED: "
        + "; ".join(f"{name}: {text}" for name, text in MODEL_WITH_INTENT.items())
        + f" (default: {Options().model_with_intent})",
        choices=_CHOICES["model_with_intent"],
        default=Options().model_with_intent,
        metavar="NAME",
    )
    _add(
        serve,
        "--workers",
        "run N server processes on the one port (Linux only: the parent accepts and hands the "
        "connections to the workers in turn), for load bigger than one core; the inspector and "
        "the admin API answer for all of them, every response says which worker answered "
        "(X-Mockrt-Worker), "
        "--journal FILE gets every worker's lines (default 1: one process)",
        type=int,
        default=1,
        metavar="N",
    )
    serve.set_defaults(func=_serve)


def _from_environment(args: argparse.Namespace) -> None:
    """What argparse cannot do with environment defaults: check choices, split the keys."""
    for dest, choices in _CHOICES.items():
        if getattr(args, dest) not in choices:
            raise SystemExit(
                f"mockrt serve: {env_name(dest)}={getattr(args, dest)!r} is not one of "
                f"{', '.join(choices)}"
            )
    if args.api_keys is None and os.environ.get(env_name("api_key")):
        args.api_keys = [k.strip() for k in os.environ[env_name("api_key")].split(",") if k.strip()]


def _serve(args: argparse.Namespace) -> int:
    _from_environment(args)
    logging.basicConfig(
        level=args.log_level.upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if args.speed < 0:
        raise SystemExit("mockrt serve: --speed must be >= 0")
    if args.workers < 1:
        raise SystemExit("mockrt serve: --workers must be >= 1")
    options = Options(rule_wording=args.rule_wording, model_with_intent=args.model_with_intent)
    transcriber = script = None
    if args.replay is not None and args.script is not None:
        raise SystemExit("mockrt serve: give --script or --replay, not both")
    if args.replay is not None:
        transcriber = _replay(args.replay)
    if args.script is not None:
        # jsonschema and yaml: imported only when a script is given (issue 15: start-up imports
        # only what serving needs)
        from mockrt.contract.scriptfile import load_script

        try:
            script = load_script(args.script)
        except ScriptError as exc:
            raise SystemExit(f"mockrt serve: {exc}") from exc
        transcriber = partial(ScriptedTranscriber, script)
    config = ServerConfig(
        persona=args.persona,
        transcriber=transcriber,
        options=options,
        api_keys=frozenset(args.api_keys) if args.api_keys else None,
        journal_path=args.journal,
        speed=args.speed,
        max_sessions=max(0, args.max_sessions),
        max_journal_bytes=max(0, args.max_journal_bytes),
    )
    app = create_app(config)
    if script is not None:
        app[ADMIN].script, app[ADMIN].source = script, str(args.script)
    if args.workers > 1:
        from mockrt.core.warmup import warm_up_steps
        from mockrt.serve.workers import supervise

        for step in warm_up_steps(config.persona):  # before the fork: built once for all workers
            step()
        announce = partial(_announce, args.host, any_key=config.api_keys is None)
        return supervise(app, args.workers, args.host, args.port, announce)
    asyncio.run(_run(app, args.host, args.port, any_key=config.api_keys is None))
    return 0


def _replay(path: Path) -> Callable[[], Transcriber]:
    """The transcriber factory that replays the capture(s) at ``path``, session by session."""
    from mockrt.serve.capture import capture_files
    from mockrt.serve.cassette import replay_factory

    captures = capture_files(path) if path.is_dir() else [path]
    if not captures:
        raise SystemExit(f"mockrt serve: no capture in {path}")
    try:
        return replay_factory(captures)
    except (OSError, ValueError, KeyError, ScriptError) as exc:
        raise SystemExit(f"mockrt serve: cannot replay {path}: {exc}") from exc


def warn_if_exposed(host: str, port: int, *, any_key: bool) -> bool:
    """Log a warning when ``host`` is not a loopback address; True when it did."""
    if _is_loopback(host):
        return False
    log.warning(
        "listening on %s:%s, not only on loopback: other machines can reach the mock%s",
        host,
        port,
        " and it accepts any sk-… key (set --api-key)" if any_key else "",
    )
    return True


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _announce(host: str, bound_host: str, bound_port: int, *, any_key: bool) -> None:
    """The ready line (and the warning when not only on loopback)."""
    warn_if_exposed(host, bound_port, any_key=any_key)
    shown = f"[{bound_host}]" if ":" in str(bound_host) else bound_host
    print(f"ws://{shown}:{bound_port}/v1/realtime?intent=transcription", flush=True)


_FREEZE_RETRY_S = 1.0  # how often the warm-up looks for a moment with no session open
_IMPORT_POLL_S = 0.01  # how often the last warm-up step looks whether the import thread is done


def _warm_up(loop: asyncio.AbstractEventLoop, app: web.Application) -> asyncio.Future[None]:
    """After the ready line, build what the first connection would build on first use
    (``mockrt.core.warmup``), one step per loop turn: a connection that arrives meanwhile waits
    for one step, never for the whole warm-up (issue 15). Then numpy (``IMPORT_AHEAD``) is
    imported in a thread, and the last step, which uses it, runs once it is in: as a step, its
    import held the loop for about 100 ms; started with the warm-up, the thread shared the
    interpreter with a first connection's handshake and delayed its session.created. What it
    built is frozen like the rest of the start-up heap (a full GC pass over it stalls every
    stream for tens of ms) as soon as no session is open: an open session's objects must stay
    collectable. Sessions that ended before are frozen with it (at most the finished sessions
    kept, once per process). The future resolves when the last step has run.
    """
    from mockrt.core.warmup import IMPORT_AHEAD, warm_up_steps

    state = app[STATE]
    *steps, last = warm_up_steps(state.config.persona)
    pending = iter(steps)
    done: asyncio.Future[None] = loop.create_future()

    def import_ahead() -> None:
        for name in IMPORT_AHEAD:
            importlib.import_module(name)

    importer = threading.Thread(target=import_ahead, name="mockrt-warm-up-import", daemon=True)

    def run_next() -> None:
        step = next(pending, None)
        if step is not None:
            step()
            loop.call_soon(run_next)
            return
        if importer.ident is None:  # after the model steps: a first connection has them alone
            importer.start()
        if importer.is_alive():
            loop.call_later(_IMPORT_POLL_S, run_next)
        else:
            last()
            done.set_result(None)
            freeze_when_idle()

    def freeze_when_idle() -> None:
        if state.live:
            loop.call_later(_FREEZE_RETRY_S, freeze_when_idle)
        else:
            gc.freeze()

    loop.call_soon(run_next)
    return done


async def _run(app: web.Application, host: str, port: int, *, any_key: bool) -> None:
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    _announce(host, bound_host, int(bound_port), any_key=any_key)
    serving_gc()
    _warm_up(asyncio.get_running_loop(), app)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()  # on_shutdown closes every session with 1001

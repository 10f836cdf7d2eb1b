"""mockrt's start-up hook for child processes (``mockrt run``, ``mockrt diagnose``).

This directory is put first on ``PYTHONPATH``; Python imports this ``sitecustomize`` at start-up.
It first runs the ``sitecustomize`` it shadows (if any), then, when ``MOCKRT_REDIRECT_URL`` is set,
imports ``mockrt.serve.redirect`` (from this file's own mockrt when the child's Python has none,
its directory on the path only for that import) and installs the redirect of api.openai.com. It
never edits the user's files, and a failure here is reported on stderr but never stops the
program. Imports only the standard library and mockrt.
"""

from __future__ import annotations

import importlib
import os
import sys

__all__: list[str] = []

_HERE = os.path.dirname(os.path.abspath(__file__))


def _chain() -> None:
    """Import the next ``sitecustomize`` on the path, the one this module shadows."""
    ours = sys.modules.pop("sitecustomize", None)
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]
    try:
        importlib.import_module("sitecustomize")
    except ImportError as exc:
        if exc.name != "sitecustomize":
            raise
    finally:
        sys.path[:] = saved
        if ours is not None:
            sys.modules["sitecustomize"] = ours


def _install() -> None:
    if not os.environ.get("MOCKRT_REDIRECT_URL"):
        return
    try:
        from mockrt.serve import redirect
    except ImportError:  # another Python: import this file's mockrt, then hide its directory
        root = os.path.dirname(os.path.dirname(os.path.dirname(_HERE)))
        sys.path.append(root)
        try:
            from mockrt.serve import redirect
        finally:
            sys.path.remove(root)
    redirect.install_from_env()


try:
    _chain()
except Exception as exc:  # the user's own sitecustomize failed: say so, as Python would
    print(f"mockrt: error in the shadowed sitecustomize: {exc!r}", file=sys.stderr)
try:
    _install()
except Exception as exc:
    print(f"mockrt: the redirect of api.openai.com is NOT installed: {exc!r}", file=sys.stderr)

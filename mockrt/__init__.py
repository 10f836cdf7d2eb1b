"""mockrt: a faithful local mock of the OpenAI Realtime API in transcription mode.

Names are imported lazily, so that ``import mockrt.core.session`` (the pure core) never pulls in
aiohttp through this package's ``__init__``.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _metadata_version
from typing import Any

__all__ = [
    "CountingIds",
    "InvalidState",
    "Journal",
    "MockRTError",
    "MockRealtimeServer",
    "Options",
    "RandomIds",
    "ServerConfig",
    "Session",
    "__version__",
    "create_app",
]

try:  # one source for the version: pyproject.toml, through the installed metadata
    __version__: str = _metadata_version("mockrt")
except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
    __version__ = "0+unknown"

_WHERE = {
    "CountingIds": "mockrt.core.ids",
    "RandomIds": "mockrt.core.ids",
    "InvalidState": "mockrt.core.exceptions",
    "MockRTError": "mockrt.core.exceptions",
    "Journal": "mockrt.core.journal",
    "Options": "mockrt.core.options",
    "ServerConfig": "mockrt.serve.state",
    "create_app": "mockrt.serve.server",
    "Session": "mockrt.core.session",
    "MockRealtimeServer": "mockrt.testing",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mockrt' has no attribute {name!r}")

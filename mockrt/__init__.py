"""mockrt: a faithful local mock of the OpenAI Realtime API in transcription mode.

Names are imported lazily, so that ``import mockrt.core.session`` (the pure core) never pulls in
aiohttp through this package's ``__init__``; ``__version__`` too, so that importing any part of
mockrt reads no package metadata.
"""

from __future__ import annotations

import importlib
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

# One source for the version: pyproject.toml, through the installed metadata, read on first use
# (``mockrt serve`` starts without reading package metadata; issue 15).
__version__: str

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
    if name == "__version__":
        from mockrt.cli.main import package_version

        return package_version()
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mockrt' has no attribute {name!r}")

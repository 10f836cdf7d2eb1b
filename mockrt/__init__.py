"""mockrt: a faithful local mock of the OpenAI Realtime API in transcription mode.

Names are imported lazily, so that ``import mockrt.session`` (the pure core) never pulls in
aiohttp through this package's ``__init__``.
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

__version__ = "0.1.0"

_WHERE = {
    "CountingIds": "mockrt.ids",
    "RandomIds": "mockrt.ids",
    "InvalidState": "mockrt.exceptions",
    "MockRTError": "mockrt.exceptions",
    "Journal": "mockrt.journal",
    "Options": "mockrt.options",
    "ServerConfig": "mockrt.server",
    "create_app": "mockrt.server",
    "Session": "mockrt.session",
    "MockRealtimeServer": "mockrt.testing",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'mockrt' has no attribute {name!r}")

"""Public testing API: ``MockRealtimeServer``, the in-process mock as an async context manager,
and ``BackgroundMockServer``, the same on a background thread as a synchronous one.

The server lives in ``mockrt.serve.testing``; this module is where README shows it.
"""

from __future__ import annotations

from mockrt.serve.background import BackgroundMockServer
from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

__all__ = ["TEST_API_KEY", "BackgroundMockServer", "MockRealtimeServer"]

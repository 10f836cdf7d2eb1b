"""Public testing API: ``MockRealtimeServer``, the in-process mock as an async context manager.

The server lives in ``mockrt.serve.testing``; this module is where README shows it.
"""

from __future__ import annotations

from mockrt.serve.testing import TEST_API_KEY, MockRealtimeServer

__all__ = ["TEST_API_KEY", "MockRealtimeServer"]

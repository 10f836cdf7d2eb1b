"""The one base exception for caller mistakes (peer mistakes become error events instead)."""

from __future__ import annotations

__all__ = ["InvalidState", "MockRTError"]


class MockRTError(Exception):
    """Base of every exception mockrt raises."""


class InvalidState(MockRTError):
    """A method was called in a state that does not allow it, e.g. after ``close()``."""

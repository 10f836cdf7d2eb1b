"""Diagnosis of a client from a journal: fingerprints, explanations, the report and its rendering.

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "analysis": "Connection diagnose EventLine Note Problem Refused Report RunInfo SessionReport",
    "explanations": (
        "beta_fix BETA_TABLE EXAMPLES explain Explanation EXPLANATIONS extend infer_rule "
        "pretty_json"
    ),
    "fingerprints": (
        "append_bytes as_dict audio_input BETA_FIELDS beta_fields beta_to_ga CLIENTS "
        "CONVERSATION_FIELDS describe_event describe_turn_detection Fingerprint fingerprint "
        "is_conversation_update is_transcription_update is_uuid_hex session_of SessionView "
        "short_json"
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""Diagnosis: journals in, a report for a person (or a machine) out. Pure: no aiohttp,
websockets or asyncio (tests/test_diagnose.py imports every module here to check).

Modules, each importing only those above it (and ``mockrt.core``):

- ``frames``: ``SessionView`` and safe readers of untrusted journaled frames;
- ``betamap``: beta field names and their GA places (from ``mockrt.core.beta``);
- ``describe``: one-line summaries of client events;
- ``fingerprints``: which client library sent the traffic;
- ``catalogue``: the explanation of every rule (pure data);
- ``explanations``: the catalogue specialised per client; the rule behind a captured error;
- ``findings``: the parts of a report (sessions, problems, notes, connections, the run);
- ``audiorate``: audio streamed in real time at another rate than 24 kHz;
- ``advice``: notes that do not affect conformance;
- ``render``: the report as text;
- ``report``: the whole report (``Report``), its JSON and, through ``render``, its text;
- ``analysis``: ``diagnose(journal)``, the report of a journal.

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "advice": "notes_for",
    "audiorate": "rate_problem RATE_RULE RateFinding wrong_rate WRONG_RATES",
    "analysis": "diagnose",
    "betamap": "BETA_FIELDS beta_fields beta_to_ga",
    "catalogue": (
        "BETA_TABLE EX_AGENTS_STT EX_OPENAI_SDK EX_RAW EXAMPLES Explanation EXPLANATIONS "
        "indent_block"
    ),
    "describe": "describe_event describe_turn_detection short_json",
    "diff": "Difference diff_journals Tolerance",
    "explanations": "beta_fix explain extend infer_rule pretty_json",
    "findings": "Connection EventLine Note Problem Refused RunInfo SessionReport",
    "fingerprints": "CLIENTS Fingerprint fingerprint",
    "frames": (
        "append_bytes as_dict audio_input is_conversation_update is_transcription_update "
        "is_uuid_hex session_of SessionView"
    ),
    "render": "ReportLike",
    "report": "Report",
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""The contract: JSON Schema generation and checks, the SDK drift check, script files.

- ``schema``: generating, exporting and checking the documents of schemas/;
- ``validator``: validating events against them (readable violations);
- ``drift``, ``sdkshape``, ``sdkinstances``, ``sdkcheck``: the drift check against the installed
  openai SDK (``sdktypes`` names the SDK's types); only the tests and ``--against-sdk`` load it;
- ``scriptfile``: loading script files (YAML or JSON) into the core's script model;
  ``scriptmodel`` and ``scriptparts``: the script file format (pydantic), its generated schema.

``openai`` and ``jsonschema`` load only with the module that needs them.

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "asyncapi": ("ASYNCAPI_FILE asyncapi_document check_asyncapi export_asyncapi render_asyncapi"),
    "drift": "Allowed allowlist allowlist_data Drift out_of_scope Target",
    "schema": (
        "BASE_URI check ClientSecretCreateRequest ClientSecretCreateResponse DIALECT Direction "
        "documents event_types EVENT_UNIONS ExpiresAfter export load Persona render REST_BODIES "
        "schema_id SCHEMAS_DIR"
    ),
    "framecheck": "Finding FrameChecker",
    "fromcapture": "limits script_data script_from_capture",
    "scriptfile": "first_schema_error load_script Locate parse_script read_document script_schema",
    "scriptmodel": (
        "FailingTurn LogprobFile MatchFile render_script_schema SCRIPT_SCHEMA_ID ScriptFile "
        "script_json_schema TokenDetailsFile TranscriptTurn UsageDurationFile UsageTokensFile"
    ),
    "scriptparts": (
        "fail shape worded Bound CloseAfterEvent CloseAtTurn CloseFault CloseFile Closed "
        "DelayFault DropFault DuplicateFault ErrorFile EventTypeName FailFile "
        "InjectAfterEvent InjectAtTurn InjectFault LatencyFile Ms NonEmpty PiecesFile "
        "Positive SHARED_ENUMS SessionDelay SessionDrop SessionDuplicate SessionFault "
        "TurnFault TurnIndex TurnPointName"
    ),
    "sdkcheck": "check_against_sdk coverage Report sdk_version targets",
    "sdkinstances": "bundle instances",
    "sdkshape": "compare our_lookup",
    "sdktypes": (
        "DESCRIPTIONS_FILE docstrings main SDK_COMMON sdk_descriptions sdk_event_types SDK_REST "
        "SDK_UNIONS"
    ),
    "validator": "EventValidator registry SchemaViolation validate_event validator_for",
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

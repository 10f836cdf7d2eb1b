"""The contract: JSON Schema generation and checks, the SDK drift check, script files.

``openai`` and ``jsonschema`` load only with the module that needs them.

Every public name of the modules here is importable from the package, lazily: ``_MODULES`` lists
each module's names (space-separated), so each name has one home, and a module loads on first use
(tests/test_layout.py checks the table against the modules' ``__all__``).
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES: dict[str, str] = {
    "schema": (
        "BASE_URI check ClientSecretCreateRequest ClientSecretCreateResponse DIALECT Direction "
        "documents event_types EVENT_UNIONS EventValidator ExpiresAfter export load Persona "
        "registry render REST_BODIES schema_id SCHEMAS_DIR SchemaViolation validate_event "
        "validator_for"
    ),
    "scriptfile": "load_script parse_script script_schema",
    "sdkcheck": (
        "Allowed allowlist check_against_sdk compare coverage Drift our_lookup out_of_scope "
        "Report sdk_version Target targets"
    ),
    "sdkinstances": "bundle instances",
    "sdktypes": (
        "DESCRIPTIONS_FILE docstrings main SDK_COMMON sdk_descriptions sdk_event_types SDK_REST "
        "SDK_UNIONS"
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names.split()}

__all__ = sorted(_HOME)


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
